/**
 * Bounded work per turn of the event loop for imsg's output (issue 15: event-loop p99 ≤ 10 ms
 * during a burst). A 64 KB pipe chunk holds a hundred or more message notifications, and each one
 * runs the whole synchronous inbound path (parse, validate, policy, journal). Handled in one turn,
 * a chunk blocked the loop for tens of milliseconds: timers, the control API and the other
 * accounts waited behind it.
 *
 * The pacer handles lines in order until `budgetMs` of the clock has passed, then pauses the
 * source (the pipe fills and imsg waits: backpressure, never a dropped line) and continues on the
 * next turn. The order of lines, responses included, is exactly the order they were read.
 *
 * A consumer that cannot keep up can also hold the lines (`hold`): while it answers true, no line
 * is handled and the source stays paused, so imsg's output waits in the pipe (and, on imsg 0.14+,
 * in its own bounded buffer, which ends the watch with `watch.overflow` when it fills: a resume
 * point, never a lost message). `kick()` asks again, once the consumer has caught up or a request
 * needs its answer read.
 */
export interface LinePacerOptions {
  /** Handles one line; called in arrival order, never re-entered. */
  handle: (line: string) => void;
  /** Milliseconds of handling per turn before yielding (at least one line is handled per turn). */
  budgetMs: number;
  now: () => number;
  /** Stops and restarts the source's 'data' events (stdout.pause / resume). */
  pause: () => void;
  resume: () => void;
  /** Runs `fn` on a later turn of the event loop (setImmediate). */
  defer: (fn: () => void) => void;
  /** Asked before each line: true holds every line (the source stays paused) until `kick()`. */
  hold?: () => boolean;
}

export class LinePacer {
  private readonly lines: string[] = [];
  private head = 0;
  private paused = false;
  private scheduled = false;
  private draining = false;
  private holding = false;

  constructor(private readonly o: LinePacerOptions) {}

  /** Lines waiting for a later turn. */
  get waiting(): number {
    return this.lines.length - this.head;
  }

  push(lines: Iterable<string>): void {
    for (const line of lines) this.lines.push(line);
    if (!this.scheduled && !this.draining && !this.holding) this.drain();
  }

  /** True while `hold` stopped the lines (until the next `kick()`). */
  get held(): boolean {
    return this.holding;
  }

  /** Asks `hold` again on a later turn: the lines go on unless it still holds them. */
  kick(): void {
    if (!this.holding) return;
    this.holding = false;
    this.scheduleDrain();
  }

  /** Puts `lines` back before every line still waiting (they were read earlier), in their order. */
  requeue(lines: readonly string[]): void {
    if (lines.length === 0) return;
    const rest = this.lines.slice(this.head);
    this.lines.length = 0;
    this.head = 0;
    for (const line of lines) this.lines.push(line);
    for (const line of rest) this.lines.push(line);
    if (!this.holding) this.scheduleDrain();
  }

  /** Handles what waits on a later turn, unless that is already arranged or running. */
  private scheduleDrain(): void {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    this.o.defer(() => this.drain());
  }

  /** Handles everything waiting now, in order (the source ended: nothing more will be read). */
  flush(): void {
    this.holding = false;
    this.drainFor(Number.POSITIVE_INFINITY, false);
  }

  private drain(): void {
    this.scheduled = false;
    let more = true;
    try {
      more = this.drainFor(this.o.budgetMs);
    } finally {
      // Also after a handler threw: what is left still goes, on a later turn.
      if (this.holding) {
        // Held: nothing more is read until kick(); the lines already read wait here.
        if (!this.paused) {
          this.paused = true;
          this.o.pause();
        }
      } else if (more && this.waiting > 0) {
        if (!this.paused) {
          this.paused = true;
          this.o.pause();
        }
        this.scheduled = true;
        this.o.defer(() => this.drain());
      } else if (this.paused) {
        this.paused = false;
        this.o.resume();
      }
    }
  }

  /** True when lines are left for a later turn. */
  private drainFor(budgetMs: number, holdable = true): boolean {
    if (this.draining) return this.waiting > 0;
    this.draining = true;
    const start = this.o.now();
    try {
      while (this.head < this.lines.length) {
        if (holdable && this.o.hold?.() === true) {
          this.holding = true;
          break;
        }
        const line = this.lines[this.head] as string;
        this.head++;
        this.o.handle(line);
        if (this.head < this.lines.length && this.o.now() - start >= budgetMs) break;
      }
    } finally {
      this.draining = false;
      if (this.head === this.lines.length) {
        this.lines.length = 0;
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.lines.length) {
        this.lines.splice(0, this.head);
        this.head = 0;
      }
    }
    return this.waiting > 0;
  }
}
