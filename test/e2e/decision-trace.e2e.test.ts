/**
 * Issue 16, item 3: every journalled message keeps its decision and the trace of the rules that
 * fired; `why GUID` and GET /api/messages/GUID show why a message was dispatched or dropped. A real
 * gateway on a real imsg-sim, the real state.db.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readControlToken } from '../../src/web/control-token.js';
import { type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

async function get(g: GatewayProcess, path: string): Promise<{ status: number; body: any }> {
  const url = await waitUntil(() => g.status()?.controlUrl, 'the control API to listen');
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${readControlToken(g.home)}` } });
  return { status: response.status, body: await response.json() };
}

describe('decision traces (issue 16)', () => {
  it('why and the control API show the rules that dispatched a listed sender and paired a stranger', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const friend = '+15554440201';
    const stranger = '+15554440202';
    gateway = startGateway({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing', allowFrom: [friend], groupPolicy: 'disabled' } });
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
  });
});
