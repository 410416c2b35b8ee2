/**
 * One budget of bulk work per turn of the event loop, shared by everything that works through a
 * backlog in slices (issue 15: event-loop p99 ≤ 10 ms during a burst, p99 at 1,000/s).
 *
 * Each of imsg's line pacer, the inbound journal's group commit and the completion commit bounded
 * its own work per turn, but they ran one after another in the same turn (the lines of a pipe
 * chunk, a journal commit and the acting on its rows, a completion commit): each bounded, the turn
 * not. Here they queue their slices in one place instead: the slices run in one `setImmediate`
 * callback per turn, first come first served, until the turn's budget is spent; the rest waits for
 * the next turn, so timers, sockets (an agent's answer, the control API) and other accounts get
 * their turn in between.
 *
 * A slice is one unit of work (a line, a chunk of rows) repeated while `spent()` is false; the
 * budget is checked between slices and by the slices themselves, so a turn overruns it by at most
 * one unit. A slice that has more to do queues itself again (`run`): it goes after the others.
 */
export interface TurnBudgetOptions {
  /** Milliseconds of queued work per event-loop turn. */
  budgetMs: number;
  now: () => number;
  /** Runs `fn` once the current phase of the loop is done (setImmediate). */
  immediate?: (fn: () => void) => void;
}

/** What the budget's users see: queue a slice, ask whether the turn's budget is spent. */
export interface TurnSlices {
  /** Runs `slice` in a coming turn, after the slices queued before it (this turn, if its budget lasts). */
  run(slice: () => void): void;
  /** Runs `slice` in the next turn at the earliest: a slice that stops short of the budget's end. */
  later(slice: () => void): void;
  /** True once this turn's budget is spent (always false outside a turn of queued slices). */
  spent(): boolean;
  /** Milliseconds left in this turn's budget (Infinity outside a turn), to size the next unit. */
  remainingMs(): number;
  /** The budget's clock (milliseconds, sub-millisecond precision), to time a unit. */
  now(): number;
}

export const TURN_BUDGET_MS = 3;

export class TurnBudget implements TurnSlices {
  private queue: Array<() => void> = [];
  private head = 0;
  /** Slices for the next turn, queued during this one (later()). */
  private next: Array<() => void> = [];
  private scheduled = false;
  private turnStart: number | undefined;
  private readonly immediate: (fn: () => void) => void;

  constructor(private readonly o: TurnBudgetOptions) {
    this.immediate = o.immediate ?? ((fn) => void setImmediate(fn));
  }

  /** Slices waiting for a turn. */
  get waiting(): number {
    return this.queue.length - this.head + this.next.length;
  }

  run(slice: () => void): void {
    this.queue.push(slice);
    this.schedule();
  }

  later(slice: () => void): void {
    if (this.turnStart === undefined) this.run(slice);
    else this.next.push(slice);
  }

  spent(): boolean {
    return this.remainingMs() <= 0;
  }

  remainingMs(): number {
    return this.turnStart === undefined ? Number.POSITIVE_INFINITY : this.turnStart + this.o.budgetMs - this.o.now();
  }

  now(): number {
    return this.o.now();
  }

  private schedule(): void {
    // During a turn, the turn itself takes the new slice or schedules the next one.
    if (this.scheduled || this.turnStart !== undefined) return;
    this.scheduled = true;
    this.immediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    this.turnStart = this.o.now();
    try {
      while (this.head < this.queue.length && !this.spent()) {
        const slice = this.queue[this.head] as () => void;
        this.queue[this.head] = noop; // let it go before it runs (it may queue itself again)
        this.head++;
        slice();
      }
    } finally {
      // Also after a slice threw: the others still run, on the next turn.
      this.turnStart = undefined;
      if (this.next.length > 0) {
        for (const slice of this.next) this.queue.push(slice);
        this.next = [];
      }
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else {
        if (this.head > 256) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        this.schedule();
      }
    }
  }
}

function noop(): void {}

/** The process's one budget: there is one event loop. */
export const sharedTurnBudget: TurnBudget = new TurnBudget({ budgetMs: TURN_BUDGET_MS, now: () => performance.now() });
