/**
 * Issue 15 (event-loop p99 during a burst): a real ImsgRpcClient reading a fake imsg that writes
 * 600 message notifications at once hands them over in order, with bounded work per turn of the
 * event loop (line-pacer.ts). The clock advances 1 ms per reading, so each line "costs" about
 * 1 ms and a turn may take a handful; a turn counter driven by setImmediate tells the turns apart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { FAKE_IMSG, notification } from './fake-imsg.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { TurnBudget } from '../../src/util/turn-budget.js';

const clients: ImsgRpcClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

describe('imsg output is handled with bounded work per turn', () => {
  it('a burst of 600 notifications arrives in order, a few per turn, and the answer after them', { timeout: 30_000 }, async () => {
    let t = 0;
    const clock: Clock = { ...systemClock, now: () => (t += 1) };
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    const seen: Array<{ id: number; turn: number }> = [];
    const client = new ImsgRpcClient({
      cliPath: FAKE_IMSG,
      clock,
      requestTimeoutMs: 20_000,
      stopTimeoutMs: 1000,
      handlers: { onMessage: (_sub, m) => seen.push({ id: m.id, turn }) },
      turns: new TurnBudget({ budgetMs: 4, now: () => clock.now() }),
    });
    clients.push(client);
    await client.start();
    expect(await client.subscribe({})).toBe(1);
    setImmediate(tick);
    const ids = Array.from({ length: 600 }, (_, i) => i + 1);
    const answer = await client.request('emit', { lines: ids.map(notification) });
    ticking = false;
    expect(answer).toEqual({ ok: true });
    // All of them, in order, before the answer that was written after them.
    expect(seen.map((s) => s.id)).toEqual(ids);
    const perTurn = new Map<number, number>();
    for (const s of seen) perTurn.set(s.turn, (perTurn.get(s.turn) ?? 0) + 1);
    // Without pacing a 64 KB chunk (about 250 of these lines) is handled in one turn.
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(8);
    expect(perTurn.size).toBeGreaterThanOrEqual(600 / 8);
  });
});
