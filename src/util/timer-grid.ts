/**
 * One wakeup for many timers (issue 15, idle CPU). On this kind of machine each wakeup of an idle
 * process costs about 0.18 ms of CPU whatever its callback does (an empty 40/s interval alone is
 * 0.7% of a core), and an idle fleet of 100 accounts woke about 20 times a second: each account's
 * liveness timer (15 s) expired on its own, as did the status tick and the chat.db identity looks.
 *
 * A TimerGrid's clock runs timers of `gridMs` or more on whole multiples of `gridMs` of the base
 * clock's time (rounded up: never early, at most `gridMs` late), all timers due at the same grid
 * point in one callback of one real timer; shorter timers go to the base clock unchanged (the
 * backoff's first steps, collect windows, commit gaps keep their precision). `next()` runs a
 * callback at the next grid point: a periodic tick on it (the status tick) shares that wakeup.
 *
 * Grid points are on the base clock's time (the wall clock): a clock set back by less than a second
 * can make a timer that joins an earlier-scheduled point fire early by that much; a clock set back
 * further holds nothing (each timer's point comes from now plus its delay).
 *
 * Callbacks of one grid point run in the order they were scheduled. One that throws does not keep
 * the others from running: the first exception is thrown again once all have run, as the timer's
 * own (callers that must not throw wrap their callbacks: guarded-clock.ts).
 */
import type { Clock } from './clock.js';

/** Timers of a second or more fire on whole seconds. */
export const TIMER_GRID_MS = 1000;

/** A timer waiting for its grid point (the handle the grid's clock returns). */
class GridTimer {
  constructor(
    readonly due: number,
    readonly fn: () => void,
  ) {}
}

interface GridPoint {
  due: number;
  handle: unknown;
  timers: Set<GridTimer>;
}

export class TimerGrid {
  private readonly points = new Map<number, GridPoint>();
  /** The last grid point run: next() does not schedule it again (a base timer may fire a little before its time). */
  private lastRun = Number.NEGATIVE_INFINITY;
  /** The grid point whose callbacks are running (a callback may cancel another of them). */
  private running: GridPoint | undefined;
  /** A Clock (for XState and the accounts) whose timers of gridMs or more land on the grid. */
  readonly clock: Clock;

  constructor(
    private readonly base: Clock,
    private readonly gridMs = TIMER_GRID_MS,
  ) {
    this.clock = {
      now: () => base.now(),
      setTimeout: (fn, ms) => (ms >= gridMs ? this.at(this.ceil(base.now() + ms), fn) : base.setTimeout(fn, ms)),
      clearTimeout: (handle) => (handle instanceof GridTimer ? this.cancel(handle) : base.clearTimeout(handle)),
    };
  }

  /** Runs `fn` at the next grid point after now; the handle goes to `clock.clearTimeout`. */
  next(fn: () => void): unknown {
    const due = this.ceil(this.base.now() + 1);
    // Called from the point just run, whose real timer fired a little before its time: the next one.
    return this.at(due === this.lastRun ? due + this.gridMs : due, fn);
  }

  /** Timers waiting (for tests and diagnostics). */
  get pending(): number {
    let n = 0;
    for (const point of this.points.values()) n += point.timers.size;
    return n;
  }

  /**
   * The grid point at or after `t`. Only ever from the base clock's now plus a delay: a wall clock
   * set back does not hold timers until the points already run come round again.
   */
  private ceil(t: number): number {
    return Math.ceil(t / this.gridMs) * this.gridMs;
  }

  private at(due: number, fn: () => void): GridTimer {
    const timer = new GridTimer(due, fn);
    let point = this.points.get(due);
    if (!point) {
      point = { due, handle: this.base.setTimeout(() => this.run(due), Math.max(0, due - this.base.now())), timers: new Set() };
      this.points.set(due, point);
    }
    point.timers.add(timer);
    return timer;
  }

  private cancel(timer: GridTimer): void {
    if (this.running?.due === timer.due) {
      this.running.timers.delete(timer);
      return;
    }
    const point = this.points.get(timer.due);
    if (!point?.timers.delete(timer) || point.timers.size > 0) return;
    this.base.clearTimeout(point.handle);
    this.points.delete(timer.due);
  }

  private run(due: number): void {
    const point = this.points.get(due);
    this.points.delete(due);
    this.lastRun = Math.max(this.lastRun, due);
    if (!point) return;
    let failure: { error: unknown } | undefined;
    this.running = point;
    try {
      for (const timer of point.timers) {
        try {
          timer.fn();
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.running = undefined;
    }
    if (failure) throw failure.error;
  }
}
