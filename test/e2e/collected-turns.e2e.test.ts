/**
 * messages.queue end to end (issue 15, item 2): a real gateway, real imsg-sim and a real command
 * agent that holds a turn while a file says so (turnAgent).
 * - collect (the default): 5 quick messages that arrive while a slow turn runs are handed over as
 *   ONE turn, the latest with `collected` (the 4 earlier, in order); each message is journalled
 *   once and marked dispatched; one reply goes to the chat;
 * - the same across a gateway kill -9 in the middle of the collected turn: at the restart the 5
 *   recovered messages are collected again into the same turn (same envelope id), and the reply
 *   goes out once;
 * - followup: one turn (and one reply) per message;
 * - an agent that fails a collected turn: retried as a whole, then every message of it is a dead
 *   letter, with the same reason and attempts;
 * - every view names the turn that answered an earlier message of a collected turn, with that
 *   turn's reply (GET /api/flow, `why`, `status ACCOUNT`), and the failed turn of a dead letter.
 * Each against both imsg-sim profiles (0.9's watch from a row id, 0.15's protocol v1).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { type FlowEntry, stateDbPath } from '../../src/store/index.js';
import { readControlToken } from '../../src/web/control-token.js';
import { turnAgent, turnLog } from '../helpers/agents.js';
import { type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES, type SimProfile } from '../helpers/sim-profiles.js';

const ALICE = '+15551230031';

const running: GatewayProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
});

interface JournalRow {
  guid: string;
  state: string;
  reason: string | null;
}

/** The journal rows of the messages the gateway received (its own sent messages, dropped as such, left out). */
function journal(home: string): JournalRow[] {
  const db = new SqliteDatabase(stateDbPath(home), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT guid, state, reason FROM inbound_journal WHERE reason IS NOT 'own-message' ORDER BY msg_rowid`).all() as JournalRow[];
  } finally {
    db.close();
  }
}

function setup(profile: SimProfile, queue?: Record<string, unknown>) {
  const dir = tempDir();
  const db = createSimDb(dir);
  const log = join(dir, 'agent.log');
  const home = tempDir('gw-home-');
  const config = {
    imessage: openAccount(SIM_BIN, db),
    agents: { list: [turnAgent(dir, log)] },
    ...(queue ? { messages: { queue } } : {}),
  };
  const start = () => {
    const g = startGateway(config, home, { simProfile: profile });
    running.push(g);
    return g;
  };
  const hold = (text: string) => writeFileSync(join(dir, `hold-${text}`), '');
  const release = (text: string) => rmSync(join(dir, `hold-${text}`), { force: true });
  return { dir, db, log, home, start, hold, release };
}

/** The running gateway's message flow (GET /api/flow), by guid. */
async function flowByGuid(g: GatewayProcess): Promise<Map<string, FlowEntry>> {
  const url = await waitUntil(() => g.status()?.controlUrl, 'the control API to listen');
  const response = await fetch(`${url}/api/flow?account=default&limit=50`, { headers: { authorization: `Bearer ${readControlToken(g.home)}` } });
  expect(response.status).toBe(200);
  const { flow } = (await response.json()) as { flow: FlowEntry[] };
  return new Map(flow.map((e) => [e.guid, e]));
}

const starts = (log: string) => turnLog(log).filter((e) => e.event === 'start');
const QUICK = ['one', 'two', 'three', 'four', 'five'];

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('messages.queue: collect (the default)', () => {
    it('5 quick messages during a slow turn arrive as ONE turn with `collected`, each journalled once; one reply', async () => {
      const { db, log, home, start, hold, release } = setup(profile);
      const g = start();
      await g.waitForState('default', 'streaming');

      hold('slow');
      const slow = inject(db, { from: ALICE, text: 'slow' });
      await waitUntil(() => starts(log).some((e) => e.text === 'slow') || undefined, 'the slow turn started');
      const quick = QUICK.map((text) => inject(db, { from: ALICE, text }));
      await waitUntil(() => ((g.account('default')?.counters.accepted ?? 0) >= 6 ? true : undefined), 'all 6 messages accepted');
      expect(starts(log)).toHaveLength(1); // the quick ones wait behind the slow turn

      release('slow');
      await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: five [+4 collected]') || undefined, 'the collected reply');
      const turns = starts(log);
      expect(turns.map((t) => t.text)).toEqual(['slow', 'five']);
      const collected = turns[1]!;
      expect(collected.id).toBe(`default:${quick[4]!.guid}`);
      expect(collected.collected.map((c) => c.text)).toEqual(['one', 'two', 'three', 'four']);
      expect(collected.collected.map((c) => c.guid)).toEqual(quick.slice(0, 4).map((q) => q.guid));
      expect(collected.collected.map((c) => c.id)).toEqual(quick.slice(0, 4).map((q) => `default:${q.guid}`));
      expect(new Set(collected.collected.map((c) => c.sender))).toEqual(new Set([ALICE]));
      expect(turns[0]!.collected).toEqual([]);

      // Every message journalled once and dispatched; one reply per turn, to the chat.
      await waitUntil(() => journal(home).every((r) => r.state === 'dispatched') || undefined, 'every journal row dispatched');
      const rows = journal(home);
      expect(rows.map((r) => r.guid)).toEqual([slow.guid, ...quick.map((q) => q.guid)]);
      await waitUntil(() => g.account('default')?.outbox.depth === 0 || undefined, 'the outbox drained');
      const sent = sentRows(db);
      expect(sent.map((r) => r.text)).toEqual(['ack: slow', 'ack: five [+4 collected]']);
      expect(new Set(sent.map((r) => r.chatId))).toEqual(new Set([slow.chat_id]));
      await waitUntil(() => (g.account('default')?.counters.dispatched === 6 ? true : undefined), 'status counting 6 messages dispatched');
      expect(await g.waitForRecords((r) => r.msg === 'collected turn: 5 messages of one chat → agent', 'the collected turn')).toHaveLength(1);

      // "Did this message get answered?": an earlier message of the turn names the turn of the latest
      // one and its reply, in the flow, in `why` and in `status ACCOUNT`; the latest counts the earlier ones.
      const [first, latest] = [quick[0]!.guid, quick[4]!.guid];
      const turn = { latestGuid: latest, earlier: 4 };
      const sentReply = { count: 1, state: 'sent', error: null };
      const flow = await flowByGuid(g); // the outbox drained: the reply is sent
      for (const q of quick) expect(flow.get(q.guid)).toMatchObject({ decision: 'dispatched', turn, reply: sentReply });
      expect(flow.get(slow.guid)).toMatchObject({ decision: 'dispatched', reply: sentReply });
      expect(flow.get(slow.guid)).not.toHaveProperty('turn');
      const why = runCli(['why', first], home);
      expect(why.code, why.stderr).toBe(0);
      expect(why.stdout).toContain(`default ${first}: dispatched, answered in the collected turn of ${latest}: reply sent`);
      expect(runCli(['why', latest], home).stdout).toContain(`default ${latest}: dispatched, collected 4 earlier messages, reply sent`);
      const listing = runCli(['status', 'default'], home).stdout;
      expect(listing).toContain(`answered in the collected turn of ${latest}: reply sent, guid ${quick[1]!.guid}`);
    }, 60_000);

    it('across a gateway kill -9 in the middle of the collected turn: collected again into the same turn, answered once', async () => {
      const { db, log, home, start, hold, release } = setup(profile);
      let g = start();
      await g.waitForState('default', 'streaming');

      hold('slow');
      hold('five'); // the collected turn (its latest message is "five") is held too
      inject(db, { from: ALICE, text: 'slow' });
      await waitUntil(() => starts(log).some((e) => e.text === 'slow') || undefined, 'the slow turn started');
      const quick = QUICK.map((text) => inject(db, { from: ALICE, text }));
      await waitUntil(() => ((g.account('default')?.counters.accepted ?? 0) >= 6 ? true : undefined), 'all 6 messages accepted');
      release('slow');
      const before = await waitUntil(() => starts(log).find((e) => e.text === 'five'), 'the collected turn started');
      await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: slow') || undefined, 'the slow reply sent');

      g.proc.kill('SIGKILL');
      await g.exited();
      // The collected turn never finished: its 5 messages are still accepted, none answered.
      expect(journal(home).filter((r) => r.state === 'accepted').map((r) => r.guid)).toEqual(quick.map((q) => q.guid));

      g = start();
      await g.waitForState('default', 'streaming');
      const after = await waitUntil(
        () => starts(log).filter((e) => e.text === 'five' && e.pid !== before.pid)[0],
        'the recovered turn started',
      );
      expect(after.id).toBe(before.id);
      expect(after.collected).toEqual(before.collected);
      expect(after.collected.map((c) => c.text)).toEqual(['one', 'two', 'three', 'four']);

      release('five');
      await waitUntil(() => journal(home).every((r) => r.state === 'dispatched') || undefined, 'every journal row dispatched');
      await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: five [+4 collected]') || undefined, 'the collected reply');
      await waitUntil(() => g.account('default')?.outbox.depth === 0 || undefined, 'the outbox drained');
      // No message was answered twice, and no other turn ran for them.
      expect(sentRows(db).map((r) => r.text)).toEqual(['ack: slow', 'ack: five [+4 collected]']);
      expect(starts(log).map((t) => t.text)).toEqual(['slow', 'five', 'five']);
      expect(journal(home)).toHaveLength(6);
      // The recovered turn is the one recorded as answering them.
      expect(runCli(['why', quick[1]!.guid], home).stdout).toContain(`dispatched, answered in the collected turn of ${quick[4]!.guid}: reply sent`);
    }, 90_000);

    it('an agent that fails a collected turn: the turn is retried as a whole, then every message of it is a dead letter', async () => {
      const { dir, db, log, home, start, hold, release } = setup(profile);
      const g = start();
      await g.waitForState('default', 'streaming');

      hold('slow');
      inject(db, { from: ALICE, text: 'slow' });
      await waitUntil(() => starts(log).some((e) => e.text === 'slow') || undefined, 'the slow turn started');
      writeFileSync(join(dir, 'fail'), ''); // from now on every turn fails
      const quick = QUICK.slice(0, 3).map((text) => inject(db, { from: ALICE, text }));
      await waitUntil(() => ((g.account('default')?.counters.accepted ?? 0) >= 4 ? true : undefined), 'all 4 messages accepted');
      release('slow');

      const list = () => {
        const r = runCli(['delivery', 'list', '--json'], home);
        return (JSON.parse(r.stdout) as { deadLetters: Array<{ id: string; kind: string; reason: string; attempts: number; status: string }> }).deadLetters;
      };
      const letters = await waitUntil(() => (list().length === 3 ? list() : undefined), 'the 3 messages of the failed turn kept as dead letters', 30_000);
      expect(letters.every((l) => l.kind === 'turn' && l.status === 'agent-failed' && l.attempts === 3)).toBe(true);
      expect(new Set(letters.map((l) => l.reason)).size).toBe(1);
      expect(letters[0]!.reason).toContain('model unavailable');
      expect(letters[0]!.reason).toContain(`collected turn of 3 messages; latest ${quick[2]!.guid}`);

      // Every attempt was the whole collected turn; every message settled as agent-failed, none dispatched.
      const attempts = starts(log).filter((t) => t.text !== 'slow');
      expect(attempts).toHaveLength(3);
      for (const a of attempts) expect(a.collected.map((c) => c.text)).toEqual(['one', 'two']);
      const rows = journal(home);
      expect(rows.filter((r) => r.state === 'dropped').map((r) => [r.guid, r.reason])).toEqual(quick.map((q) => [q.guid, 'agent-failed']));
      expect(sentRows(db).map((r) => r.text)).toEqual(['ack: slow']);
      const failed = await flowByGuid(g);
      for (const q of quick) expect(failed.get(q.guid)).toMatchObject({ decision: 'dropped', reason: 'agent-failed', turn: { latestGuid: quick[2]!.guid, earlier: 2 }, reply: null });
      expect(runCli(['why', quick[0]!.guid], home).stdout).toContain(`dropped (agent-failed), failed in the collected turn of ${quick[2]!.guid}`);

      // The agent is back. Retrying one of the three runs the whole turn again, collected as before.
      rmSync(join(dir, 'fail'));
      const retried = runCli(['delivery', 'retry', letters[1]!.id], home);
      expect(retried.code, retried.stderr).toBe(0);
      await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: three [+2 collected]') || undefined, 'the retried turn answered');
      await waitUntil(() => journal(home).every((r) => r.state === 'dispatched') || undefined, 'every journal row dispatched');
      const last = starts(log).at(-1)!;
      expect(last.collected.map((c) => c.text)).toEqual(['one', 'two']);
      expect(list()).toEqual([]);
      await waitUntil(() => g.account('default')?.outbox.depth === 0 || undefined, 'the outbox drained');
      expect(sentRows(db).map((r) => r.text)).toEqual(['ack: slow', 'ack: three [+2 collected]']);
      // The turn that ran again is the one that answered them now.
      expect(runCli(['why', quick[0]!.guid], home).stdout).toContain(`dispatched, answered in the collected turn of ${quick[2]!.guid}: reply sent`);
    }, 60_000);
  });

  describe('messages.queue: followup', () => {
    it('keeps one turn and one reply per message', async () => {
      const { db, log, home, start, hold, release } = setup(profile, { mode: 'followup' });
      const g = start();
      await g.waitForState('default', 'streaming');

      hold('slow');
      inject(db, { from: ALICE, text: 'slow' });
      await waitUntil(() => starts(log).some((e) => e.text === 'slow') || undefined, 'the slow turn started');
      for (const text of QUICK) inject(db, { from: ALICE, text });
      await waitUntil(() => ((g.account('default')?.counters.accepted ?? 0) >= 6 ? true : undefined), 'all 6 messages accepted');
      release('slow');

      await waitUntil(() => (sentRows(db).length === 6 ? true : undefined), 'six replies');
      expect(starts(log).map((t) => [t.text, t.collected.length])).toEqual([['slow', 0], ...QUICK.map((t) => [t, 0])]);
      expect(sentRows(db).map((r) => r.text)).toEqual(['ack: slow', ...QUICK.map((t) => `ack: ${t}`)]);
      await waitUntil(() => journal(home).every((r) => r.state === 'dispatched') || undefined, 'every journal row dispatched');
    }, 60_000);
  });
});
