/**
 * Access policy end to end through imsg-sim: pairing with the CLI, group history, bindings. Against
 * both imsg-sim profiles (0.9 and 0.15).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentLog, recordingAgent } from '../helpers/agents.js';
import { type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});
const texts = (db: string) => sentRows(db).map((r) => r.text);

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  const start = (config: Record<string, unknown>, home?: string) => startGateway(config, home, { simProfile: profile });

  describe('access policy', () => {
    it('gives a stranger a pairing code, and after CLI approval their next message reaches the agent', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = start({ imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing', groupPolicy: 'disabled' } });
      await gateway.waitForState('default', 'streaming');

      inject(db, { from: '+15554440001', text: 'hello?' });
      const codeReply = await waitUntil(() => texts(db).find((t) => /[A-Z2-9]{8}/.test(t)), 'the pairing reply');
      const code = /([A-HJ-NP-Z2-9]{8})/.exec(codeReply)![1]!;
      expect(codeReply).toContain('+15554440001');
      // A second message while pending is not processed and gets no second code.
      inject(db, { from: '+15554440001', text: 'still there?' });
      await waitUntil(() => (gateway!.account('default')?.counters.dropped['pairing-pending'] ?? 0) >= 1 || undefined, 'pending drop');
      expect(texts(db)).toHaveLength(1);

      const list = runCli(['pairing', 'list', 'imessage', '--json'], gateway.home);
      expect(list.code).toBe(0);
      expect(JSON.stringify(JSON.parse(list.stdout))).toContain(code);
      const wrong = runCli(['pairing', 'approve', 'imessage', 'ZZZZZZZZ'], gateway.home);
      expect(wrong.code).toBe(1);
      const ok = runCli(['pairing', 'approve', 'imessage', code.toLowerCase(), '--notify'], gateway.home);
      expect(ok.code).toBe(0);

      inject(db, { from: '+15554440001', text: 'now?' });
      await waitUntil(() => texts(db).includes('echo: now?') || undefined, 'the approved sender answered');
      expect(texts(db).some((t) => /approved/i.test(t))).toBe(true);
      expect(texts(db)).not.toContain('echo: hello?');
    });

    it('keeps unmentioned group messages as history and hands them over when the agent is mentioned', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      gateway = start({
        imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'disabled', groupPolicy: 'open', historyLimit: 5 },
        agents: { list: [recordingAgent(dir, log)] },
      });
      await gateway.waitForState('default', 'streaming');
      const group = { group: 'Team', participants: ['+15554440002', 'ann@example.com'] };
      inject(db, { from: '+15554440002', text: 'lunch at noon', ...group });
      inject(db, { from: 'ann@example.com', text: 'sounds good', ...group });
      await waitUntil(() => (gateway!.account('default')?.counters.dropped['no-mention'] ?? 0) === 2 || undefined, 'two unmentioned');
      expect(texts(db)).toEqual([]);
      inject(db, { from: 'ann@example.com', text: '@bot where?', ...group });
      await waitUntil(() => texts(db).includes('ack: @bot where?') || undefined, 'the reply to the mention');
      const [seen] = agentLog(log);
      expect(seen?.history).toEqual(['lunch at noon', 'sounds good']);
      expect(seen?.session).toMatch(/^agent:main:imessage:group:\d+$/);
    });

    it('routes a bound sender to their own agent', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      gateway = start({
        imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'disabled' },
        agents: { list: [{ id: 'main', default: true, handler: { type: 'echo' } }, { ...recordingAgent(dir, log), id: 'vip', default: false }] },
        bindings: [{ agentId: 'vip', match: { sender: '+1 (555) 444-0003' } }],
      });
      await gateway.waitForState('default', 'streaming');
      inject(db, { from: '+15554440003', text: 'vip here' });
      inject(db, { from: '+15554440004', text: 'regular here' });
      await waitUntil(() => (texts(db).length === 2 ? true : undefined), 'two replies');
      expect(texts(db).sort()).toEqual(['ack: vip here', 'echo: regular here']);
      expect(agentLog(log).map((e) => e.session)).toEqual(['agent:vip:main']);
    });
  });
});
