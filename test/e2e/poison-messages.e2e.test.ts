/**
 * Issue 11, items 1-4, with real processes. Each test is named after the finding it guards:
 * - one message with `attachments: [null]` reached uncaughtException and stopped every account;
 * - ids and chat_ids of 2^63 or 1e300 were refused by SQLite and their batch retried forever;
 * - a row id near 2^53 lifted the cursor for good;
 * - status said `streaming` with nothing wrong while messages were held;
 * - after SIGTERM with held messages the gateway kept running until a second signal.
 * Against both imsg-sim profiles (the imsg-sim accounts; the poison account's fake imsg is the same
 * in both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, REPO, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

const POISON_IMSG = join(REPO, 'test', 'helpers', 'poison-imsg.mjs');
const EXIT_STOPPED_UNWRITTEN = 74;

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = undefined;
});

function sentByFake(db: string): Array<{ text?: string; to?: string }> {
  const file = `${db}.sent.jsonl`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text?: string });
}

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('one bad input never stops the gateway', () => {
    it('poison messages (attachments [null], ids 2^63 and 1e300, a row id near 2^53, chat_id 1e300) are quarantined; the next message is answered and the other account keeps answering', async () => {
      const dir = tempDir();
      const simDb = createSimDb(dir);
      const poisonDb = join(dir, 'poison.db');
      gateway = startGateway({
        imessage: {
          accounts: {
            poison: openAccount(POISON_IMSG, poisonDb),
            sim: openAccount(SIM_BIN, simDb),
          },
        },
      }, undefined, { simProfile: profile });
      // The poison account's fake imsg is no imsg-sim: it ignores IMSG_SIM_PROFILE and always
      // negotiates legacy (it answers initialize with {}), so waitForState's check that the account
      // speaks the profile's protocol applies only to the sim account.
      const g = gateway;
      await waitUntil(() => g.account('poison')?.state === 'streaming' || undefined, `account poison to be streaming (now ${g.account('poison')?.state})`);
      expect(g.account('poison')?.imsg?.protocol).toBe('legacy');
      await gateway.waitForState('sim', 'streaming');

      // The normal message after the poison is answered.
      await waitUntil(() => sentByFake(poisonDb).find((s) => s.text === 'echo: hello after the poison'), 'the reply after the poison');
      // The other account keeps answering.
      inject(simDb, { from: '+15551239999', text: 'still there?' });
      await waitUntil(() => sentRows(simDb).find((r) => r.text === 'echo: still there?'), 'the other account answers');

      // Every poison row is quarantined, with its reason; the row near 2^53 did not move the cursor.
      const listed = runCli(['quarantine', 'list', '--account', 'poison', '--json'], gateway.home);
      expect(listed.code).toBe(0);
      const rows = (JSON.parse(listed.stdout) as { quarantine: Array<{ stage: string; reason: string; rowid: number | null; guid: string | null }> }).quarantine;
      const byGuid = new Map(rows.map((r) => [r.guid, r]));
      expect(byGuid.get('P-null-attachment')).toMatchObject({ stage: 'validation', rowid: 1 });
      expect(byGuid.get('P-null-attachment')?.reason).toContain('attachments[0]');
      expect(byGuid.get('P-id-2^63')).toMatchObject({ stage: 'validation', rowid: null });
      expect(byGuid.get('P-id-1e300')).toMatchObject({ stage: 'validation', rowid: null });
      expect(byGuid.get('P-chat-1e300')).toMatchObject({ stage: 'validation', rowid: 3 });
      expect(byGuid.get('P-chat-1e300')?.reason).toContain('chat_id');
      expect(byGuid.get('P-rowid-2^53')).toMatchObject({ stage: 'cursor-jump', rowid: 2 ** 53 - 1 });
      expect(listed.stdout).not.toContain('POISON-TEXT'); // no payload unless --payload
      const withPayload = runCli(['quarantine', 'list', '--account', 'poison', '--payload', '--json'], gateway.home);
      expect(withPayload.stdout).toContain('POISON-TEXT-attachments');

      // Health tells the truth: the account streams but is degraded, and says why.
      const status = await waitUntil(() => {
        const a = gateway!.account('poison');
        return a?.health === 'degraded' ? a : undefined;
      }, 'poison degraded');
      expect(status.state).toBe('streaming');
      expect(status.cursor).toBe(5);
      expect(status.degradedReasons.map((r) => r.code)).toContain('quarantined');
      expect(gateway.account('sim')?.health).toBe('ok');
      const text = runCli(['status'], gateway.home);
      expect(text.code).toBe(4);
      expect(text.stdout).toContain('degraded [quarantined]');

      // The process-wide handler was never reached; nothing stopped; no message text in any log line.
      expect(gateway.records((r) => String(r.msg).includes('uncaught exception'))).toEqual([]);
      expect(gateway.proc.exitCode).toBeNull();
      expect(gateway.logs.filter((l) => l.includes('POISON-TEXT'))).toEqual([]);
      expect(gateway.records((r) => r.account === 'poison' && r.msg === 'message accepted → agent')).toHaveLength(1);
    });

    it('SIGTERM with held messages (the state database refuses writes) exits in bounded time with code 74, and status stays readable through the API', async () => {
      const dir = tempDir();
      const simDb = createSimDb(dir);
      gateway = startGateway({ imessage: openAccount(SIM_BIN, simDb) }, undefined, { simProfile: profile });
      await gateway.waitForState('default', 'streaming');
      inject(simDb, { from: '+15551230001', text: 'before' });
      await waitUntil(() => sentRows(simDb).find((r) => r.text === 'echo: before'), 'a first reply');

      // From now on no file of the gateway can grow: every SQLite write (and the status file) fails.
      const pid = gateway.proc.pid!;
      const limited = spawnSync('prlimit', ['--pid', String(pid), '--fsize=1'], { encoding: 'utf8' });
      expect(limited.status, limited.stderr).toBe(0);
      inject(simDb, { from: '+15551230001', text: 'held one' });
      await waitUntil(
        () => gateway!.records((r) => String(r.msg).startsWith('cannot write the inbound journal')).length > 0 || undefined,
        'the journal write refused',
      );

      // status.json can no longer be written; `status` reads the control API and tells the truth.
      const st = await waitUntil(() => {
        const r = runCli(['status', '--json'], gateway!.home);
        const a = (JSON.parse(r.stdout) as { accounts: Array<{ health: string; degradedReasons: Array<{ code: string }> }> }).accounts[0];
        return a?.degradedReasons.some((d) => d.code === 'held-messages') ? { r, a } : undefined;
      }, 'status degraded with held messages');
      expect(st.r.code).toBe(4);
      expect(st.a.degradedReasons.map((d) => d.code)).toEqual(expect.arrayContaining(['store-write-failed', 'held-messages']));

      const started = Date.now();
      gateway.proc.kill('SIGTERM');
      const exit = await gateway.exited();
      const took = Date.now() - started;
      expect(exit.code).toBe(EXIT_STOPPED_UNWRITTEN);
      expect(took).toBeLessThan(15_000);
      const report = gateway.records((r) => String(r.msg).startsWith('stopped with messages not written'));
      expect(report).toHaveLength(1);
      // The new message, and possibly the echo of our last reply (an is_from_me row), were held.
      expect(report[0]?.held).toBeGreaterThanOrEqual(1);
      expect(gateway.records((r) => r.msg === 'gateway stopped')[0]).toMatchObject({ exitCode: EXIT_STOPPED_UNWRITTEN });
      expect(gateway.records((r) => String(r.msg).includes('second signal'))).toEqual([]);
    });
  });
});
