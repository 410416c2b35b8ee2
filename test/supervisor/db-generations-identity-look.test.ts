/**
 * Issue 15 (idle CPU): the chat.db identity looks of all connected accounts fall due on the same
 * whole second, so a fleet shares one wakeup a second instead of one per account. Real watches on
 * a real store file and a real (missing) chat.db path, on a simulated clock that records when each
 * timer is due.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { GatewayStore } from '../../src/store/index.js';
import { DbGenerations, IDENTITY_POLL_MS, nextIdentityLookIn } from '../../src/supervisor/db-generations.js';
import type { Clock } from '../../src/util/clock.js';
import { tempHome } from '../store/store-helpers.js';

describe('chat.db identity looks (db-generations.ts)', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0).reverse()) fn();
  });

  it('looks every 5 s, on the next whole multiple of 5 s of the clock', () => {
    expect(IDENTITY_POLL_MS).toBe(5000);
    expect(nextIdentityLookIn(0)).toBe(5000);
    expect(nextIdentityLookIn(1)).toBe(4999);
    expect(nextIdentityLookIn(4999)).toBe(1);
    expect(nextIdentityLookIn(1_700_000_000_123)).toBe(4877);
    expect(nextIdentityLookIn(1_700_000_005_000)).toBe(5000);
  });

  it('accounts connected at different moments look at the same instants', () => {
    const home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    cleanups.push(() => home.cleanup(), () => store.close());
    const sim = new SimulatedClock();
    sim.set(1_700_000_000_000);
    const due: Record<string, number[]> = {};
    const clockOf = (id: string): Clock => ({
      now: () => sim.now(),
      setTimeout: (fn, ms) => {
        (due[id] ??= []).push(sim.now() + ms);
        return sim.setTimeout(fn, ms);
      },
      clearTimeout: (h) => sim.clearTimeout(h as never),
    });
    const client = { request: async () => ({}), inFlight: 0 } as never;
    const watch = (id: string) => {
      const g = new DbGenerations({
        accountId: id,
        dbPath: `${home.dir}/${id}-chat.db`,
        store,
        clock: clockOf(id),
        logger: pino({ level: 'silent' }),
        flush: () => undefined,
        onNewGeneration: () => undefined,
      });
      const stop = g.watch(client, false, 60_000, () => undefined);
      cleanups.push(stop);
    };
    sim.increment(137);
    watch('a');
    sim.increment(421);
    watch('b');
    for (let s = 0; s < 5; s++) sim.increment(IDENTITY_POLL_MS); // one period at a time: the simulated clock fires each timer once per increment
    expect(due['a']!.length).toBeGreaterThanOrEqual(5);
    expect(due['b']).toEqual(due['a']!.slice(0, due['b']!.length));
    expect(due['a']!.every((t) => t % IDENTITY_POLL_MS === 0)).toBe(true);
  });
});
