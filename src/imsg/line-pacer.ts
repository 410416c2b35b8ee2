/**
 * Bounded work per turn of the event loop for imsg's output (issue 15: event-loop p99 ≤ 10 ms
 * during a burst). A 64 KB pipe chunk holds a hundred or more message notifications, and each one
 * runs the whole synchronous inbound path (parse, validate, policy, journal). Handled in one turn,
 * a chunk blocked the loop for tens of milliseconds: timers, the control API and the other
 * accounts waited behind it.
 *
 * The pacer handles lines in order as a slice of the process's turn budget (util/turn-budget.ts),
 * shared with the journal's and the completions' commits: until the turn's budget is spent, then
 * it pauses the source (the pipe fills and imsg waits: backpressure, never a dropped line) and
 * continues in a later turn. Lines are never handled in the 'data' event that read them, always in
 * a slice, so the budget covers them too. The order of lines, responses included, is exactly the
 * order they were read.
 *
 * A consumer that cannot keep up can also hold the lines (`hold`): while it answers true, no line
 * is handled and the source stays paused, so imsg's output waits in the pipe (and, on imsg 0.14+,
 * in its own bounded buffer, which ends the watch with `watch.overflow` when it fills: a resume
 * point, never a lost message). `kick()` asks again, once the consumer has caught up or a request
 * needs its answer read.
 */
import type { TurnSlices } from '../util/turn-budget.js';

export interface LinePacerOptions {
  /** Handles one line; called in arrival order, never re-entered. */
  handle: (line: string) => void;
  /** Where the lines are handled: slices of the turn's budget (at least one line per slice). */
  turns: TurnSlices;
  /** Stops and restarts the source's 'data' events (stdout.pause / resume). */
  pause: () => void;
  resume: () => void;
  /** Asked before each line: true holds every line (the source stays paused) until `kick()`. */
  hold?: () => boolean;
}

/** Lines read but not yet handled at which the source is paused until they are. */
export const PAUSE_AT_LINES = 256;

export class LinePacer {
  /** Lines from `head` on wait; the slots before it are cleared as each is handled. */
  private readonly lines: Array<string | undefined> = [];
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
    // Many chunks can be read in one turn before a slice runs: past a bound, stop reading until
    // the slices have caught up (a quiet stream is never paused, a chunk at a time).
    if (!this.paused && this.waiting >= PAUSE_AT_LINES) {
      this.paused = true;
      this.o.pause();
    }
    if (!this.holding) this.scheduleDrain();
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
    this.o.turns.run(() => this.drain());
  }

  /** Handles everything waiting now, in order (the source ended: nothing more will be read). */
  flush(): void {
    this.holding = false;
    this.drainFor(false);
  }

  private drain(): void {
    this.scheduled = false;
    let more = true;
    try {
      more = this.drainFor(true);
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
        this.scheduleDrain();
      } else if (this.paused) {
        this.paused = false;
        this.o.resume();
      }
    }
  }

  /** True when lines are left for a later turn. */
  private drainFor(paced: boolean): boolean {
    if (this.draining) return this.waiting > 0;
    this.draining = true;
    try {
      while (this.head < this.lines.length) {
        if (paced && this.o.hold?.() === true) {
          this.holding = true;
          break;
        }
        const line = this.lines[this.head] as string;
        // Let it go now: in a burst the array is seldom empty, and a handled line it still held
        // was kept alive (and copied by every scavenge) until the array was cut at 1,024.
        this.lines[this.head++] = undefined;
        this.o.handle(line);
        if (paced && this.head < this.lines.length && this.o.turns.spent()) break;
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
