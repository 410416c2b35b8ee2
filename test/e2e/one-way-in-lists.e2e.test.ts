/**
 * Issue 14, item 8: `pairing list` and `quarantine list` ask a running gateway's control API and
 * read state.db only when no gateway runs. Proof that the running path went through the API and
 * not the file: the gateway's access log (debug) records each GET, and an account the running
 * gateway does not know is refused by the gateway (404 passed on, exit 1) where the file would
 * simply hold no rows for it. A running gateway with its API off is an error naming the fix.
 * Against both imsg-sim profiles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const codeFor = (db: string, handle: string) =>
  sentRows(db)
    .map((r) => r.text)
    .filter((t) => t?.includes(handle))
    .map((t) => /Pairing code: ([A-HJ-NP-Z2-9]{8})/.exec(t ?? '')?.[1])
    .find((c) => c !== undefined);
const apiGets = (g: GatewayProcess, path: string, min: number) =>
  g.waitForRecords((r) => r.msg === 'control request' && r.method === 'GET' && r.path === path && r.status === 200, `GET ${path} answered 200`, min);

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('pairing list and quarantine list while running (issue 14, item 8)', () => {
    it('ask the running gateway through its control API, and read state.db once it stopped', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const stranger = '+15554440301';
      gateway = startGateway({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing', groupPolicy: 'disabled' } }, undefined, { simProfile: profile });
      const g = gateway;
      await g.waitForState('default', 'streaming');
      inject(db, { from: stranger, text: 'let me in' });
      const code = await waitUntil(() => codeFor(db, stranger), 'the pairing code sent to the stranger');

      const live = runCli(['pairing', 'list', '--json'], g.home);
      expect(live.code, live.stderr).toBe(0);
      const listed = JSON.parse(live.stdout) as { requests: Array<Record<string, unknown>>; via: string };
      expect(listed.via).toBe('gateway');
      expect(listed.requests).toEqual([expect.objectContaining({ account: 'default', state: 'pending', code, handle: stranger, expired: false })]);
      const text = runCli(['pairing', 'list'], g.home);
      expect(text.stdout).toContain(`${code}  ${stranger}`);
      await apiGets(g, '/api/pairing', 2);
      await apiGets(g, '/api/pairing/approved', 2);
      // Only the gateway knows which accounts it runs: the file would just hold no rows for "ghost".
      const ghost = runCli(['pairing', 'list', '--account', 'ghost'], g.home);
      expect(ghost.code).toBe(1);
      expect(ghost.stderr).toContain('the gateway refused the pairing list: unknown account "ghost"');

      const quarantine = runCli(['quarantine', 'list', '--json', '--limit', '5'], g.home);
      expect(quarantine.code, quarantine.stderr).toBe(0);
      expect(JSON.parse(quarantine.stdout)).toEqual({ quarantine: [] });
      await apiGets(g, '/api/quarantine', 1);
      const quarantineGhost = runCli(['quarantine', 'list', '--account', 'ghost'], g.home);
      expect(quarantineGhost.code).toBe(1);
      expect(quarantineGhost.stderr).toContain('the gateway refused the quarantine list: unknown account "ghost"');

      await g.stop();
      gateway = undefined;
      const stopped = runCli(['pairing', 'list', '--json'], g.home);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(JSON.parse(stopped.stdout)).toMatchObject({ via: 'state-db', requests: [expect.objectContaining({ code, handle: stranger })] });
      expect(runCli(['pairing', 'list', '--account', 'ghost'], g.home).stdout).toContain('no pending pairing requests for account ghost');
      expect(runCli(['quarantine', 'list'], g.home).stdout).toContain('no quarantined messages');
    }, 60_000);

    it('a running gateway with its control API off: the lists are an error naming the fix, not a read of state.db', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = startGateway({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing' }, gateway: { http: { enabled: false } } }, undefined, {
        simProfile: profile,
      });
      const g = gateway;
      await g.waitForState('default', 'streaming');
      for (const args of [['pairing', 'list'], ['quarantine', 'list']]) {
        const r = runCli(args, g.home);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toContain('control API is not listening');
        expect(r.stderr).toContain('gateway.http.enabled');
      }
    }, 60_000);
  });
});
