/**
 * Issue 12, item 2: the supervisor is a root actor with one child machine per account, and a
 * reload stops removed accounts' children and spawns added ones. A real Supervisor (as
 * run-gateway.ts builds it) on real imsg-sim databases and processes, on a simulated clock.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { validateConfigObject } from '../../src/config/index.js';
import { PairingService } from '../../src/policy/pairing-service.js';
import { GatewayStore } from '../../src/store/index.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { createPool } from '../../src/workers/index.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('Supervisor root actor: one child machine per account', () => {
  it('reload stops the removed account and its child, spawns the added one, and leaves the other untouched', async () => {
    const dir = tempDir('gw-reload-children-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbs = { a: createSimDb(dir, 'a-chat.db'), b: createSimDb(dir, 'b-chat.db'), c: createSimDb(dir, 'c-chat.db') };
    const open = (db: string) => ({ cliPath: SIM_BIN, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] });
    const configOf = (ids: Array<keyof typeof dbs>) =>
      validateConfigObject(
        {
          imessage: { accounts: Object.fromEntries(ids.map((id) => [id, open(dbs[id])])) },
          agents: { list: [{ id: 'echo', default: true, handler: { type: 'echo' } }] },
        },
        'reload-children test',
        { homeDir: dir },
      );
    const store = GatewayStore.open(join(dir, 'state.db'));
    const pool = createPool({ disabled: true });
    cleanups.push(() => pool.close());
    cleanups.push(() => store.close());
    const clock = new SimulatedClock();
    clock.set(Date.now());
    const supervisor = new Supervisor({
      config: configOf(['a', 'b']),
      configPath: null,
      store,
      pairing: new PairingService(store, { region: () => 'US' }),
      pool,
      mediaDir: join(dir, 'media'),
      clock,
      // The simulated clock is only advanced on purpose: finished turns commit at the next event-loop turn.
      completionWindowMs: 0,
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(async () => void (await supervisor.stop()));
    supervisor.start();
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
