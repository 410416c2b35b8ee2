/**
 * Group commit for the inbound journal: entries that arrive in the same turn of the event loop
 * are written in one transaction, together with the cursor advance, before any of them is acted
 * on.
 *
 * Bounded per turn, by rows and by time: a transaction holds at most `maxRows` entries (a commit
 * of 2,000 rows blocked the loop for 50-170 ms), and the commits are slices of the process's turn
 * budget (util/turn-budget.ts), shared with imsg's lines and the completions: once the turn's
 * budget is spent the rest waits for a later turn, so timers, replies and the imsg pipe get their
 * turn in between. Each committed chunk is acted on at once (docs/performance.md). A chunk that
 * starts late in a turn is sized to what is left of the budget, from the cost per row of the
 * chunks before it (committing and acting on 64 rows takes a few ms: started at the end of a turn,
 * a full chunk would double it).
 *
 * A WAL wrap of the checkpoint thread (store/checkpoint-worker.ts) may ask the commits to wait a
 * moment (`hold`, at most a few ms): the entries gather meanwhile and go in the next chunk.
 *
 * Finished agent turns may ride along (`riders`): their settles go in the chunk's transaction, one
 * commit for both instead of two. A failed transaction hands them back untouched (their own group
 * commit then writes them, with its own retries) before the entries are written alone.
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
import { type CommitHold, type DispatchItem, type GatewayStore, type InboundEntry, isStorageFailure } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { sharedTurnBudget, type TurnSlices } from '../util/turn-budget.js';

export interface RecordedEntry<T> {
  entry: InboundEntry;
  payload: T;
  isNew: boolean;
}

/** Finished agent turns settled in a journal chunk's transaction. */
export interface JournalRiders {
  items: ReadonlyArray<DispatchItem>;
  /** The transaction committed: they are settled. */
  committed(): void;
  /** It did not: they are handed back, unwritten. */
  returned(): void;
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
  /** Entries per transaction (default MAX_ROWS_PER_COMMIT). */
  maxRows?: number;
  /** Where the commits run, a chunk at a time (default: the process's shared budget). */
  turns?: TurnSlices;
  /**
   * Least time between two journal commits, on `clock` (default 0: none). A message arriving
   * sooner after the last commit waits for the rest of it, with whatever else arrives meanwhile:
   * a steady stream costs at most one commit per gap, while a message after a quiet moment is
   * committed at once. A full chunk never waits.
   */
  minCommitGapMs?: number;
  /** The checkpoint thread's request to wait for a WAL wrap (default: the store's). */
  hold?: CommitHold;
  /** Settles to write with the next chunk, if any wait (asked once per chunk, not while failing). */
  riders?: () => JournalRiders | undefined;
}

export const MAX_ROWS_PER_COMMIT = 64;

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
  private readonly maxRows: number;
  private readonly turns: TurnSlices;
  private readonly minGapMs: number;
  private readonly commitHold: CommitHold;
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private gapTimer: unknown;
  /** Recent cost of one row (commit and acting on it), in ms: an average over the last chunks. */
  private msPerRow = 0;

  constructor(private readonly o: InboundRecorderOptions<T>) {
    this.maxRows = Math.max(1, o.maxRows ?? MAX_ROWS_PER_COMMIT);
    this.turns = o.turns ?? sharedTurnBudget;
    this.minGapMs = o.minCommitGapMs ?? 0;
    this.commitHold = o.hold ?? o.store.commitHold();
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
   * its row id and its URL-preview row's; resumeRowidOf in account-rules/cursor-generation.ts).
   */
  add(entry: InboundEntry, payload: T, resume: number = entry.rowid): void {
    this.batch.push({ entry, payload, resume });
    if (this.closed || this.scheduled) return;
    const full = this.batch.length >= this.maxRows;
    if (this.gapTimer !== undefined) {
      if (!full) return;
      this.o.clock.clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
    const wait = this.lastCommitAt + this.minGapMs - this.o.clock.now();
    if (wait <= 0 || full) {
      this.schedule();
      return;
    }
    this.gapTimer = this.o.clock.setTimeout(() => {
      this.gapTimer = undefined;
      if (!this.closed) this.schedule();
    }, wait);
  }

  /** Writes everything pending now, in chunks of maxRows (shutdown, tests). False if the store refused (what it refused is kept). */
  flush(): boolean {
    while (this.batch.length > 0) {
      if (!this.commitChunk()) return false;
    }
    return true;
  }

  /**
   * Commits the next chunk now, with the riders (the completions' group commit asks: one commit
   * for both). False when nothing waits, or it may not commit now (failing, closed, a WAL wrap).
   * What is left after the chunk goes in the recorder's own slices.
   */
  commitNow(): boolean {
    if (this.batch.length === 0 || this.failure || this.closed || this.commitHold.held()) return false;
    if (this.gapTimer !== undefined) {
      this.o.clock.clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
    this.commitChunk(Math.max(1, this.rowsThatFit()));
    if (this.batch.length > 0 && !this.failure) this.schedule();
    return true;
  }

  /** `nextTurn`: not in this turn even if its budget lasts (the slice stopped short of its end). */
  private schedule(nextTurn = false): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const slice = () => {
      this.scheduled = false;
      if (!this.failure && !this.closed) this.flushSlice();
    };
    if (nextTurn) this.turns.later(slice);
    else this.turns.run(slice);
  }

  /** One slice: chunks of maxRows until the batch is written or the turn's budget is spent. */
  private flushSlice(): void {
    if (this.batch.length > 0 && this.commitHold.held()) {
      // A WAL wrap: the next chunk goes once it is over, with what arrives meanwhile.
      this.scheduled = true;
      this.commitHold.afterHold(() => {
        this.scheduled = false;
        if (!this.failure && !this.closed) this.schedule();
      });
      return;
    }
    for (let first = true; this.batch.length > 0; first = false) {
      const rows = this.rowsThatFit();
      // Not even one row fits what is left: a later turn (a slice always does at least one).
      if (rows === 0 && !first) {
        this.schedule(true);
        return;
      }
      if (!this.commitChunk(Math.max(1, rows))) return;
      if (this.batch.length > 0 && this.turns.spent()) {
        this.schedule();
        return;
      }
    }
  }

  /** Rows the next chunk may hold: maxRows, fewer (even none) when the turn's budget left would not take them. */
  private rowsThatFit(): number {
    const left = this.turns.remainingMs();
    if (this.msPerRow <= 0 || left === Number.POSITIVE_INFINITY) return this.maxRows;
    return Math.max(0, Math.min(this.maxRows, Math.floor(left / this.msPerRow)));
  }

  /** Writes the first `rows` pending entries in one transaction, then acts on them. False if the store refused. */
  private commitChunk(rows: number = this.maxRows): boolean {
    if (this.batch.length === 0) return true;
    const started = this.turns.now();
    const chunk = this.batch.length <= rows ? this.batch : this.batch.slice(0, rows);
    let cursor = 0;
    for (const b of chunk) cursor = Math.max(cursor, b.resume);
    const riders = this.failure ? undefined : this.o.riders?.();
    let flags: boolean[];
    try {
      flags = this.o.store.recordInbound(this.o.accountId, chunk.map((b) => b.entry), cursor, riders?.items);
    } catch {
      riders?.returned();
      return this.flushOneByOne();
    }
    this.batch = chunk === this.batch ? [] : this.batch.slice(chunk.length);
    this.lastCommitAt = this.o.clock.now();
    this.recovered();
    riders?.committed();
    this.o.onRecorded(chunk.map((b, i) => ({ entry: b.entry, payload: b.payload, isNew: flags[i] === true })));
    const perRow = (this.turns.now() - started) / chunk.length;
    this.msPerRow = this.msPerRow === 0 ? perRow : this.msPerRow * 0.75 + perRow * 0.25;
    return true;
  }

  /** Shutdown: one last write was attempted by the caller; no more retries, no timer left behind. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.gapTimer !== undefined) this.o.clock.clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }

  /** The first chunk, entry by entry (its transaction failed). */
  private flushOneByOne(): boolean {
    const batch = this.batch;
    const recorded: Array<RecordedEntry<T>> = [];
    const limit = Math.min(batch.length, this.maxRows);
    let i = 0;
    let refused: unknown;
    for (; i < limit; i++) {
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
