import { describe, expect, it } from 'vitest';
import { TurnBudget } from '../../src/util/turn-budget.js';

/** A budget on a hand-driven clock whose turns run when `turn()` is called. */
function harness(budgetMs: number) {
  let t = 0;
  const immediates: Array<() => void> = [];
  const budget = new TurnBudget({ budgetMs, now: () => t, immediate: (fn) => immediates.push(fn) });
  const turn = () => {
    const fn = immediates.shift();
    if (!fn) return false;
    fn();
    return true;
  };
  return { budget, immediates, turn, advance: (ms: number) => (t += ms) };
}

describe('TurnBudget', () => {
  it('runs the slices of several users in one turn, in the order they were queued', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.budget.run(() => ran.push('lines'));
    h.budget.run(() => ran.push('journal'));
    h.budget.run(() => ran.push('completions'));
    expect(h.immediates).toHaveLength(1); // one callback for the turn, not one per slice
    expect(ran).toEqual([]);
    h.turn();
    expect(ran).toEqual(['lines', 'journal', 'completions']);
    expect(h.immediates).toHaveLength(0);
  });

  it('is shared: once one user has spent the turn, the others wait for the next turn', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.budget.run(() => {
      ran.push('lines');
      h.advance(4);
    });
    h.budget.run(() => {
      ran.push('journal');
      h.advance(3); // 7 ms: spent
    });
    h.budget.run(() => ran.push('completions'));
    h.turn();
    expect(ran).toEqual(['lines', 'journal']);
    expect(h.budget.waiting).toBe(1);
    expect(h.immediates).toHaveLength(1);
    h.turn();
    expect(ran).toEqual(['lines', 'journal', 'completions']);
  });

  it('spent() is what a slice looping over its backlog asks; a slice that queues itself again goes after the others', () => {
    const h = harness(5);
    const ran: string[] = [];
    let lines = 10;
    const drain = () => {
      do {
        lines--;
        ran.push('line');
        h.advance(1);
      } while (lines > 0 && !h.budget.spent());
      if (lines > 0) h.budget.run(drain);
    };
    h.budget.run(drain);
    h.budget.run(() => ran.push('commit'));
    h.turn();
    expect(ran).toEqual(['line', 'line', 'line', 'line', 'line']); // the commit was queued: next turn
    h.turn();
    expect(ran.slice(5)).toEqual(['commit', 'line', 'line', 'line', 'line', 'line']);
    expect(lines).toBe(0);
    expect(h.budget.spent()).toBe(false); // outside a turn
  });

  it('a slice queued during a turn runs in that turn while the budget lasts', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.budget.run(() => {
      ran.push('lines');
      h.budget.run(() => ran.push('journal of those lines'));
    });
    h.turn();
    expect(ran).toEqual(['lines', 'journal of those lines']);
    expect(h.immediates).toHaveLength(0);
  });

  it('later(): a slice that stops short of the budget runs in the next turn, not again in this one', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.budget.run(() => {
      ran.push('commit, then too little left for another');
      h.budget.later(() => ran.push('the next commit'));
    });
    h.budget.run(() => ran.push('lines'));
    h.turn();
    expect(ran).toEqual(['commit, then too little left for another', 'lines']);
    expect(h.budget.waiting).toBe(1);
    h.turn();
    expect(ran.at(-1)).toBe('the next commit');
    expect(h.budget.waiting).toBe(0);
  });

  it('a slice that throws does not strand the others: they run on the next turn', () => {
    const h = harness(5);
    const ran: string[] = [];
    h.budget.run(() => {
      throw new Error('slice failed');
    });
    h.budget.run(() => ran.push('after'));
    expect(() => h.turn()).toThrow('slice failed');
    expect(ran).toEqual([]);
    h.turn();
    expect(ran).toEqual(['after']);
  });

  it('with real setImmediate, the rest of a spent turn waits for a later turn of the loop', async () => {
    let t = 0;
    const budget = new TurnBudget({ budgetMs: 5, now: () => t });
    const ran: string[] = [];
    budget.run(() => {
      ran.push('a');
      t += 10;
    });
    budget.run(() => ran.push('b'));
    await new Promise((r) => setImmediate(r)); // queued after the budget's first turn
    expect(ran).toEqual(['a']);
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['a', 'b']);
  });
});
