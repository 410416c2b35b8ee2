/**
 * messages.queue on the session lanes (turn-collector.ts), on xstate's simulated clock: which
 * messages become one turn, when a turn starts, and that followup keeps one turn per message.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { SessionLanes } from '../../src/agents/session-lanes.js';
import { TurnCollector } from '../../src/agents/turn-collector.js';
import type { QueueMode } from '../../src/config/types.js';

interface Turn {
  items: string[];
  finish: () => void;
}

/** Lets every pending promise callback run (no timers: the clock only moves when told). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function harness(mode: QueueMode, collectWindowMs = 300, maxPerTurn?: number, skipWindow?: () => boolean) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const lanes = new SessionLanes({ maxConcurrent: 4 });
  const turns: Turn[] = [];
  const errors: unknown[] = [];
  const collector = new TurnCollector<string>({
    lanes,
    clock,
    mode,
    collectWindowMs,
    ...(maxPerTurn !== undefined ? { maxPerTurn } : {}),
    ...(skipWindow ? { skipWindow } : {}),
    runTurn: (items) =>
      new Promise<void>((resolve) => {
        turns.push({ items: [...items], finish: resolve });
      }),
    onError: (err) => errors.push(err),
  });
  return { clock, lanes, turns, collector, errors };
}

describe('TurnCollector: collect', () => {
  it('5 messages that wait behind a busy turn are handed over as ONE turn, in order', async () => {
    const { turns, collector, clock } = harness('collect');
    collector.add('s', 'chat-a', 'm0');
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0']]); // an idle lane starts at once: no window
    for (const m of ['m1', 'm2', 'm3', 'm4', 'm5']) {
      clock.increment(50);
      collector.add('s', 'chat-a', m);
      await settle();
    }
    expect(turns).toHaveLength(1);
    clock.increment(150); // the slow turn goes on past the window (300 ms from m1)
    turns[0]!.finish();
    await settle();
    // The window has passed: the collected turn starts as soon as the agent is free.
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1', 'm2', 'm3', 'm4', 'm5']]);
    expect(collector.openTurns).toBe(0);
  });

  it('a turn that opened behind a busy agent waits out collectWindowMs, taking what arrives meanwhile', async () => {
    const { turns, collector, clock } = harness('collect', 300);
    collector.add('s', 'chat-a', 'm0');
    await settle();
    collector.add('s', 'chat-a', 'm1'); // opens the next turn at t0: ready at t0 + 300
    clock.increment(100);
    turns[0]!.finish();
    await settle();
    expect(turns).toHaveLength(1); // the agent is free, but the window is still open
    clock.increment(150);
    collector.add('s', 'chat-a', 'm2');
    await settle();
    expect(turns).toHaveLength(1);
    clock.increment(49);
    await settle();
    expect(turns).toHaveLength(1);
    clock.increment(1);
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1', 'm2']]);
    // Once started, the turn is closed: a later message opens the next one.
    collector.add('s', 'chat-a', 'm3');
    turns[1]!.finish();
    clock.increment(300);
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1', 'm2'], ['m3']]);
  });

  it('messages handed over in one synchronous batch to an idle lane are one turn (a journal commit, a re-dispatch at start)', async () => {
    const { turns, collector } = harness('collect');
    collector.add('s', 'chat-a', 'r1');
    collector.add('s', 'chat-a', 'r2');
    collector.add('s', 'chat-a', 'r3');
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['r1', 'r2', 'r3']]);
  });

  it('a message to an idle lane in a later batch starts at once, never waiting for the window', async () => {
    const { turns, collector } = harness('collect', 10_000);
    collector.add('s', 'chat-a', 'm0');
    await settle();
    turns[0]!.finish();
    await settle();
    collector.add('s', 'chat-a', 'm1');
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1']]);
  });

  it('chats that share a session lane (dmScope main) keep turns of their own, in the order they opened', async () => {
    const { turns, collector, clock } = harness('collect', 0);
    collector.add('agent:main:main', 'alice', 'a0');
    await settle();
    collector.add('agent:main:main', 'alice', 'a1');
    collector.add('agent:main:main', 'bob', 'b1');
    collector.add('agent:main:main', 'alice', 'a2');
    collector.add('agent:main:main', 'bob', 'b2');
    await settle();
    turns[0]!.finish();
    await settle();
    turns[1]!.finish();
    await settle();
    clock.increment(0);
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['a0'], ['a1', 'a2'], ['b1', 'b2']]);
  });

  it('sessions do not collect into each other and run side by side', async () => {
    const { turns, collector } = harness('collect');
    collector.add('s1', 'chat', 'x');
    collector.add('s2', 'chat', 'y');
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['x'], ['y']]);
  });

  it('a turn holds at most maxPerTurn messages; the rest open the next turn', async () => {
    const { turns, collector, clock } = harness('collect', 0, 2);
    collector.add('s', 'c', 'm0');
    await settle();
    for (const m of ['m1', 'm2', 'm3', 'm4', 'm5']) collector.add('s', 'c', m);
    for (let i = 0; i < 4; i++) {
      turns[i]!.finish();
      clock.increment(0);
      await settle();
    }
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1', 'm2'], ['m3', 'm4'], ['m5']]);
  });

  it('a turn that rejects is reported to onError and the lane goes on', async () => {
    const clock = new SimulatedClock();
    const lanes = new SessionLanes();
    const errors: unknown[] = [];
    const seen: string[][] = [];
    const collector = new TurnCollector<string>({
      lanes,
      clock,
      mode: 'collect',
      collectWindowMs: 0,
      runTurn: async (items) => {
        seen.push(items);
        if (items[0] === 'bad') throw new Error('boom');
      },
      onError: (err) => errors.push(err),
    });
    collector.add('s', 'c', 'bad');
    await settle();
    collector.add('s', 'c', 'good');
    await settle();
    await lanes.idle();
    expect(seen).toEqual([['bad'], ['good']]);
    expect(errors).toHaveLength(1);
  });
});

describe('TurnCollector: followup', () => {
  it('every message is its own turn, in arrival order, with no window', async () => {
    const { turns, collector } = harness('followup', 300);
    for (const m of ['m0', 'm1', 'm2']) collector.add('s', 'c', m);
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0']]);
    turns[0]!.finish();
    await settle();
    turns[1]!.finish();
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1'], ['m2']]);
    expect(collector.openTurns).toBe(0);
  });
});

describe('TurnCollector: bad options', () => {
  it.each([
    [{ collectWindowMs: -1 }, 'collectWindowMs must be a number of milliseconds of at least 0, got -1'],
    [{ collectWindowMs: Number.NaN }, 'collectWindowMs must be a number of milliseconds of at least 0, got NaN'],
    [{ maxPerTurn: 0 }, 'maxPerTurn must be a positive integer, got 0'],
  ])('%j is refused', (opts, message) => {
    expect(
      () =>
        new TurnCollector<string>({
          lanes: new SessionLanes(),
          clock: new SimulatedClock(),
          mode: 'collect',
          collectWindowMs: 300,
          runTurn: async () => undefined,
          onError: () => undefined,
          ...opts,
        }),
    ).toThrow(message);
  });
});

describe('TurnCollector: the inbound backlog (inbound-backlog.ts)', () => {
  it('counts the messages whose turn has not started, collected or not', async () => {
    const { turns, collector } = harness('collect');
    collector.add('s', 'chat-a', 'm0');
    expect(collector.waiting).toBe(1);
    await settle();
    expect(collector.waiting).toBe(0); // the idle lane started it
    for (const m of ['m1', 'm2', 'm3']) collector.add('s', 'chat-a', m);
    collector.add('s', 'chat-b', 'b1');
    expect(collector.waiting).toBe(4);
    turns[0]!.finish();
    await settle();
    expect(collector.waiting).toBe(4); // the window (300 ms) is still open
  });

  it('startWaiting() ends every open collect window, and skipWindow keeps later turns from waiting', async () => {
    let skip = false;
    const { turns, collector } = harness('collect', 300, undefined, () => skip);
    collector.add('s', 'chat-a', 'm0');
    await settle();
    collector.add('s', 'chat-a', 'm1');
    collector.add('s', 'chat-b', 'b1');
    turns[0]!.finish();
    await settle();
    expect(turns).toHaveLength(1); // chat-a's turn sleeps out its window, holding the lane
    skip = true;
    collector.startWaiting();
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1']]);
    // chat-b's turn opened while the lane was busy, but no window is waited for while skipWindow holds.
    turns[1]!.finish();
    await settle();
    expect(turns.map((t) => t.items)).toEqual([['m0'], ['m1'], ['b1']]);
    expect(collector.waiting).toBe(0);
  });
});
