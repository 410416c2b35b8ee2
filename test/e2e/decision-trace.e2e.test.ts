/**
 * Issue 16, item 3: every journalled message keeps its decision and the trace of the rules that
 * fired; `why GUID` and GET /api/messages/GUID show why a message was dispatched or dropped. A real
 * gateway on a real imsg-sim, the real state.db. Against both imsg-sim profiles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readControlToken } from '../../src/web/control-token.js';
import { type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

async function get(g: GatewayProcess, path: string): Promise<{ status: number; body: any }> {
  const url = await waitUntil(() => g.status()?.controlUrl, 'the control API to listen');
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${readControlToken(g.home)}` } });
  return { status: response.status, body: await response.json() };
}

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('decision traces (issue 16)', () => {
    it('why and the control API show the rules that dispatched a listed sender and paired a stranger', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const friend = '+15554440201';
      const stranger = '+15554440202';
      gateway = startGateway({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing', allowFrom: [friend], groupPolicy: 'disabled' } }, undefined, {
        simProfile: profile,
      });
      await gateway.waitForState('default', 'streaming');
      const g = gateway;

      const listed = inject(db, { from: friend, text: 'hi' });
      const unknown = inject(db, { from: stranger, text: 'who is this?' });
      await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: hi') || undefined, 'the friend answered');
      await waitUntil(() => sentRows(db).some((r) => r.text.includes('Pairing code:')) || undefined, 'the stranger paired');

      const why = runCli(['why', listed.guid], g.home);
      expect(why.code, why.stderr).toBe(0);
      expect(why.stdout).toContain(`default ${listed.guid}: dispatched`);
      expect(why.stdout).toContain('dm → policy:pairing → sender:listed → dispatch');

      const paired = runCli(['why', unknown.guid, '--account', 'default', '--json'], g.home);
      expect(paired.code, paired.stderr).toBe(0);
      expect(JSON.parse(paired.stdout).decisions).toEqual([
        expect.objectContaining({
          account: 'default',
          guid: unknown.guid,
          sender: stranger,
          state: 'dropped',
          reason: 'pairing-requested',
          trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'],
        }),
      ]);

      // The stranger writes again: pending.
      const again = inject(db, { from: stranger, text: 'hello??' });
      await waitUntil(() => (g.account('default')?.counters.dropped['pairing-pending'] ?? 0) >= 1 || undefined, 'the second message dropped');
      const pending = await get(g, `/api/messages/${encodeURIComponent(again.guid)}`);
      expect(pending.status).toBe(200);
      expect(pending.body.decisions[0]).toMatchObject({ reason: 'pairing-pending', trace: ['dm', 'policy:pairing', 'sender:pending', 'drop'] });

      const missing = await get(g, '/api/messages/no-such-guid');
      expect(missing.status).toBe(404);
      expect(missing.body.error).toContain('no journal row for message no-such-guid');
      const notFound = runCli(['why', 'no-such-guid'], g.home);
      expect(notFound.code).toBe(1);
      expect(notFound.stderr).toContain('no journal row for message no-such-guid');
      expect(runCli(['why'], g.home).code).toBe(2);

      // `status ACCOUNT` lists the recent decisions, newest first, each with its trace (from the API).
      const one = runCli(['status', 'default'], g.home);
      expect(one.code, one.stderr).toBe(0);
      const listing = one.stdout.slice(one.stdout.indexOf('recent decisions'));
      expect(listing).toContain(`dropped (pairing-pending), ${stranger} in chat`);
      expect(listing).toContain('dm → policy:pairing → sender:pending → drop');
      expect(listing).toContain(`dispatched, ${friend} in chat`);
      expect(listing).toContain('reply sent');
      expect(listing).toContain('dm → policy:pairing → sender:listed → dispatch');
      expect(listing.indexOf(again.guid)).toBeLessThan(listing.indexOf(unknown.guid));
      expect(listing).not.toContain('who is this?'); // never the message text
      const asJson = JSON.parse(runCli(['status', 'default', '--json'], g.home).stdout) as { recentDecisions: Array<{ guid: string; trace: string[] }> };
      expect(asJson.recentDecisions.map((d) => d.guid)).toEqual(expect.arrayContaining([listed.guid, unknown.guid, again.guid]));
      // `status --message GUID` answers as `why`.
      const byStatus = runCli(['status', '--message', unknown.guid], g.home);
      expect(byStatus.code, byStatus.stderr).toBe(0);
      expect(byStatus.stdout).toContain(`default ${unknown.guid}: dropped (pairing-requested)`);
      expect(byStatus.stdout).toContain('dm → policy:pairing → sender:stranger → pair');
      expect(runCli(['status', '--message', 'no-such-guid'], g.home).code).toBe(1);

      // Stopped: the same answers, read from the state database.
      await g.stop();
      const stopped = runCli(['status', 'default'], g.home);
      expect(stopped.code).toBe(3);
      expect(stopped.stdout).toContain('dm → policy:pairing → sender:pending → drop');
      const whyStopped = runCli(['why', listed.guid], g.home);
      expect(whyStopped.code, whyStopped.stderr).toBe(0);
      expect(whyStopped.stdout).toContain('dm → policy:pairing → sender:listed → dispatch');
    });
  });
});
