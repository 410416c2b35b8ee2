/**
 * Issue 14, item 7: accounts on one Messages source share one watcher. A real Supervisor on real
 * imsg-sim databases and processes: the owner runs the one child and answers once; the duplicate is
 * `merged`; reloads that add a duplicate, remove the owner (the duplicate takes over from the
 * owner's cursor) and give the duplicate its own dbPath start and stop the right children. A
 * first-by-id account whose cliPath does not resolve does not own the source: the working one runs
 * and answers once, until a reload finds the broken one fixed and hands the source over; when the
 * owner's cliPath stops resolving at runtime it ends misconfigured and the next reload hands it back.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cleanups, echoConfig, fixtureDir, openSimAccount, recordingLogger, startRealSupervisor } from '../helpers/real-supervisor.js';
import { createSimDb, inject, SIM_BIN, sentRows, waitUntil } from '../helpers/sim-db.js';
import { processAlive } from '../../src/util/process-alive.js';

const cleanups: Cleanups = [];
const FOLLOWUP = { messages: { queue: { mode: 'followup' } } };
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const alive = processAlive;

describe('Supervisor: one watcher per Messages source', () => {
  it('merges a duplicate into the owner, and reloads start and stop the right children', async () => {
    const dir = fixtureDir(cleanups, 'gw-shared-source-');
    const shared = createSimDb(dir, 'shared.db');
    const own = createSimDb(dir, 'own.db');
    const configOf = (accounts: Record<string, string>) =>
      echoConfig(dir, Object.fromEntries(Object.entries(accounts).map(([id, db]) => [id, openSimAccount(db)])), 'shared-source test', FOLLOWUP);
    const { logger, records } = recordingLogger();
    const { supervisor, store } = startRealSupervisor(cleanups, { dir, config: configOf({ alpha: shared }), logger });
    const alpha = supervisor.account('alpha')!;
    await waitUntil(() => alpha.status().state === 'streaming' || undefined, 'alpha streaming');
    const alphaPid = alpha.status().childPid!;

    // Reload adds a duplicate on the same chat.db: it runs nothing, alpha keeps its child.
    const added = await supervisor.reload(configOf({ alpha: shared, beta: shared }));
    expect(added).toMatchObject({ started: ['beta'], unchanged: ['alpha'], restarted: [], stopped: [] });
    expect(supervisor.rootView.running).toEqual(['alpha']);
    expect(supervisor.account('beta')).toBeUndefined();
    expect(supervisor.account('alpha')).toBe(alpha);
    expect(alpha.status().childPid).toBe(alphaPid);
    const beta = supervisor.status().accounts.find((a) => a.id === 'beta')!;
    expect(beta).toMatchObject({ state: 'merged', mergedInto: 'alpha', health: 'warning', childPid: null, reason: 'merged into alpha', lastErrorClass: 'shared-messages-source' });
    expect(beta.remediation).toContain('give beta its own dbPath');
    expect(supervisor.status().accounts.find((a) => a.id === 'alpha')!.mergedAccounts).toEqual(['beta']);
    expect(supervisor.merged).toEqual(new Map([['beta', 'alpha']]));
    const warning = records.find((r) => r.errorClass === 'shared-messages-source');
    expect(warning).toMatchObject({ level: 40, owner: 'alpha', merged: ['beta'] });

    // Each message is answered once, by the owner.
    for (const n of [1, 2, 3]) inject(shared, { from: '+15550000001', text: `one ${n}` });
    await waitUntil(() => sentRows(shared).filter((r) => r.text.startsWith('echo: one')).length >= 3 || undefined, 'three replies');
    await waitUntil(() => store.getCursor('alpha')! >= 3 || undefined, 'alpha cursor past the three');

    // Removing the owner promotes beta: alpha's child stops before beta's starts, and beta goes on
    // from alpha's cursor (nothing answered twice).
    const promoted = await supervisor.reload(configOf({ beta: shared }));
    expect(promoted).toMatchObject({ stopped: ['alpha'], restarted: ['beta'] });
    expect(alive(alphaPid)).toBe(false);
    expect(supervisor.rootView.running).toEqual(['beta']);
    const betaRuntime = supervisor.account('beta')!;
    await waitUntil(() => betaRuntime.status().state === 'streaming' || undefined, 'beta streaming');
    const alphaCursor = store.getCursor('alpha')!;
    expect(records.find((r) => r.msg === 'takes over the Messages source: continues after the row its previous reader got to')).toMatchObject({ account: 'beta', from: 'alpha', cursor: alphaCursor });
    expect(store.getCursor('beta')).toBeGreaterThanOrEqual(alphaCursor);
    inject(shared, { from: '+15550000001', text: 'two' });
    await waitUntil(() => sentRows(shared).find((r) => r.text === 'echo: two'), 'beta answering');
    const echoes = sentRows(shared).map((r) => r.text).filter((t) => t.startsWith('echo: '));
    expect(echoes.sort()).toEqual(['echo: one 1', 'echo: one 2', 'echo: one 3', 'echo: two']);

    // alpha comes back (sorts first): it takes the source over from beta, which is merged again.
    const back = await supervisor.reload(configOf({ alpha: shared, beta: shared }));
    expect(back).toMatchObject({ started: ['alpha'], restarted: ['beta'] });
    expect(supervisor.rootView.running).toEqual(['alpha']);
    const alpha2 = supervisor.account('alpha')!;
    await waitUntil(() => alpha2.status().state === 'streaming' || undefined, 'alpha streaming again');
    expect(supervisor.status().accounts.find((a) => a.id === 'beta')).toMatchObject({ state: 'merged', mergedInto: 'alpha' });
    // The warning is logged again at this reload (the one with only beta had no shared source).
    expect(records.filter((r) => r.errorClass === 'shared-messages-source')).toHaveLength(2);

    // beta gets its own dbPath: two sources, two children, both streaming and answering.
    const split = await supervisor.reload(configOf({ alpha: shared, beta: own }));
    // (alpha restarts too: its agent is now shared by two running accounts, which changes its group
    // session keys, as when any second account is added.)
    expect(split.restarted.sort()).toEqual(['alpha', 'beta']);
    expect(supervisor.rootView.running).toEqual(['alpha', 'beta']);
    const beta2 = supervisor.account('beta')!;
    const alpha3 = supervisor.account('alpha')!;
    await waitUntil(() => (beta2.status().state === 'streaming' && alpha3.status().state === 'streaming') || undefined, 'both streaming');
    expect(beta2.status().childPid).not.toBe(alpha3.status().childPid);
    expect(supervisor.status().accounts.find((a) => a.id === 'alpha')!.mergedAccounts).toBeUndefined();
    inject(own, { from: '+15550000002', text: 'own' });
    inject(shared, { from: '+15550000001', text: 'three' });
    await waitUntil(() => sentRows(own).find((r) => r.text === 'echo: own'), 'beta answering on its own db');
    await waitUntil(() => sentRows(shared).find((r) => r.text === 'echo: three'), 'alpha answering');
    expect(sentRows(shared).filter((r) => r.text === 'echo: three')).toHaveLength(1);
    expect(sentRows(shared).filter((r) => r.text === 'echo: two')).toHaveLength(1);

    await supervisor.stop();
  }, 60_000);

  it('a broken cliPath does not own the source: the working account answers once; fixed, a reload hands the source over, and back when it breaks at runtime', async () => {
    const dir = fixtureDir(cleanups, 'gw-shared-broken-');
    const shared = createSimDb(dir, 'shared.db');
    mkdirSync(join(dir, 'bin'));
    const brokenCli = join(dir, 'bin', 'imsg'); // does not exist until the fix below
    const config = echoConfig(dir, { alpha: openSimAccount(shared, brokenCli), beta: openSimAccount(shared) }, 'shared-source broken test', FOLLOWUP);
    const { logger, records } = recordingLogger();
    const { supervisor, store, clock } = startRealSupervisor(cleanups, { dir, config, logger });

    // beta owns the source although alpha sorts first: alpha's cliPath does not resolve.
    expect(supervisor.rootView.running).toEqual(['beta']);
    expect(supervisor.account('alpha')).toBeUndefined();
    const beta = supervisor.account('beta')!;
    await waitUntil(() => beta.status().state === 'streaming' || undefined, 'beta streaming');
    const alpha = supervisor.status().accounts.find((a) => a.id === 'alpha')!;
    expect(alpha).toMatchObject({ state: 'merged', mergedInto: 'beta', health: 'warning', childPid: null });
    expect(alpha.lastError).toContain("(beta owns it; alpha's cliPath does not resolve)");
    expect(records.find((r) => r.errorClass === 'shared-messages-source')).toMatchObject({
      owner: 'beta',
      merged: ['alpha'],
      ownerReason: "beta owns it; alpha's cliPath does not resolve",
    });

    for (const n of [1, 2, 3]) inject(shared, { from: '+15550000001', text: `one ${n}` });
    await waitUntil(() => sentRows(shared).filter((r) => r.text.startsWith('echo: one')).length >= 3 || undefined, 'three replies from beta');
    await waitUntil(() => store.getCursor('beta')! >= 3 || undefined, 'beta cursor past the three');

    // alpha's cliPath is fixed; a reload of the same config gives it the source, from beta's cursor.
    symlinkSync(SIM_BIN, brokenCli);
    const moved = await supervisor.reload(config);
    expect(moved.restarted.sort()).toEqual(['alpha', 'beta']);
    expect(supervisor.rootView.running).toEqual(['alpha']);
    const alphaRuntime = supervisor.account('alpha')!;
    await waitUntil(() => alphaRuntime.status().state === 'streaming' || undefined, 'alpha streaming');
    expect(records.find((r) => r.msg === 'takes over the Messages source: continues after the row its previous reader got to')).toMatchObject({ account: 'alpha', from: 'beta' });
    expect(supervisor.status().accounts.find((a) => a.id === 'beta')).toMatchObject({ state: 'merged', mergedInto: 'alpha' });
    inject(shared, { from: '+15550000001', text: 'two' });
    await waitUntil(() => sentRows(shared).find((r) => r.text === 'echo: two'), 'alpha answering');
    const echoes = sentRows(shared).map((r) => r.text).filter((t) => t.startsWith('echo: '));
    expect(echoes.sort()).toEqual(['echo: one 1', 'echo: one 2', 'echo: one 3', 'echo: two']);
    await waitUntil(() => store.getCursor('alpha')! >= 4 || undefined, 'alpha cursor past two');

    // At runtime alpha's cliPath stops resolving and its child dies: alpha ends misconfigured and
    // keeps the source (ownership moves at reload only); its fix says so. The reload hands it back.
    rmSync(brokenCli);
    const alphaPid = alphaRuntime.status().childPid!;
    process.kill(alphaPid, 'SIGKILL');
    await waitUntil(() => {
      clock.increment(5_000); // the restart backoff runs on the simulated clock
      return alphaRuntime.status().state === 'misconfigured' || undefined;
    }, 'alpha misconfigured');
    const stuck = supervisor.status().accounts.find((a) => a.id === 'alpha')!;
    expect(stuck.remediation).toContain('or run `imessage-gateway reload` to hand the Messages source to beta if its cliPath resolves');
    expect(supervisor.rootView.running).toEqual(['alpha']);
    const back = await supervisor.reload(config);
    expect(back.restarted.sort()).toEqual(['alpha', 'beta']);
    expect(supervisor.rootView.running).toEqual(['beta']);
    const beta2 = supervisor.account('beta')!;
    await waitUntil(() => beta2.status().state === 'streaming' || undefined, 'beta streaming again');
    expect(store.getCursor('beta')).toBeGreaterThanOrEqual(store.getCursor('alpha')!);
    inject(shared, { from: '+15550000001', text: 'three' });
    await waitUntil(() => sentRows(shared).find((r) => r.text === 'echo: three'), 'beta answering again');
    const all = sentRows(shared).map((r) => r.text).filter((t) => t.startsWith('echo: '));
    expect(all.sort()).toEqual(['echo: one 1', 'echo: one 2', 'echo: one 3', 'echo: three', 'echo: two']);

    await supervisor.stop();
  }, 60_000);
});
