/**
 * Turns over the session lanes (messages.queue). A turn is one agent call for one or more messages
 * of ONE chat, run in that chat's session lane.
 *
 * - `followup`: every message is its own turn, in arrival order (the lane runs them one by one).
 * - `collect` (default): a message joins the turn of its chat that is still waiting in the lane,
 *   if there is one; otherwise it opens a new turn. A turn stops taking messages when it starts,
 *   so the messages that arrive while the agent is busy with one turn are handed over together as
 *   the next. A turn opened while its lane is busy starts no sooner than `collectWindowMs` after
 *   it opened, so a burst that ends just as the agent frees up is still one turn; a turn opened in
 *   an idle lane starts at once (after the messages handed over in the same synchronous batch,
 *   such as the rows of one journal commit or those re-dispatched at start, have joined it).
 *   Messages of other chats that share the session lane (dmScope `main`) keep turns of their own.
 *   A turn holds at most `maxPerTurn` messages; the next ones open another turn.
 *   `startWaiting()` ends every collect window at once, and none is waited for while `skipWindow`
 *   says so (the inbound backlog is full and reading imsg is held: no more messages can join, so
 *   waiting would only stall the lane).
 */
import type { QueueMode } from '../config/types.js';
import type { Clock } from '../util/clock.js';
import type { SessionLanes } from './session-lanes.js';

export interface TurnCollectorOptions<T> {
  lanes: SessionLanes;
  clock: Clock;
  mode: QueueMode;
  collectWindowMs: number;
  /** Messages in one turn at most (collect). Default DEFAULT_MAX_PER_TURN. */
  maxPerTurn?: number;
  /** Runs one turn: its messages in arrival order (the last is the latest). Should not reject. */
  runTurn: (items: T[]) => Promise<void>;
  /** True while no collect window is waited for (the inbound backlog is full: see startWaiting). */
  skipWindow?: () => boolean;
  /** A turn that rejected anyway (a bug in runTurn): reported here, never unhandled. */
  onError: (err: unknown) => void;
}

export const DEFAULT_MAX_PER_TURN = 50;

interface OpenTurn<T> {
  key: string;
  items: T[];
  /** Clock time before which the turn does not start. */
  readyAt: number;
}

export class TurnCollector<T> {
  /** Turns that have not started, by session and chat (collect mode only). */
  private readonly open = new Map<string, OpenTurn<T>>();
  private readonly maxPerTurn: number;
  /** Messages handed over whose turn has not started yet. */
  private waitingItems = 0;
  /** Turns sleeping out their collect window: what ends the sleep early. */
  private readonly sleepers = new Set<{ timer: unknown; wake: () => void }>();

  constructor(private readonly o: TurnCollectorOptions<T>) {
    const max = o.maxPerTurn ?? DEFAULT_MAX_PER_TURN;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxPerTurn must be a positive integer, got ${max}`);
    if (!Number.isFinite(o.collectWindowMs) || o.collectWindowMs < 0) {
      throw new RangeError(`collectWindowMs must be a number of milliseconds of at least 0, got ${o.collectWindowMs}`);
    }
    this.maxPerTurn = max;
  }

  get mode(): QueueMode {
    return this.o.mode;
  }

  /** Messages handed over whose turn has not started (waiting in a lane or for the collect window). */
  get waiting(): number {
    return this.waitingItems;
  }

  /** Ends the collect window of every turn waiting for it: they start as their lanes reach them. */
  startWaiting(): void {
    for (const sleeper of [...this.sleepers]) {
      this.o.clock.clearTimeout(sleeper.timer);
      sleeper.wake();
    }
  }

  /** Turns waiting to start that still take messages. */
  get openTurns(): number {
    return this.open.size;
  }

  /** Hands one message of `chatKey` to the session `sessionKey`: it joins a waiting turn or opens one. */
  add(sessionKey: string, chatKey: string, item: T): void {
    const key = `${sessionKey}\n${chatKey}`;
    this.waitingItems++;
    if (this.o.mode === 'collect') {
      const waiting = this.open.get(key);
      if (waiting && waiting.items.length < this.maxPerTurn) {
        waiting.items.push(item);
        return;
      }
    }
    const busy = this.o.lanes.hasWork(sessionKey);
    const turn: OpenTurn<T> = {
      key,
      items: [item],
      readyAt: this.o.mode === 'collect' && busy ? this.o.clock.now() + this.o.collectWindowMs : 0,
    };
    if (this.o.mode === 'collect') this.open.set(key, turn);
    this.o.lanes.run(sessionKey, () => this.start(turn)).catch((err: unknown) => this.o.onError(err));
  }

  private async start(turn: OpenTurn<T>): Promise<void> {
    if (this.o.mode === 'collect') {
      // Let the rest of the current synchronous batch join before the turn closes.
      await Promise.resolve();
      const wait = turn.readyAt - this.o.clock.now();
      if (wait > 0 && this.o.skipWindow?.() !== true) await this.sleep(wait);
      if (this.open.get(turn.key) === turn) this.open.delete(turn.key);
    }
    this.waitingItems -= turn.items.length;
    await this.o.runTurn(turn.items);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleeper = {
        timer: undefined as unknown,
        wake: () => {
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      sleeper.timer = this.o.clock.setTimeout(sleeper.wake, ms);
      this.sleepers.add(sleeper);
    });
  }
}
