/**
 * Issue 14, item 7: `reload` names the gateway.* changes it cannot apply (they need a restart);
 * `config check` warns on a cliPath that does not resolve and on two accounts sharing one chat.db.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_AGENTS, FAST_SUPERVISION, type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, SIM_BIN, tempDir } from '../helpers/sim-db.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

describe('reload and gateway.* settings', () => {
  it('a changed http port and log level are named as needing a restart; the running port stays', async () => {
    const db = createSimDb(tempDir());
    const config = (gateway: Record<string, unknown>) => ({
      imessage: { accounts: { a: openAccount(SIM_BIN, db) } },
      agents: ECHO_AGENTS,
      gateway: { supervision: FAST_SUPERVISION, http: { port: 0 }, logLevel: 'info', ...gateway },
    });
    gateway = startGateway(config({}));
    await gateway.waitForState('a', 'streaming');
    const url = gateway.status()!.controlUrl;
    const path = join(gateway.home, 'config.json5');

    writeFileSync(path, JSON.stringify(config({ http: { port: 1 }, logLevel: 'warn' })));
    const r = runCli(['reload'], gateway.home);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('not applied until the gateway restarts: gateway.logLevel, gateway.http.port (stop it and start it again)');
    expect(gateway.status()!.lastReload?.needsRestart).toEqual(['gateway.logLevel', 'gateway.http.port']);
    expect(gateway.status()!.controlUrl).toBe(url);

    // Nothing restart-only changed since the start: nothing named.
    writeFileSync(path, JSON.stringify(config({})));
    const again = runCli(['reload'], gateway.home);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('not applied');
  });
});

describe('config check warnings', () => {
  it('a missing cliPath and a shared chat.db are warned about; the config is still valid (exit 0)', () => {
    const home = tempDir('gw-home-');
    const db = createSimDb(tempDir());
    const path = join(home, 'config.json5');
    writeFileSync(
      path,
      JSON.stringify({
        imessage: { accounts: { a: openAccount(join(home, 'no-such-imsg'), db), b: openAccount(SIM_BIN, db) } },
        agents: ECHO_AGENTS,
      }),
    );
    const r = runCli(['config', 'check', '--config', path], home);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`WARNING (a): cliPath does not resolve: ${join(home, 'no-such-imsg')} does not exist.`);
    expect(r.stdout).toContain(`WARNING (a, b): accounts a and b read the same Messages database (${db})`);
  });
});
