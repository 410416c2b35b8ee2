import { describe, expect, it } from 'vitest';
import { LinePacer, PAUSE_AT_LINES } from '../../src/imsg/line-pacer.js';
import type { TurnSlices } from '../../src/util/turn-budget.js';

/**
 * A pacer whose clock advances `costMs` per handled line; its slices run when `turn()` is called,
 * one per call, the turn's budget starting then (the pacer is the only user of this budget).
 */
function harness(costMs: number, budgetMs = 4, hold?: () => boolean) {
  let t = 0;
  let turnStart: number | undefined;
  const handled: string[] = [];
  const perTurn: number[] = [];
  const deferred: Array<() => void> = [];
  const events: string[] = [];
  let inTurn = 0;
  const turns: TurnSlices = {
    run: (fn) => deferred.push(fn),
    later: (fn) => deferred.push(fn),
    spent: () => turns.remainingMs() <= 0,
    remainingMs: () => (turnStart === undefined ? Number.POSITIVE_INFINITY : turnStart + budgetMs - t),
    now: () => t,
  };
  const pacer = new LinePacer({
    handle: (line) => {
      if (line === 'throw') throw new Error('handler failed');
      handled.push(line);
      inTurn++;
      t += costMs;
    },
    turns,
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
    ...(hold ? { hold } : {}),
  });
  const endTurn = () => {
    perTurn.push(inTurn);
    inTurn = 0;
  };
  const turn = () => {
    const fn = deferred.shift();
    if (!fn) return false;
    turnStart = t;
    try {
      fn();
    } finally {
      turnStart = undefined;
      endTurn();
    }
    return true;
  };
  return { pacer, handled, perTurn, deferred, events, turn };
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `l${from + i}`);

describe('LinePacer', () => {
  it('handles lines in a slice, never in the push that read them; a chunk that fits the budget in one turn, without pausing', () => {
    const h = harness(0.5);
    h.pacer.push(lines(5));
    expect(h.handled).toEqual([]);
    expect(h.deferred).toHaveLength(1);
    h.pacer.push(lines(2, 5)); // another chunk of the same turn: still one slice
    expect(h.deferred).toHaveLength(1);
    h.turn();
    expect(h.handled).toEqual(lines(7));
    expect(h.events).toEqual([]);
    expect(h.deferred).toHaveLength(0);
  });

  it('spreads a large chunk over turns of at most the budget, in order, pausing the source until it is done', () => {
    const h = harness(1, 4);
    h.pacer.push(lines(10));
    h.turn();
    expect(h.handled).toEqual(lines(4));
    expect(h.events).toEqual(['pause']);
    expect(h.pacer.waiting).toBe(6);
    while (h.turn());
    expect(h.handled).toEqual(lines(10));
    expect(h.perTurn).toEqual([4, 4, 2]);
    expect(h.events).toEqual(['pause', 'resume']);
    expect(h.pacer.waiting).toBe(0);
  });

  it('pauses the source when many chunks are read before a slice runs, and resumes it once they are handled', () => {
    const h = harness(0.001, 1000);
    h.pacer.push(lines(PAUSE_AT_LINES - 1));
    expect(h.events).toEqual([]);
    h.pacer.push(lines(1, PAUSE_AT_LINES - 1));
    expect(h.events).toEqual(['pause']);
    while (h.turn());
    expect(h.handled).toHaveLength(PAUSE_AT_LINES);
    expect(h.events).toEqual(['pause', 'resume']);
  });

  it('keeps arrival order when more lines come while earlier ones wait', () => {
    const h = harness(1, 2);
    h.pacer.push(lines(5));
    h.turn();
    h.pacer.push(lines(3, 5)); // a chunk read before the next slice ran
    expect(h.handled).toEqual(lines(2));
    while (h.turn());
    expect(h.handled).toEqual(lines(8));
    expect(h.deferred).toHaveLength(0);
  });

  it('handles at least one line per turn even when one line costs more than the budget', () => {
    const h = harness(10, 4);
    h.pacer.push(lines(3));
    while (h.turn());
    expect(h.perTurn).toEqual([1, 1, 1]);
    expect(h.handled).toEqual(lines(3));
  });

  it('flush handles everything waiting at once (the source ended)', () => {
    const h = harness(1, 2);
    h.pacer.push(lines(6));
    h.turn();
    h.pacer.flush();
    expect(h.handled).toEqual(lines(6));
    expect(h.pacer.waiting).toBe(0);
    h.turn(); // the slice queued before the flush finds nothing and lets the source go
    expect(h.events).toEqual(['pause', 'resume']);
  });

  it('a handler that throws does not strand the lines after it', () => {
    const h = harness(1, 100);
    h.pacer.push(['a', 'throw', 'b', 'c']);
    expect(() => h.turn()).toThrow('handler failed');
    expect(h.handled).toEqual(['a']);
    while (h.turn());
    expect(h.handled).toEqual(['a', 'b', 'c']);
  });

  describe('hold (inbound backpressure)', () => {
    it('handles no line while held, pauses the source, and schedules nothing until kick()', () => {
      let held = false;
      const h = harness(0.1, 4, () => held);
      h.pacer.push(lines(3));
      h.turn();
      expect(h.handled).toEqual(lines(3));
      held = true;
      h.pacer.push(lines(4, 3));
      h.turn();
      expect(h.handled).toEqual(lines(3));
      expect(h.pacer.held).toBe(true);
      expect(h.pacer.waiting).toBe(4);
      expect(h.events).toEqual(['pause']);
      expect(h.deferred).toHaveLength(0); // no busy loop: nothing runs until kicked
      // More output while held only queues (the source is paused; a chunk already read still lands).
      h.pacer.push(lines(1, 7));
      expect(h.deferred).toHaveLength(0);
      expect(h.handled).toEqual(lines(3));
      // A kick while still held asks again and holds again, without handling a line.
      h.pacer.kick();
      while (h.turn());
      expect(h.handled).toEqual(lines(3));
      expect(h.pacer.held).toBe(true);
      held = false;
      h.pacer.kick();
      while (h.turn());
      expect(h.handled).toEqual(lines(8)); // in order, nothing lost or repeated
      expect(h.pacer.held).toBe(false);
      expect(h.events).toEqual(['pause', 'resume']);
    });

    it('holds between two lines of one chunk when the consumer fills up mid-chunk', () => {
      const h = harness(0.1, 100, () => h.handled.length >= 2 && !released);
      let released = false;
      h.pacer.push(['a']);
      h.pacer.push(['b']);
      h.pacer.push(['c', 'd']);
      h.turn();
      expect(h.handled).toEqual(['a', 'b']);
      expect(h.pacer.waiting).toBe(2);
      released = true;
      h.pacer.kick();
      while (h.turn());
      expect(h.handled).toEqual(['a', 'b', 'c', 'd']);
    });

    it('requeue() puts lines back before those still waiting, in order', () => {
      let held = true;
      const h = harness(0.1, 4, () => held);
      h.pacer.push(['c', 'd']);
      h.turn();
      h.pacer.requeue(['a', 'b']);
      expect(h.handled).toEqual([]);
      held = false;
      h.pacer.kick();
      while (h.turn());
      expect(h.handled).toEqual(['a', 'b', 'c', 'd']);
    });

    it('kick() when not held does nothing', () => {
      const h = harness(0.1, 4, () => false);
      h.pacer.kick();
      expect(h.deferred).toHaveLength(0);
      h.pacer.push(lines(2));
      h.turn();
      expect(h.handled).toEqual(lines(2));
    });

    it('flush handles every line even while held (the source ended)', () => {
      const h = harness(0.1, 4, () => true);
      h.pacer.push(lines(3));
      h.turn();
      expect(h.handled).toEqual([]);
      h.pacer.flush();
      expect(h.handled).toEqual(lines(3));
      expect(h.pacer.held).toBe(false);
    });
  });

  it('keeps no line it has handled: in a burst that never drains, only the waiting lines stay referenced', () => {
    const h = harness(1);
    const held = () => (h.pacer as unknown as { lines: Array<string | undefined> }).lines.filter((l) => l !== undefined);
    // Each turn handles 4 lines while 5 more arrive: the pacer never empties, so its array is never reset.
    for (let i = 0; i < 50; i++) {
      h.pacer.push(lines(5, i * 5));
      h.turn();
      expect(held()).toHaveLength(h.pacer.waiting);
    }
    expect(h.handled).toHaveLength(200);
    expect(held()).toEqual(lines(50, 200));
  });
});
