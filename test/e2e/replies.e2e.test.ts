/**
 * Replies are never cut off or starved (issue 11, item 5), end to end with a real gateway, real
 * imsg-sim and a command agent:
 * - a long reply is sent whole even when it has more chunks than the echo-loop breaker's cap;
 * - a 10 MB reply in one chat does not hold up another chat's reply;
 * - a reply longer than imessage.maxReplyChars is cut with a visible notice, and the cut is logged;
 * - after kill -9 the breaker neither forgets a pause nor strands queued replies.
 * Each against both imsg-sim profiles.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { agentLog, recordingAgent, scriptAgent } from '../helpers/agents.js';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

const running: GatewayProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
});

/** `lines` numbered lines joined by "\n": chunked at line breaks, rebuilt by joining chunks with "\n". */
function longText(lines: number, width: number): string {
  return Array.from({ length: lines }, (_, i) => `line ${String(i).padStart(6, '0')} `.padEnd(width, 'x')).join('\n');
}

/** An agent that answers "big" with the text in `file` and anything else with "ack: <text>". */
function bigReplyAgent(dir: string, file: string) {
  const agent = scriptAgent(
    dir,
    'big-agent',
    `  const text = env.text === 'big' ? fs.readFileSync(${JSON.stringify(file)}, 'utf8') : 'ack: ' + env.text;
  process.stdout.write(JSON.stringify({ replies: [{ text }] }));`,
    { timeoutMs: 30_000 },
  );
  return agent;
}

/** Sent rows per chat (ids and lengths only: cheap to poll while megabytes are being sent). */
function sentPerChat(db: string): Map<number, number> {
  const conn = new SqliteDatabase(db, { readonly: true });
  try {
    const rows = conn
      .prepare<[], { chatId: number; n: number }>(
        `SELECT j.chat_id AS chatId, COUNT(*) AS n FROM message m JOIN chat_message_join j ON j.message_id = m.ROWID
         WHERE m.is_from_me = 1 GROUP BY j.chat_id`,
      )
      .all();
    return new Map(rows.map((r) => [r.chatId, r.n]));
  } finally {
    conn.close();
  }
}

const textsIn = (db: string, chatId: number) => sentRows(db).filter((r) => r.chatId === chatId).map((r) => r.text);

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  const start = (config: Record<string, unknown>, home?: string) => {
    const g = startGateway(config, home, { simProfile: profile });
    running.push(g);
    return g;
  };

  describe('long replies', () => {
    it('sends every chunk of a 62 KB reply although it has more chunks than maxSendsWithoutInbound', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const text = longText(1000, 62); // 62,999 characters: 16 chunks of at most 4000
      const g = start({
        imessage: openAccount(SIM_BIN, db, { maxSendsWithoutInbound: 2 }),
        agents: { list: [recordingAgent(dir, join(dir, 'agent.log'), { text })] },
      });
      await g.waitForState('default', 'streaming');
      const { chat_id } = inject(db, { from: '+15552220001', text: 'tell me everything' });
      const chunks = await waitUntil(() => {
        const a = g.account('default');
        return a && a.outbox.depth === 0 && a.counters.sent > 0 ? textsIn(db, chat_id) : undefined;
      }, 'the whole reply sent');
      expect(chunks.length).toBe(16);
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.join('\n')).toBe(text);
      expect(g.account('default')!.pausedChats).toEqual([]);
    });

    it("answers another chat promptly while a 10 MB reply (2,600+ chunks) is being sent", async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const bigFile = join(dir, 'big.txt');
      const big = longText(150_000, 70); // 10.5 MB
      writeFileSync(bigFile, big);
      const g = start({
        imessage: openAccount(SIM_BIN, db, { maxReplyChars: 11_000_000 }),
        agents: { list: [bigReplyAgent(dir, bigFile)] },
      });
      await g.waitForState('default', 'streaming');
      const bigChat = inject(db, { from: '+15552220002', text: 'big' }).chat_id;
      // The big reply is queued and going out (status.json is written about once a second: wait until
      // it shows the queue too, or a fast host reads the snapshot from before the reply was queued).
      await waitUntil(
        () => ((sentPerChat(db).get(bigChat) ?? 0) >= 20 && (g.account('default')?.outbox.depth ?? 0) > 1000) || undefined,
        'the big reply to be under way',
        60_000,
        200,
      );
      const smallChat = inject(db, { from: '+15552220003', text: 'small' }).chat_id;
      await waitUntil(() => (sentPerChat(db).get(smallChat) ?? 0) >= 1 || undefined, 'the other chat answered', 30_000, 100);
      const queued = g.account('default')!.outbox.depth;
      const bigSentSoFar = sentPerChat(db).get(bigChat) ?? 0;
      // The other chat was answered while most of the big reply was still waiting.
      expect(queued).toBeGreaterThan(1000);
      expect(bigSentSoFar).toBeLessThan(1500);
      expect(textsIn(db, smallChat)).toEqual(['ack: small']);

      const all = await waitUntil(
        () => (g.account('default')?.outbox.depth === 0 ? textsIn(db, bigChat) : undefined),
        'the whole big reply',
        240_000,
        1000,
      );
      expect(all.length).toBeGreaterThanOrEqual(2622);
      expect(all.join('\n')).toBe(big);
    }, 300_000);

    it('cuts a reply past maxReplyChars with a visible notice and logs the cut without the text', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const text = longText(500, 100); // 50,499 characters
      const g = start({
        imessage: openAccount(SIM_BIN, db, { maxReplyChars: 10_000 }),
        agents: { list: [recordingAgent(dir, join(dir, 'agent.log'), { text })] },
      });
      await g.waitForState('default', 'streaming');
      const { chat_id } = inject(db, { from: '+15552220004', text: 'go on' });
      const chunks = await waitUntil(() => {
        const a = g.account('default');
        return a && a.outbox.depth === 0 && a.counters.sent > 0 ? textsIn(db, chat_id) : undefined;
      }, 'the cut reply sent');
      const sent = chunks.join('\n');
      expect(sent.startsWith(text.slice(0, 9000))).toBe(true);
      expect(sent).toMatch(/… \[reply truncated: 40\d{3} characters not sent\]$/);
      const cut = await g.waitForRecords((r) => r.msg === 'reply cut at imessage.maxReplyChars; the rest is not sent and a notice says so', 'the cut');
      expect(cut).toHaveLength(1);
      expect(cut[0]).toMatchObject({ level: 30, maxReplyChars: 10_000, chars: text.length });
      expect(JSON.stringify(cut[0])).not.toContain('line 000001');
    });
  });

  describe('echo-loop breaker across kill -9', () => {
    it('keeps a pause (and its held reply) over a restart, and resumes when someone writes', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const config = { imessage: openAccount(SIM_BIN, db, { maxSendsWithoutInbound: 1 }) };
      const first = start(config);
      await first.waitForState('default', 'streaming');
      const loop = '+15552220005';
      inject(db, { from: loop, text: 'hi' });
      await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: hi') || undefined, 'the first reply');
      // Our reply comes back as someone else's message (a loop): answering it is an unpaid turn.
      inject(db, { from: loop, text: 'echo: hi' });
      await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: echo: hi') || undefined, 'the unpaid reply');
      inject(db, { from: loop, text: 'echo: echo: hi' });
      const paused = await waitUntil(() => {
        const a = first.account('default');
        return a && a.pausedChats.length === 1 && a.outbox.depth === 1 ? a : undefined;
      }, 'the chat paused with its next reply held');
      expect(paused.pausedChats).toEqual([`handle:${loop}`]);
      await first.stop('SIGKILL');

      const second = start(config, first.home);
      await second.waitForState('default', 'streaming');
      // Another chat is answered after the restart: the outbox runs, and the paused chat stays held.
      inject(db, { from: '+15552220006', text: 'unrelated' });
      await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: unrelated') || undefined, 'the other chat answered');
      const after = await waitUntil(() => {
        const a = second.account('default');
        return a && a.counters.sent >= 1 && a.outbox.depth === 1 ? a : undefined;
      }, 'status after the other reply');
      expect(after.pausedChats).toEqual([`handle:${loop}`]);
      expect(sentRows(db).some((r) => r.text === 'echo: echo: echo: hi')).toBe(false);

      // A person writes: the held reply and the new one go out, in order.
      inject(db, { from: loop, text: 'hello?' });
      await waitUntil(() => second.account('default')?.outbox.depth === 0 && sentRows(db).some((r) => r.text === 'echo: hello?') || undefined, 'resumed');
      const texts = sentRows(db).map((r) => r.text);
      expect(texts.indexOf('echo: echo: echo: hi')).toBeGreaterThan(-1);
      expect(texts.indexOf('echo: echo: echo: hi')).toBeLessThan(texts.indexOf('echo: hello?'));
      await waitUntil(() => second.account('default')?.pausedChats.length === 0 || undefined, 'the chat resumed in status');
    });

    it('does not strand replies that were queued (one of them mid-send) at a kill -9', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const slowFlag = join(dir, 'slow');
      writeFileSync(slowFlag, '');
      const cli = simWrapper(dir, 'imsg-slow', { IMSG_SIM_SLOW_SEND_MS: '20000', IMSG_SIM_SLOW_SEND_PHASE: 'before', IMSG_SIM_SLOW_SEND_FLAG: slowFlag });
      const log = join(dir, 'agent.log');
      const config = {
        imessage: openAccount(cli, db, { maxSendsWithoutInbound: 1 }),
        agents: { list: [recordingAgent(dir, log, { prefix: 'ack: ' })] },
        // One turn per message: five queued replies, one per message (collect would answer the burst once).
        messages: ONE_TURN_PER_MESSAGE,
        gateway: { supervision: { sendTimeoutMs: 30_000 } },
      };
      const first = start(config);
      await first.waitForState('default', 'streaming');
      // Five people's messages in one chat; the first send hangs, so the other replies queue behind it.
      const person = '+15552220007';
      for (let i = 0; i < 5; i++) inject(db, { from: person, text: `q${i}` });
      await waitUntil(() => first.account('default')?.outbox.depth === 5 || undefined, 'five replies queued', 30_000);
      await first.stop('SIGKILL');
      unlinkSync(slowFlag);

      const second = start(config, first.home);
      await second.waitForState('default', 'streaming');
      await waitUntil(() => second.account('default')?.outbox.depth === 0 || undefined, 'every queued reply sent after the restart', 30_000);
      const replies = sentRows(db).map((r) => r.text);
      for (let i = 0; i < 5; i++) expect(replies.filter((t) => t === `ack: q${i}`)).toHaveLength(1);
      expect(second.account('default')!.pausedChats).toEqual([]);
      expect(agentLog(log).map((e) => e.text)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    }, 90_000);
  });
});
