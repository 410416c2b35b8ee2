import { describe, expect, it } from 'vitest';
import { LinePacer } from '../../src/imsg/line-pacer.js';

/** A pacer whose clock advances `costMs` per handled line; deferred turns run when `turn()` is called. */
function harness(costMs: number, budgetMs = 4, hold?: () => boolean) {
  let t = 0;
  const handled: string[] = [];
  const perTurn: number[] = [];
  const deferred: Array<() => void> = [];
  const events: string[] = [];
  let inTurn = 0;
  const pacer = new LinePacer({
    handle: (line) => {
      if (line === 'throw') throw new Error('handler failed');
      handled.push(line);
      inTurn++;
      t += costMs;
    },
    budgetMs,
    now: () => t,
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
    defer: (fn) => deferred.push(fn),
    ...(hold ? { hold } : {}),
  });
  const endTurn = () => {
    perTurn.push(inTurn);
    inTurn = 0;
  };
  const turn = () => {
    const fn = deferred.shift();
    if (!fn) return false;
    fn();
    endTurn();
    return true;
  };
  return { pacer, handled, perTurn, deferred, events, endTurn, turn };
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `l${from + i}`);

describe('LinePacer', () => {
  it('handles a chunk that fits the budget in the same turn, without pausing', () => {
    const h = harness(0.5);
    h.pacer.push(lines(5));
    expect(h.handled).toEqual(lines(5));
    expect(h.events).toEqual([]);
    expect(h.deferred).toHaveLength(0);
  });

  it('spreads a large chunk over turns of at most the budget, in order, pausing the source until it is done', () => {
    const h = harness(1, 4);
    h.pacer.push(lines(10));
    h.endTurn();
    expect(h.handled).toEqual(lines(4));
    expect(h.events).toEqual(['pause']);
    expect(h.pacer.waiting).toBe(6);
    while (h.turn());
    expect(h.handled).toEqual(lines(10));
    expect(h.perTurn).toEqual([4, 4, 2]);
    expect(h.events).toEqual(['pause', 'resume']);
    expect(h.pacer.waiting).toBe(0);
  });

  it('keeps arrival order when more lines come while earlier ones wait', () => {
    const h = harness(1, 2);
    h.pacer.push(lines(5));
    h.pacer.push(lines(3, 5)); // a chunk read before the deferred turn ran
    expect(h.handled).toEqual(lines(2));
    while (h.turn());
    expect(h.handled).toEqual(lines(8));
    expect(h.deferred).toHaveLength(0);
  });

  it('handles at least one line per turn even when one line costs more than the budget', () => {
    const h = harness(10, 4);
    h.pacer.push(lines(3));
    h.endTurn();
    while (h.turn());
    expect(h.perTurn).toEqual([1, 1, 1]);
    expect(h.handled).toEqual(lines(3));
  });

  it('flush handles everything waiting at once (the source ended)', () => {
    const h = harness(1, 2);
    h.pacer.push(lines(6));
    h.pacer.flush();
    expect(h.handled).toEqual(lines(6));
    expect(h.pacer.waiting).toBe(0);
    h.turn(); // the turn scheduled before the flush finds nothing and lets the source go
    expect(h.events).toEqual(['pause', 'resume']);
  });

  it('a handler that throws does not strand the lines after it', () => {
    const h = harness(1, 100);
    expect(() => h.pacer.push(['a', 'throw', 'b', 'c'])).toThrow('handler failed');
    expect(h.handled).toEqual(['a']);
    while (h.turn());
    expect(h.handled).toEqual(['a', 'b', 'c']);
  });

  describe('hold (inbound backpressure)', () => {
    it('handles no line while held, pauses the source, and schedules nothing until kick()', () => {
      let held = false;
      const h = harness(0.1, 4, () => held);
      h.pacer.push(lines(3));
      expect(h.handled).toEqual(lines(3));
      held = true;
      h.pacer.push(lines(4, 3));
      expect(h.handled).toEqual(lines(3));
      expect(h.pacer.held).toBe(true);
      expect(h.pacer.waiting).toBe(4);
      expect(h.events).toEqual(['pause']);
      expect(h.deferred).toHaveLength(0); // no busy loop: nothing runs until kicked
      // More output while held only queues (the source is paused; a chunk already read still lands).
      h.pacer.push(lines(1, 7));
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
      let seen = 0;
      const h = harness(0.1, 100, () => seen >= 2);
      const pacer = h.pacer;
      const push = (ls: string[]) => {
        pacer.push(ls);
        seen = h.handled.length;
      };
      push(['a']);
      push(['b']);
      push(['c', 'd']);
      expect(h.handled).toEqual(['a', 'b']);
      expect(pacer.waiting).toBe(2);
      seen = 0;
      pacer.kick();
      while (h.turn());
      expect(h.handled).toEqual(['a', 'b', 'c', 'd']);
    });

    it('requeue() puts lines back before those still waiting, in order', () => {
      let held = true;
      const h = harness(0.1, 4, () => held);
      h.pacer.push(['c', 'd']);
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
      expect(h.handled).toEqual(lines(2));
    });

    it('flush handles every line even while held (the source ended)', () => {
      const h = harness(0.1, 4, () => true);
      h.pacer.push(lines(3));
      expect(h.handled).toEqual([]);
      h.pacer.flush();
      expect(h.handled).toEqual(lines(3));
      expect(h.pacer.held).toBe(false);
    });
  });
});
