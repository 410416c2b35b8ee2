/**
 * Issue 16: `pairing deny` and `pairing revoke` against the real gateway (through its control API
 * while it runs, on state.db once it stopped), and `pairing approve` of an already-approved code.
 * A denied stranger and a revoked sender get no reply and no new code (dropped `pairing-denied`).
 * Against both imsg-sim profiles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});
const texts = (db: string) => sentRows(db).map((r) => r.text);
const codeFor = (db: string, handle: string) =>
  texts(db)
    .filter((t) => t.includes(handle))
    .map((t) => /Pairing code: ([A-HJ-NP-Z2-9]{8})/.exec(t)?.[1])
    .find((c) => c !== undefined);

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('pairing deny and revoke (issue 16)', () => {
    it('approve twice says so; deny and revoke through the running gateway; revoke of a sender never approved says so; deny on state.db after the stop', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = startGateway({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing', groupPolicy: 'disabled' } }, undefined, { simProfile: profile });
      await gateway.waitForState('default', 'streaming');
      const g = gateway;
      const denied = () => g.account('default')?.counters.dropped['pairing-denied'] ?? 0;

      const [ann, bob, cat] = ['+15554440101', '+15554440102', '+15554440103'];
      for (const from of [ann, bob, cat]) inject(db, { from, text: 'hello?' });
      const codeAnn = await waitUntil(() => codeFor(db, ann), 'the pairing code for ann');
      const codeBob = await waitUntil(() => codeFor(db, bob), 'the pairing code for bob');
      const codeCat = await waitUntil(() => codeFor(db, cat), 'the pairing code for cat');

      // Approve, then approve again: it says so, exit 0, nothing changes.
      expect(runCli(['pairing', 'approve', codeAnn], g.home)).toMatchObject({ code: 0 });
      const again = runCli(['pairing', 'approve', 'imessage', codeAnn.toLowerCase()], g.home);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`pairing code ${codeAnn} was already approved: ${ann} on account default; nothing changed`);

      // Deny bob's code through the running gateway: the code stops working, bob is told nothing more.
      const deny = runCli(['pairing', 'deny', 'imessage', codeBob, '--json'], g.home);
      expect(deny.code).toBe(0);
      expect(JSON.parse(deny.stdout)).toMatchObject({ action: 'deny', account: 'default', handle: bob, code: codeBob, via: 'gateway' });
      const approveDenied = runCli(['pairing', 'approve', codeBob], g.home);
      expect(approveDenied.code).toBe(1);
      expect(approveDenied.stderr).toContain(`unknown pairing code ${codeBob}`);
      const denyAgain = runCli(['pairing', 'deny', bob], g.home);
      expect(denyAgain.code).toBe(1);
      expect(denyAgain.stderr).toContain('already denied until');
      const sentBefore = texts(db).length;
      inject(db, { from: bob, text: 'please?' });
      await waitUntil(() => denied() >= 1 || undefined, 'bob dropped pairing-denied');

      // Ann is answered; revoking her (by another spelling of the number) stops that.
      inject(db, { from: ann, text: 'ping' });
      await waitUntil(() => texts(db).includes('echo: ping') || undefined, 'the approved sender answered');
      const revoke = runCli(['pairing', 'revoke', '+1 (555) 444-0101'], g.home);
      expect(revoke.code).toBe(0);
      expect(revoke.stdout).toContain(`revoked the approval of ${ann} on account default; no reply and no new code until`);
      inject(db, { from: ann, text: 'ping again' });
      await waitUntil(() => denied() >= 2 || undefined, 'ann dropped pairing-denied after the revocation');
      const revokeAgain = runCli(['pairing', 'revoke', ann], g.home);
      expect(revokeAgain.code).toBe(1);
      expect(revokeAgain.stderr).toContain(`${ann} is not an approved sender; nothing was revoked`);
      const never = runCli(['pairing', 'revoke', '+15554449999'], g.home);
      expect(never.code).toBe(1);
      expect(never.stderr).toContain('+15554449999 is not an approved sender');
      // Neither bob nor ann got a reply or a new code: one echo since, nothing else.
      expect(texts(db).slice(sentBefore)).toEqual(['echo: ping']);

      // Stopped: deny works on state.db, and the list shows the denials.
      await g.stop();
      gateway = undefined;
      const offline = runCli(['pairing', 'deny', codeCat.toLowerCase(), '--json'], g.home);
      expect(offline.code).toBe(0);
      expect(JSON.parse(offline.stdout)).toMatchObject({ action: 'deny', handle: cat, code: codeCat, via: 'state-db' });
      const list = runCli(['pairing', 'list', '--json'], g.home);
      const requests = (JSON.parse(list.stdout) as { requests: Array<{ handle: string; state: string }> }).requests;
      expect(requests.filter((r) => r.state === 'denied').map((r) => r.handle).sort()).toEqual([ann, bob, cat].sort());
      const usage = runCli(['pairing', 'deny'], g.home);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('pairing deny needs a CODE or a sender HANDLE');
    }, 120_000); // a dozen CLI processes: on a loaded host each takes seconds
  });
});
