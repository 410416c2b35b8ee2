/**
 * The gateway's commits made durable off the event loop (issue 15: a commit's fsync blocked the
 * loop for 1–75 ms). The gateway's connection writes with `synchronous = OFF`: a COMMIT is a
 * write(2) into the page cache, which a kill -9 of the gateway cannot lose. What only a power loss
 * or a kernel crash could lose is made durable here: after commits, the WAL file is fsync'd on
 * libuv's thread pool, one fsync at a time, each covering every commit made before it started.
 *
 * `durable()` resolves once the commits made so far are on disk. Whatever acts outside the
 * gateway on the strength of a commit waits for it first: a send to imsg after its row is marked
 * `sending`, an answer to a control-API write, the home's marker. So a power loss can cost a few
 * milliseconds of commits, but never one that something outside already relied on: the same
 * guarantee as `synchronous = FULL`, without the wait on the loop.
 *
 * In a burst the commits come faster than fsyncs finish. An fsync nobody waits for starts at most
 * every `minGapMs` (the store: WAL_SYNC_GAP_MS), so it covers more commits and the thread pool and
 * the disk do less: back to back, a burst of 30,000 messages cost several hundred fsyncs a second.
 * A `durable()` waiter never waits for the gap: it starts an fsync at once (or right after the
 * one running), so what something outside relies on is on disk as soon as before.
 *
 * A failed fsync is sticky: on Linux the failed pages may be dropped from the cache and a later
 * fsync can succeed without them, so no later `durable()` resolves (docs/durability.md).
 */
import { type Clock, systemClock } from '../util/clock.js';

export interface WalSyncOptions {
  /** Write commits of the connection so far (its commit counter). */
  commits: () => number;
  /** fsyncs the WAL file; resolves when it is on disk. */
  sync: () => Promise<void>;
  /** Least time between the starts of two fsyncs that no `durable()` waits for (default 0: back to back). */
  minGapMs?: number;
  clock?: Clock;
}

/**
 * The store's gap between unawaited fsyncs: at most 100 a second in a burst. A power loss (only
 * that: a kill -9 loses nothing written) may cost the commits of the last 10 ms or so, never one
 * that something outside waited for.
 */
export const WAL_SYNC_GAP_MS = 10;

interface Waiter {
  upTo: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class WalSync {
  /** Commits known to be on disk. */
  private synced: number;
  private running = false;
  private waiters: Waiter[] = [];
  private failure: Error | undefined;
  /** fsyncs completed (for the store's stats and tests). */
  private done = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private gapTimer: unknown;
  private stopped = false;
  private readonly clock: Clock;

  constructor(private readonly o: WalSyncOptions) {
    this.synced = o.commits();
    this.clock = o.clock ?? systemClock;
  }

  /** fsyncs completed so far. */
  get syncs(): number {
    return this.done;
  }

  /** The fsync error that stopped durability, if any. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /**
   * After a commit: starts a background fsync unless one is running (it is followed by another) or
   * the last one started less than `minGapMs` ago (one starts when the gap is over).
   */
  request(): void {
    this.pump();
  }

  /** No more fsyncs of its own accord (the store closes and syncs the WAL itself). */
  stop(): void {
    this.stopped = true;
    this.clearGap();
  }

  /** Resolves once every commit made before this call is on disk; rejects after an fsync failed. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const upTo = this.o.commits();
    if (upTo <= this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.failure) return;
    const covers = this.o.commits();
    if (covers <= this.synced) return;
    if (this.stopped && this.waiters.length === 0) return;
    const gap = this.o.minGapMs ?? 0;
    if (this.waiters.length === 0 && gap > 0) {
      const wait = this.lastStart + gap - this.clock.now();
      if (wait > 0) {
        this.gapTimer ??= this.clock.setTimeout(() => {
          this.gapTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
    }
    this.clearGap();
    this.lastStart = this.clock.now();
    this.running = true;
    this.o.sync().then(
      () => {
        this.done++;
        this.synced = Math.max(this.synced, covers);
        this.running = false;
        const ready = this.waiters.filter((w) => w.upTo <= this.synced);
        this.waiters = this.waiters.filter((w) => w.upTo > this.synced);
        for (const w of ready) w.resolve();
        this.pump();
      },
      (err: unknown) => {
        this.running = false;
        this.clearGap();
        this.failure = err instanceof Error ? err : new Error(String(err));
        const waiting = this.waiters;
        this.waiters = [];
        for (const w of waiting) w.reject(this.failure);
      },
    );
  }

  private clearGap(): void {
    if (this.gapTimer === undefined) return;
    this.clock.clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}
