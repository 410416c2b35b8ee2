/**
 * The account's signal queue (issue 17, item 1 follow-up): which typing / read request, if any,
 * goes to imsg next. Pure; chat-signals.ts keeps one per account (per imsg child) and applies it.
 *
 * imsg runs `typing`, `read` and `send` on ONE FIFO mutation lane per process, shared by all
 * chats (current spec §4.1, the lanes table). So the queue is per account, not per chat:
 * - at most one signal call is in flight per account; the others wait here;
 * - nothing is issued while the account's outbox has a reply queued or sending (`held`); the
 *   queue is released by the outbox's next pass that finds nothing ready;
 * - coalesced per chat: one waiting typing entry holding the latest wanted state, and at most one
 *   waiting `read`. A typing start no longer wanted before it went is dropped, never sent; a stop
 *   is queued only when the chat's indicator was shown.
 * A reply never waits for a signal: the worst a send can meet in the lane is the one signal call
 * already in flight when the reply was queued.
 */
export type SignalKind = 'typing' | 'read';

export interface QueuedSignal {
  chat: string;
  kind: SignalKind;
  /** typing: the wanted state (true: show or renew, false: stop). */
  on?: boolean;
  /** The request's target params (chat_guid / chat_id / handle). */
  params: Record<string, unknown>;
}

export interface SignalQueue {
  readonly waiting: readonly QueuedSignal[];
  readonly inFlight: QueuedSignal | undefined;
}

export const EMPTY_QUEUE: SignalQueue = { waiting: [], inFlight: undefined };

/**
 * The chat's indicator should be `on`. `shown`: the last typing request issued for the chat was a
 * start (so a stop is needed to clear it).
 */
export function wantTyping(q: SignalQueue, chat: string, on: boolean, shown: boolean, params: Record<string, unknown>): SignalQueue {
  const at = q.waiting.findIndex((s) => s.chat === chat && s.kind === 'typing');
  if (at >= 0) {
    const entry = q.waiting[at]!;
    if (entry.on === on) return q;
    // Not wanted any more and nothing on screen to stop: the waiting start is dropped.
    if (!on && !shown) return { ...q, waiting: q.waiting.filter((_, i) => i !== at) };
    return { ...q, waiting: q.waiting.map((s, i) => (i === at ? { ...s, on } : s)) };
  }
  if (!on && !shown) return q;
  return { ...q, waiting: [...q.waiting, { chat, kind: 'typing', on, params }] };
}

/** Drops the chat's waiting typing request, if any (its turns are done: no renewal is wanted). */
export function dropTyping(q: SignalQueue, chat: string): SignalQueue {
  const waiting = q.waiting.filter((s) => !(s.chat === chat && s.kind === 'typing'));
  return waiting.length === q.waiting.length ? q : { ...q, waiting };
}

/** A `read` for the chat; folds into one already waiting. */
export function wantRead(q: SignalQueue, chat: string, params: Record<string, unknown>): SignalQueue {
  if (q.waiting.some((s) => s.chat === chat && s.kind === 'read')) return q;
  return { ...q, waiting: [...q.waiting, { chat, kind: 'read', params }] };
}

/**
 * Whether a typing start (or renewal) of the chat waits or is in flight: another one on top would
 * add nothing. A stop in flight does not count (a new turn's start may wait behind it).
 */
export function startOutstanding(q: SignalQueue, chat: string): boolean {
  const start = (s: QueuedSignal | undefined): boolean => s?.chat === chat && s.kind === 'typing' && s.on === true;
  return start(q.inFlight) || q.waiting.some(start);
}

/** The request to issue now, or undefined: one in flight already, a reply of the account is held in the outbox, or nothing waits. */
export function nextSignal(q: SignalQueue, held: boolean): QueuedSignal | undefined {
  if (q.inFlight || held) return undefined;
  return q.waiting[0];
}

/** `nextSignal` was issued: it leaves the queue and is in flight. */
export function issued(q: SignalQueue): SignalQueue {
  const [first, ...rest] = q.waiting;
  return first ? { waiting: rest, inFlight: first } : q;
}

/** The in-flight request was answered (or failed, or could not be written). */
export function settled(q: SignalQueue): SignalQueue {
  return q.inFlight ? { ...q, inFlight: undefined } : q;
}
