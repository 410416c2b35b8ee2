import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairScheduler } from '../../src/supervisor/fair-scheduler.js';

/** Drains per-chat queues of ids through the scheduler; returns the chat of each send in order. */
function drain(queues: Record<string, number[]>, scheduler = new FairScheduler()): string[] {
  const order: string[] = [];
  const q = Object.fromEntries(Object.entries(queues).map(([k, v]) => [k, [...v]]));
  for (;;) {
    const heads = Object.entries(q)
      .filter(([, ids]) => ids.length > 0)
      .map(([chatKey, ids]) => ({ chatKey, id: ids[0]! }));
    scheduler.retain(heads.map((h) => h.chatKey));
    const pick = scheduler.pick(heads);
    if (!pick) return order;
    q[pick.chatKey]!.shift();
    order.push(pick.chatKey);
  }
}

describe('fair outbox scheduler', () => {
  it('starts with the oldest head, then takes chats in turn', () => {
    const big = Array.from({ length: 6 }, (_, i) => i + 1);
    expect(drain({ big, a: [100, 101], b: [200] })).toEqual(['big', 'a', 'b', 'big', 'a', 'big', 'big', 'big', 'big']);
  });

  it("serves a chat that arrives during a huge reply right after the send in progress", () => {
    const s = new FairScheduler();
    const big = { chatKey: 'big', id: 1 };
    for (let i = 0; i < 1000; i++) expect(s.pick([{ ...big, id: i + 1 }])?.chatKey).toBe('big');
    expect(s.pick([{ chatKey: 'big', id: 1001 }, { chatKey: 'new', id: 5000 }])?.chatKey).toBe('new');
    expect(s.pick([{ chatKey: 'big', id: 1001 }])?.chatKey).toBe('big');
  });

  it('returns nothing when no chat may send', () => {
    expect(new FairScheduler().pick([])).toBeUndefined();
  });

  it('makes no chat wait more than k - 1 sends between its own while k chats have rows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        let id = 0;
        const queues: Record<string, number[]> = {};
        sizes.forEach((n, c) => (queues[`c${c}`] = Array.from({ length: n }, () => ++id)));
        const order = drain(queues);
        expect(order).toHaveLength(id);
        const remaining = new Map(Object.entries(queues).map(([k, v]) => [k, v.length]));
        const last = new Map<string, { at: number; waiting: number }>();
        order.forEach((chat, i) => {
          const waiting = [...remaining.values()].filter((n) => n > 0).length;
          const prev = last.get(chat);
          if (prev !== undefined) expect(i - prev.at - 1).toBeLessThanOrEqual(prev.waiting - 1);
          last.set(chat, { at: i, waiting });
          remaining.set(chat, remaining.get(chat)! - 1);
        });
        // Every chat's first send comes within the first k sends.
        for (const chat of Object.keys(queues)) expect(order.indexOf(chat)).toBeLessThan(sizes.length);
      }),
    );
  });
});
