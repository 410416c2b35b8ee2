/**
 * Per-session ordering with bounded global concurrency.
 *
 * Tasks with the same session key run strictly one after another in submission order (a failing
 * task does not block the next); tasks of different keys run concurrently, at most
 * `maxConcurrent` at a time, the rest waiting FIFO. A lane exists only while its session has work,
 * so many short-lived sessions do not grow memory.
 */

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

interface Lane {
  key: string;
  queue: Job[];
  running: boolean;
  /** Queued for a concurrency slot. */
  waiting: boolean;
}

export interface SessionLanesOptions {
  /** Sessions running a task at the same time. Default 32. */
  maxConcurrent?: number;
}

export const DEFAULT_MAX_CONCURRENT_SESSIONS = 32;

export class SessionLanes {
  readonly maxConcurrent: number;
  private readonly lanes = new Map<string, Lane>();
  /** Lanes whose next task waits for a slot, in FIFO order. */
  private readonly slotQueue: Lane[] = [];
  private runningCount = 0;
  private pendingCount = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(opts: SessionLanesOptions = {}) {
    const max = opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_SESSIONS;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxConcurrent must be a positive integer, got ${max}`);
    this.maxConcurrent = max;
  }

  /** Runs `task` after every earlier task of `sessionKey`; settles like the task. */
  run<T>(sessionKey: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lane = this.lanes.get(sessionKey);
      if (lane === undefined) {
        lane = { key: sessionKey, queue: [], running: false, waiting: false };
        this.lanes.set(sessionKey, lane);
      }
      lane.queue.push({ task, resolve: resolve as (value: unknown) => void, reject });
      this.pendingCount++;
      this.schedule(lane);
    });
  }

  /** Sessions with work: a task running or queued. */
  get activeSessions(): number {
    return this.lanes.size;
  }

  /** True while `sessionKey` has a task running or queued (a new task would wait). */
  hasWork(sessionKey: string): boolean {
    return this.lanes.has(sessionKey);
  }

  /** Tasks submitted but not started yet. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Tasks running right now (at most maxConcurrent). */
  get running(): number {
    return this.runningCount;
  }

  /** Resolves once nothing is running or queued. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.runningCount === 0 && this.pendingCount === 0;
  }

  private schedule(lane: Lane): void {
    if (lane.running || lane.waiting || lane.queue.length === 0) return;
    if (this.runningCount < this.maxConcurrent && this.slotQueue.length === 0) {
      this.start(lane);
    } else {
      lane.waiting = true;
      this.slotQueue.push(lane);
    }
  }

  private start(lane: Lane): void {
    const job = lane.queue.shift();
    if (job === undefined) return;
    this.pendingCount--;
    this.runningCount++;
    lane.running = true;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(job.task());
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => {
        this.finish(lane);
        job.resolve(value);
      },
      (err: unknown) => {
        this.finish(lane);
        job.reject(err);
      },
    );
  }

  private finish(lane: Lane): void {
    lane.running = false;
    this.runningCount--;
    if (lane.queue.length === 0) {
      this.lanes.delete(lane.key);
    } else {
      // Back of the line, so one busy session cannot starve the others.
      lane.waiting = true;
      this.slotQueue.push(lane);
    }
    while (this.runningCount < this.maxConcurrent && this.slotQueue.length > 0) {
      const next = this.slotQueue.shift()!;
      next.waiting = false;
      this.start(next);
    }
    if (this.isIdle() && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }
}
