/**
 * Issue 12, item 2: the supervisor is a root actor with one child machine per account, and a
 * reload stops removed accounts' children and spawns added ones. A real Supervisor (as
 * run-gateway.ts builds it) on real imsg-sim databases and processes, on a simulated clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Cleanups, echoConfig, fixtureDir, openSimAccount, startRealSupervisor } from '../helpers/real-supervisor.js';
import { createSimDb, inject, sentRows, waitUntil } from '../helpers/sim-db.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('Supervisor root actor: one child machine per account', () => {
  it('reload stops the removed account and its child, spawns the added one, and leaves the other untouched', async () => {
    const dir = fixtureDir(cleanups, 'gw-reload-children-');
    const dbs = { a: createSimDb(dir, 'a-chat.db'), b: createSimDb(dir, 'b-chat.db'), c: createSimDb(dir, 'c-chat.db') };
    const configOf = (ids: Array<keyof typeof dbs>) =>
      echoConfig(dir, Object.fromEntries(ids.map((id) => [id, openSimAccount(dbs[id])])), 'reload-children test');
    const { supervisor } = startRealSupervisor(cleanups, { dir, config: configOf(['a', 'b']) });
    expect(supervisor.rootView).toEqual({ running: ['a', 'b'], failed: {} });
    const a = supervisor.account('a')!;
    const b = supervisor.account('b')!;
    await waitUntil(() => a.status().state === 'streaming' && b.status().state === 'streaming', 'a and b streaming');
    const aPid = a.status().childPid!;
    const bPid = b.status().childPid!;

    const result = await supervisor.reload(configOf(['b', 'c']));
    expect(result).toMatchObject({ stopped: ['a'], started: ['c'], restarted: [], unchanged: ['b'] });
    expect(supervisor.rootView).toEqual({ running: ['b', 'c'], failed: {} });
    expect(supervisor.account('a')).toBeUndefined();
    // The removed account's machine reached `stopped` and its imsg child is gone.
    expect(a.status()).toMatchObject({ state: 'stopped', childPid: null });
    expect(() => process.kill(aPid, 0)).toThrow();
    // b kept its machine and its child.
    expect(supervisor.account('b')).toBe(b);
    expect(b.status()).toMatchObject({ state: 'streaming', childPid: bPid });
    const c = supervisor.account('c')!;
    await waitUntil(() => c.status().state === 'streaming' || undefined, 'c streaming');
    inject(dbs.c, { from: '+15550000003', text: 'hello c' });
    await waitUntil(() => sentRows(dbs.c).find((r) => r.text === 'echo: hello c'), 'c answering');

    await supervisor.stop();
    expect(supervisor.rootView).toEqual({ running: [], failed: {} });
  });
});
