import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BreakerChatState, LoopBreaker, REFLECTION_WINDOW_MS } from '../../src/supervisor/loop-breaker.js';

describe('echo-loop breaker', () => {
  it('lets every answered message pay for its reply turn, so a burst answered one by one never pauses', () => {
    const b = new LoopBreaker(2, () => 0);
    // 30 messages arrive, then their 30 turns queue replies (each granted as it is queued), then send.
    for (let i = 0; i < 30; i++) b.noteInbound('c', `m${i}`);
    for (let i = 0; i < 30; i++) b.grant('c');
    for (let i = 0; i < 30; i++) expect(b.noteSent('c', `r${i}`)).toBe(false);
    expect(b.isPaused('c')).toBe(false);
  });

  it('keeps no credit for messages that got no reply turn: a later loop still pauses at the cap', () => {
    const b = new LoopBreaker(2, () => 0);
    // A thousand messages nobody answered (the policy dropped them, the agent stayed silent, or
    // they were collected into a few turns): no grant for them.
    for (let i = 0; i < 1000; i++) b.noteInbound('c', `m${i}`);
    // The bot's own text comes back and is answered, again and again: paused after two turns.
    b.noteSent('c', 'echo');
    expect(b.noteInbound('c', 'echo')).toBe(false);
    expect(b.noteSent('c', 'echo: echo')).toBe(true);
    expect(b.isPaused('c')).toBe(true);
  });

  it('pauses after `cap` unpaid replies and resumes when someone writes', () => {
    const b = new LoopBreaker(2, () => 0);
    b.noteInbound('c', 'hi');
    b.grant('c'); // its turn queues a reply
    expect(b.noteSent('c', 'a')).toBe(false); // paid
    expect(b.noteSent('c', 'b')).toBe(false);
    expect(b.noteSent('c', 'c')).toBe(true); // second unpaid: paused now
    expect(b.isPaused('c')).toBe(true);
    expect(b.paused()).toEqual(['c']);
    expect(b.noteInbound('c', 'hello again')).toBe(true);
    expect(b.isPaused('c')).toBe(false);
  });

  it('does not count a reflection of our own text as someone writing', () => {
    let now = 0;
    const b = new LoopBreaker(2, () => now);
    b.noteInbound('c', 'start');
    b.grant('c'); // its turn queues the first echo
    b.noteSent('c', 'echo: start');
    // The bot's own message comes back as inbound and is answered, again and again.
    expect(b.noteInbound('c', 'echo: start')).toBe(false);
    b.noteSent('c', 'echo: echo: start');
    expect(b.noteInbound('c', 'echo: echo: start')).toBe(false);
    expect(b.noteSent('c', 'echo: echo: echo: start')).toBe(true);
    // Much later the same text is a person again.
    now = 11 * 60_000;
    expect(b.noteInbound('c', 'echo: start')).toBe(true);
  });

  it('keeps chats apart', () => {
    const b = new LoopBreaker(1, () => 0);
    b.noteSent('a', 'x');
    expect(b.isPaused('a')).toBe(true);
    expect(b.isPaused('b')).toBe(false);
  });

  it('counts a reply turn once, however many rows (chunks, files) it has', () => {
    const b = new LoopBreaker(2, () => 0);
    b.noteInbound('c', 'a long question');
    b.grant('c');
    // A 16-chunk reply: the first row starts the turn (paid), the rest continue it.
    expect(b.noteSent('c', 'chunk 0', true)).toBe(false);
    for (let j = 1; j < 16; j++) expect(b.noteSent('c', `chunk ${j}`, false)).toBe(false);
    expect(b.isPaused('c')).toBe(false);
    // Two unpaid turns of 16 chunks each pause it at the second turn's first row, not before.
    expect(b.noteSent('c', 'turn 2', true)).toBe(false);
    for (let j = 1; j < 16; j++) expect(b.noteSent('c', `turn 2 chunk ${j}`, false)).toBe(false);
    expect(b.noteSent('c', 'turn 3', true)).toBe(true);
    expect(b.isPaused('c')).toBe(true);
  });

  it('recognises any chunk of a long reply coming back as a reflection', () => {
    const b = new LoopBreaker(1, () => 0);
    b.noteSent('c', 'part one', true);
    b.noteSent('c', 'part two', false);
    expect(b.isPaused('c')).toBe(true);
    expect(b.noteInbound('c', 'part two')).toBe(false);
    expect(b.isPaused('c')).toBe(true);
  });

  it('hands every change of the unpaid count or the pause to persist, and nothing for paid replies', () => {
    let now = 5;
    const saved: BreakerChatState[] = [];
    const b = new LoopBreaker(2, () => now, (c) => saved.push(c));
    b.noteInbound('c', 'hi');
    b.grant('c');
    b.noteSent('c', 'paid', true);
    expect(saved).toEqual([]);
    b.noteSent('c', 'unpaid 1', true);
    now = 7;
    b.noteSent('c', 'unpaid 2', true);
    expect(saved).toEqual([
      { chatKey: 'c', unpaid: 1, pausedAt: null },
      { chatKey: 'c', unpaid: 2, pausedAt: 7 },
    ]);
    b.noteInbound('c', 'a person');
    expect(saved.at(-1)).toEqual({ chatKey: 'c', unpaid: 0, pausedAt: null });
    expect(saved).toHaveLength(3);
  });

  it('restores a pause, the unpaid count and recent texts, so a restart neither forgets a pause nor a loop', () => {
    let now = 1_000_000;
    const b = new LoopBreaker(2, () => now);
    b.restore({
      chats: [
        { chatKey: 'paused', unpaid: 2, pausedAt: 999_000 },
        { chatKey: 'looping', unpaid: 1, pausedAt: null },
      ],
      recentSent: [{ chatKey: 'looping', text: 'echo: x', at: now - 1000 }],
      credits: new Map(),
    });
    expect(b.paused()).toEqual(['paused']);
    expect(b.pausedSince()).toEqual([{ chatKey: 'paused', since: 999_000 }]);
    // The reflection is still recognised after the restart: it pays nothing.
    expect(b.noteInbound('looping', 'echo: x')).toBe(false);
    expect(b.noteSent('looping', 'echo: echo: x', true)).toBe(true);
    // Someone writes in the paused chat: it resumes.
    now += 1;
    expect(b.noteInbound('paused', 'anyone there?')).toBe(true);
    expect(b.isPaused('paused')).toBe(false);
  });

  it('credits reply turns queued before a restart, so they are not stranded by a fresh count', () => {
    const b = new LoopBreaker(2, () => 0);
    b.restore({ chats: [], recentSent: [], credits: new Map([['c', 5]]) });
    b.grant('c'); // a message re-dispatched at start queues its reply
    for (let i = 0; i < 6; i++) expect(b.noteSent('c', `r${i}`, true)).toBe(false);
    expect(b.isPaused('c')).toBe(false);
    b.noteSent('c', 'x', true);
    expect(b.noteSent('c', 'y', true)).toBe(true);
  });

  it('property: paused() and pausedSince() name exactly the chats isPaused() says, in the order they paused, whatever happens', () => {
    const chats = ['a', 'b', 'c', 'd'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('sent' as const), chat: fc.constantFrom(...chats), text: fc.constantFrom('x', 'y', ''), startsTurn: fc.boolean() }),
      fc.record({ kind: fc.constant('inbound' as const), chat: fc.constantFrom(...chats), text: fc.constantFrom('x', 'hi', 'hello') }),
      fc.record({ kind: fc.constant('grant' as const), chat: fc.constantFrom(...chats), turns: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 200_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), (ops, cap) => {
        let now = 1_000_000;
        const b = new LoopBreaker(cap, () => now);
        const order: string[] = [];
        for (const o of ops) {
          if (o.kind === 'sent') b.noteSent(o.chat, o.text, o.startsTurn);
          else if (o.kind === 'inbound') b.noteInbound(o.chat, o.text);
          else if (o.kind === 'grant') b.grant(o.chat, o.turns);
          else now += o.ms;
          for (const c of chats) {
            const i = order.indexOf(c);
            if (b.isPaused(c) && i === -1) order.push(c);
            if (!b.isPaused(c) && i !== -1) order.splice(i, 1);
          }
          expect(b.paused()).toEqual(order);
          expect(b.pausedSince().map((p) => p.chatKey)).toEqual(order);
        }
      }),
      { seed: 20261201, numRuns: 300 },
    );
  });

  it('forgets chats whose state is back to nothing, and keeps paused ones, credited ones and recent texts', () => {
    let now = 1_000_000;
    const b = new LoopBreaker(1, () => now);
    b.noteSent('loop', 'echo'); // cap 1: paused
    b.grant('credited');
    b.noteSent('recent', 'hello there'); // paid by nothing: unpaid 1, paused too at cap 1
    b.noteInbound('recent', 'someone writes'); // resumes it: only its sent text remains
    for (let i = 0; i < 1000; i++) b.noteInbound(`chat-${i}`, `message ${i}`);
    expect(b.trackedChats).toBeLessThan(300);
    expect(b.isPaused('loop')).toBe(true);
    expect(b.paused()).toEqual(['loop']);
    expect(b.isReflection('recent', 'hello there')).toBe(true);
    // Past the reflection window the sent text no longer matters, and the chat is forgotten too.
    now += REFLECTION_WINDOW_MS + 1;
    for (let i = 1000; i < 1300; i++) b.noteInbound(`chat-${i}`, `message ${i}`);
    expect(b.isReflection('recent', 'hello there')).toBe(false);
    expect(b.isPaused('loop')).toBe(true);
    // The credit is still there: the next unpaid turn in that chat is paid by it.
    expect(b.noteSent('credited', 'reply')).toBe(false);
    expect(b.isPaused('credited')).toBe(false);
    expect(b.trackedChats).toBeLessThan(300);
  });
});
