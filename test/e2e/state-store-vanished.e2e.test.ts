/**
 * Issue 11, item 8, "state.db deleted while running", with real processes. Before, node:sqlite
 * kept writing to the deleted file, status said `streaming`, and the next start silently began an
 * empty store: an approved sender was asked to pair again and nothing warned.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_STATE_STORE_MISSING } from '../../src/cli/exit-codes.js';
import { type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

/** The gateway checks the file every second; this leaves room for a loaded host. */
const DETECT_MS = 10_000;

let gateway: GatewayProcess | undefined;
const homes: string[] = [];
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = undefined;
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

describe('state.db deleted while a real gateway runs', () => {
  it('is detected and shown; the next start refuses without --reset-state and starts fresh with it', async () => {
    const home = tempDir('gw-vanish-');
    homes.push(home);
    const db = createSimDb(home);
    const config = { imessage: openAccount(SIM_BIN, db) };
    const stateDb = join(home, 'state.db');
    gateway = startGateway(config, home);
    await gateway.waitForState('default', 'streaming');
    inject(db, { from: '+15551230001', text: 'before' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: before') || undefined, 'the reply before the deletion');
    await waitUntil(() => existsSync(join(home, 'state.db.held')) || undefined, 'the home to be marked as holding a store');

    rmSync(stateDb);
    const started = Date.now();
    const shown = await waitUntil(
      () => (gateway!.status()?.store?.ok === false ? gateway!.status() : undefined),
      'status.json to show the store problem',
      DETECT_MS,
    );
    expect(Date.now() - started).toBeLessThan(DETECT_MS);
    expect(shown.store?.problem).toContain(`${stateDb} no longer exists`);
    expect(shown.store?.remediation).toContain('--reset-state');
    const account = shown.accounts.find((a) => a.id === 'default')!;
    expect(account.health).toBe('degraded');
    expect(account.degradedReasons.some((r) => r.code === 'store-write-failed' && r.message.includes(stateDb))).toBe(true);
    const logged = await gateway.waitForRecords((r) => r.level === 50 && r.errorClass === 'store-vanished', 'the store-vanished error');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.path).toBe(stateDb);
    expect(String(logged[0]!.msg)).toContain('--reset-state');

    const cli = runCli(['status'], home);
    expect(cli.stdout).toContain('STATE DATABASE PROBLEM');
    expect(cli.stdout).toContain(stateDb);
    const json = JSON.parse(runCli(['status', '--json'], home).stdout) as { store: { ok: boolean } };
    expect(json.store.ok).toBe(false);

    // Nothing is recorded any more: a new message is held, never journalled or answered.
    inject(db, { from: '+15551230001', text: 'while gone' });
    await waitUntil(
      () => gateway!.records((r) => r.level === 50 && String(r.msg).includes('cannot write the inbound journal')).length > 0 || undefined,
      'the journal write to be refused',
      DETECT_MS,
    );
    expect(sentRows(db).map((r) => r.text)).toEqual(['echo: before']);

    await gateway.stop();
    gateway = undefined;

    const refused = runCli(['start', '--config', join(home, 'config.json5')], home);
    expect(refused.code).toBe(EXIT_STATE_STORE_MISSING);
    expect(refused.stderr).toContain(`the state database ${stateDb} is missing`);
    expect(refused.stderr).toContain('approved senders');
    expect(refused.stderr).toContain('imessage-gateway start --reset-state');
    expect(existsSync(stateDb)).toBe(false);

    gateway = startGatewayWithReset(config, home);
    await gateway.waitForState('default', 'streaming');
    expect(gateway.status()?.store?.ok).toBe(true);
    await gateway.waitForRecords((r) => String(r.msg).includes('--reset-state'), 'the reset');
    // The deleted database's write-ahead log was left behind: set aside with its name, never deleted.
    const setAside = await gateway.waitForRecords((r) => String(r.msg).includes('set aside'), 'the set-aside files');
    expect(setAside).toHaveLength(1);
    for (const moved of setAside[0]!.files as string[]) expect(existsSync(moved)).toBe(true);
    inject(db, { from: '+15551230001', text: 'after' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: after') || undefined, 'a reply from the fresh store');
  }, 90_000);
});

function startGatewayWithReset(config: Record<string, unknown>, home: string): GatewayProcess {
  return startGateway(config, home, { extraArgs: ['--reset-state'] });
}
