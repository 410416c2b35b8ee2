/**
 * Hot reload: only accounts whose settings changed restart; an invalid config is refused.
 * Against both imsg-sim profiles.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_AGENTS, FAST_SUPERVISION, type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('reload', () => {
    it('restarts only the changed account, keeps the other child running, and refuses an invalid config', async () => {
      const dir = tempDir();
      const a = createSimDb(dir, 'a.db');
      const b = createSimDb(dir, 'b.db');
      const config = (bExtra: Record<string, unknown>) => ({
        imessage: { accounts: { a: openAccount(SIM_BIN, a), b: openAccount(SIM_BIN, b, bExtra) } },
        agents: ECHO_AGENTS,
        gateway: { supervision: FAST_SUPERVISION },
      });
      gateway = startGateway(config({}), undefined, { simProfile: profile });
      await gateway.waitForState('a', 'streaming');
      await gateway.waitForState('b', 'streaming');
      const pidA = gateway.account('a')!.childPid;
      const pidB = gateway.account('b')!.childPid;
      const path = join(gateway.home, 'config.json5');

      writeFileSync(path, JSON.stringify(config({ maxSendsWithoutInbound: 3 })));
      const ok = runCli(['reload'], gateway.home);
      expect(ok.stdout).toContain('restarted b');
      expect(ok.code).toBe(0);
      await gateway.waitForState('b', 'streaming');
      expect(gateway.account('a')!.childPid).toBe(pidA);
      expect(gateway.account('b')!.childPid).not.toBe(pidB);

      writeFileSync(path, '{ imessage: { dmPolicey: "open" } }');
      const bad = runCli(['reload'], gateway.home);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('dmPolicy');
      // SIGHUP straight to the gateway with the same bad file: refused, the running config kept.
      gateway.proc.kill('SIGHUP');
      await waitUntil(() => gateway!.status()?.lastReload?.ok === false || undefined, 'the refused reload');
      expect(gateway.account('a')!.childPid).toBe(pidA);
      inject(a, { from: '+15553330001', text: 'still here' });
      await waitUntil(() => sentRows(a).some((r) => r.text === 'echo: still here') || undefined, 'a still answers');
    });
  });
});
