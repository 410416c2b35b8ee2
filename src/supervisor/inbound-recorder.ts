/**
 * Group commit for the inbound journal: entries that arrive in the same turn of the event loop
 * are written in one transaction, together with the cursor advance, before any of them is acted
 * on.
 *
 * When the batch transaction fails, each entry is written alone, in order:
 * - an entry the store refuses on its own merits (a value SQLite will not take, a constraint: not a
 *   failure of the disk) is poison: it is handed to `onPoison` (quarantined) and the rest goes on;
 * - when the disk or file fails (busy, full, read-only, I/O), that entry and the ones after it are
 *   held and retried every second. Nothing held is acknowledged: the cursor moves only with the
 *   rows written, so imsg sends the held ones again after a restart.
 * After close() (shutdown) nothing is retried: what is still held is reported by `held`.
 */
import type { Logger } from 'pino';
import { type GatewayStore, type InboundEntry, isStorageFailure } from '../store/index.js';
import type { Clock } from '../util/clock.js';

export interface RecordedEntry<T> {
  entry: InboundEntry;
  payload: T;
  isNew: boolean;
}

export interface InboundRecorderOptions<T> {
  accountId: string;
  store: GatewayStore;
  clock: Clock;
  logger: Logger;
  /** Called after each durable batch, in arrival order. */
  onRecorded: (batch: Array<RecordedEntry<T>>) => void;
  /** An entry the journal refuses on its own merits (never a disk failure): quarantine it. */
  onPoison: (entry: InboundEntry, payload: T, error: unknown) => void;
  maxBatch?: number;
}

export const RECORD_RETRY_MS = 1000;

/** Why the journal is not being written, while it is not. */
export interface JournalFailure {
  since: number;
  error: string;
}

export class InboundRecorder<T> {
  private batch: Array<{ entry: InboundEntry; payload: T; resume: number }> = [];
  private scheduled = false;
  private failure: JournalFailure | undefined;
  private retryTimer: unknown;
  private closed = false;
  private readonly maxBatch: number;

  constructor(private readonly o: InboundRecorderOptions<T>) {
    this.maxBatch = o.maxBatch ?? 2000;
  }

  /** Messages received but not yet durable. */
  get pending(): number {
    return this.batch.length;
  }

  /** Set while the store refuses the journal (disk full, read-only, busy): what and since when. */
  get failing(): JournalFailure | undefined {
    return this.failure;
  }

  /** The row ids still held (not written), for the shutdown report. */
  heldRowids(): number[] {
    return this.batch.map((b) => b.entry.rowid);
  }

  /**
   * `resume`: the cursor this message vouches for once durable (imsg's `cursor`, or the larger of
   * its row id and its URL-preview row's; resumeRowidOf in machines/cursor-generation.ts).
   */
  add(entry: InboundEntry, payload: T, resume: number = entry.rowid): void {
    this.batch.push({ entry, payload, resume });
    if (this.closed) return;
    if (this.batch.length >= this.maxBatch && !this.failure) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.failure && !this.closed) this.flush();
      });
    }
  }

  /** Writes what is pending now. Returns false if the store refused (what it refused is kept). */
  flush(): boolean {
    if (this.batch.length === 0) return true;
    const batch = this.batch;
    let cursor = 0;
    for (const b of batch) cursor = Math.max(cursor, b.resume);
    let flags: boolean[];
    try {
      flags = this.o.store.recordInbound(this.o.accountId, batch.map((b) => b.entry), cursor);
    } catch {
      return this.flushOneByOne();
    }
    this.batch = [];
    this.recovered();
    this.o.onRecorded(batch.map((b, i) => ({ entry: b.entry, payload: b.payload, isNew: flags[i] === true })));
    return true;
  }

  /** Shutdown: one last write was attempted by the caller; no more retries, no timer left behind. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private flushOneByOne(): boolean {
    const batch = this.batch;
    const recorded: Array<RecordedEntry<T>> = [];
    let i = 0;
    let refused: unknown;
    for (; i < batch.length; i++) {
      const b = batch[i]!;
      try {
        const [isNew] = this.o.store.recordInbound(this.o.accountId, [b.entry], b.resume);
        recorded.push({ entry: b.entry, payload: b.payload, isNew: isNew === true });
      } catch (err) {
        if (isStorageFailure(err)) {
          refused = err;
          break;
        }
        this.o.onPoison(b.entry, b.payload, err);
      }
    }
    this.batch = batch.slice(i);
    if (refused === undefined) this.recovered();
    else this.hold(refused);
    if (recorded.length > 0) this.o.onRecorded(recorded);
    return refused === undefined;
  }

  private hold(err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    if (!this.failure) {
      this.failure = { since: this.o.clock.now(), error };
      this.o.logger.error(
        { err: error, pending: this.batch.length },
        'cannot write the inbound journal; holding messages and retrying (nothing is acknowledged until it is written)',
      );
    } else {
      this.failure.error = error;
    }
    if (this.closed || this.retryTimer !== undefined) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.flush();
    }, RECORD_RETRY_MS);
  }

  private recovered(): void {
    if (!this.failure) return;
    this.failure = undefined;
    this.o.logger.info('inbound journal writable again');
  }
}
