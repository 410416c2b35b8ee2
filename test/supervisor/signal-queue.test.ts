/**
 * The account's signal queue (issue 17, item 1 follow-up): one signal call in flight per account,
 * none while a reply of the account is held in the outbox, coalesced per chat; a start no longer
 * wanted is dropped, never sent.
 */
import { describe, expect, it } from 'vitest';
import {
  dropTyping,
  EMPTY_QUEUE,
  issued,
  nextSignal,
  type SignalQueue,
  settled,
  startOutstanding,
  wantRead,
  wantTyping,
} from '../../src/supervisor/signal-queue.js';

const P = {};
/** `typing:A+`, `typing:A-`, `read:A` for each waiting entry. */
const show = (q: SignalQueue): string[] => q.waiting.map((s) => `${s.kind}:${s.chat}${s.kind === 'typing' ? (s.on ? '+' : '-') : ''}`);
const start = (q: SignalQueue, chat: string) => wantTyping(q, chat, true, false, P);
const stop = (q: SignalQueue, chat: string) => wantTyping(q, chat, false, true, P);

describe('signal queue', () => {
  it.each([
    ['a start waits', start(EMPTY_QUEUE, 'A'), ['typing:A+']],
    ['a second start of the chat coalesces', start(start(EMPTY_QUEUE, 'A'), 'A'), ['typing:A+']],
    ['the latest wanted state wins, in place', wantTyping(start(wantRead(EMPTY_QUEUE, 'B', P), 'A'), 'A', false, true, P), ['read:B', 'typing:A-']],
    ['a start not wanted any more, nothing shown: dropped, and no stop', wantTyping(start(EMPTY_QUEUE, 'A'), 'A', false, false, P), []],
    ['a stop with nothing shown: nothing to send', wantTyping(EMPTY_QUEUE, 'A', false, false, P), []],
    ['a stop of a shown indicator waits', stop(EMPTY_QUEUE, 'A'), ['typing:A-']],
    ['a waiting stop, a new turn shows it again: one start', start(stop(EMPTY_QUEUE, 'A'), 'A'), ['typing:A+']],
    ['one read waiting per chat', wantRead(wantRead(wantRead(EMPTY_QUEUE, 'A', P), 'B', P), 'A', P), ['read:A', 'read:B']],
    ['dropTyping leaves reads', dropTyping(wantRead(start(EMPTY_QUEUE, 'A'), 'A', P), 'A'), ['read:A']],
  ] as const)('%s', (_name, q, want) => {
    expect(show(q)).toEqual(want);
  });

  it('one call in flight per account, none while a reply is held, FIFO across chats', () => {
    let q = wantRead(start(EMPTY_QUEUE, 'A'), 'B', P);
    expect(nextSignal(q, true)).toBeUndefined(); // a reply of the account is queued or sending
    expect(nextSignal(q, false)).toMatchObject({ chat: 'A', kind: 'typing', on: true });
    q = issued(q);
    expect(startOutstanding(q, 'A')).toBe(true);
    expect(nextSignal(q, false)).toBeUndefined(); // A's start is in flight
    // A read of the chat in flight does not stop another one waiting (one pending besides it).
    q = wantRead(q, 'A', P);
    expect(show(q)).toEqual(['read:B', 'read:A']);
    q = settled(q);
    expect(startOutstanding(q, 'A')).toBe(false);
    expect(nextSignal(q, false)).toMatchObject({ chat: 'B', kind: 'read' });
    q = settled(issued(q));
    q = settled(issued(q));
    expect(q).toEqual(EMPTY_QUEUE);
    expect(issued(q)).toBe(q);
  });

  it('a stop in flight is not a start outstanding: a new turn may queue its start behind it', () => {
    const q = issued(stop(EMPTY_QUEUE, 'A'));
    expect(startOutstanding(q, 'A')).toBe(false);
    expect(startOutstanding(start(q, 'A'), 'A')).toBe(true);
    expect(show(start(q, 'A'))).toEqual(['typing:A+']);
  });
});
