/**
 * Group commit for the inbound journal: entries that arrive in the same turn of the event loop
 * are written in one transaction, together with the cursor advance, before any of them is acted
 * on. If the state database is busy or full, the batch is kept and retried: nothing that imsg
 * handed over is acknowledged (cursor) before it is durable.
 */
import type { Logger } from 'pino';
import type { GatewayStore, InboundEntry } from '../store/index.js';
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
  maxBatch?: number;
}

const RETRY_MS = 1000;

export class InboundRecorder<T> {
  private batch: Array<{ entry: InboundEntry; payload: T }> = [];
  private scheduled = false;
  private failing = false;
  private readonly maxBatch: number;

  constructor(private readonly o: InboundRecorderOptions<T>) {
    this.maxBatch = o.maxBatch ?? 2000;
  }

  get pending(): number {
    return this.batch.length;
  }

  add(entry: InboundEntry, payload: T): void {
    this.batch.push({ entry, payload });
    if (this.batch.length >= this.maxBatch && !this.failing) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.failing) this.flush();
      });
    }
  }

  /** Writes what is pending now. Returns false if the store refused (the batch is kept). */
  flush(): boolean {
    if (this.batch.length === 0) return true;
    const batch = this.batch;
    let cursor = 0;
    for (const b of batch) cursor = Math.max(cursor, b.entry.rowid);
    let flags: boolean[];
    try {
      flags = this.o.store.recordInbound(this.o.accountId, batch.map((b) => b.entry), cursor);
    } catch (err) {
      if (!this.failing) {
        this.o.logger.error(
          { err: err instanceof Error ? err.message : String(err), pending: batch.length },
          'cannot write the inbound journal; holding messages and retrying (nothing is acknowledged until it is written)',
        );
      }
      this.failing = true;
      this.o.clock.setTimeout(() => this.flush(), RETRY_MS);
      return false;
    }
    this.batch = [];
    if (this.failing) this.o.logger.info('inbound journal writable again');
    this.failing = false;
    this.o.onRecorded(batch.map((b, i) => ({ ...b, isNew: flags[i] === true })));
    return true;
  }
}
