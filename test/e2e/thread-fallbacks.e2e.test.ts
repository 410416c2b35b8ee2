/**
 * The two fallback paths of threads (issue 17, item 4), end to end with a real gateway and real
 * imsg-sim 0.15 children:
 * - imsg names the message a reply answers (`reply_to_guid` / `thread_originator_guid`) but not its
 *   text (imsg-sim --omit-reply-text): the envelope's `replyTo.text` and `sender` come from the
 *   gateway's journal (a message that came in) or its outbox (one it sent); a parent the gateway
 *   never saw stays a bare guid;
 * - imsg advertises `reply_to` (the bridge) but refuses it at send time with -32602 (imsg-sim
 *   --refuse-reply-to, the bridge gone between status and the send, §8.1): the gateway sends the
 *   reply plain, exactly once, and says so in one warning for the account.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultBridgeLog, readBridgeLog } from '../../src/sim/index.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { actionAgent, actionLog } from '../helpers/agents.js';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = undefined;
});

const PEER = '+15550004444';

function guidOfRow(db: string, rowid: number): string {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare('SELECT guid FROM message WHERE ROWID = ?').get(rowid) as { guid: string }).guid;
  } finally {
    c.close();
  }
}

function outboxRows(home: string): Array<{ state: string; reply_to: string | null }> {
  const c = new SqliteDatabase(join(home, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return c.prepare('SELECT state, reply_to FROM outbox ORDER BY id').all() as Array<{ state: string; reply_to: string | null }>;
  } finally {
    c.close();
  }
}

function threadOf(db: string, text: string): Array<string | null> {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare('SELECT thread_originator_guid AS tog FROM message WHERE is_from_me = 1 AND text = ?').all(text) as Array<{ tog: string | null }>).map(
      (r) => r.tog,
    );
  } finally {
    c.close();
  }
}

describe('imsg gives a reply without its parent\'s text (imsg-sim --omit-reply-text)', () => {
  it('the envelope takes the text from the journal or the outbox; an unseen parent stays a bare guid', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.jsonl');
    const cli = simWrapper(dir, 'imsg', { IMSG_SIM_PROFILE: '0.15', IMSG_SIM_POLL_MS: '200', IMSG_SIM_OMIT_REPLY_TEXT: '1' });
    // Before the gateway starts: in chat.db, never journalled.
    const unseen = inject(db, { from: PEER, text: 'from before', date: Date.now() - 60_000 });
    gateway = startGateway(
      { messages: ONE_TURN_PER_MESSAGE, imessage: openAccount(cli, db), agents: { list: [actionAgent(dir, log, {})] } },
      undefined,
      { simProfile: '0.15' },
    );
    await gateway.waitForState('default', 'streaming');
    const parent = inject(db, { from: PEER, text: 'the parent' });
    const reply = await waitUntil(() => sentRows(db).find((r) => r.text === 'ack: the parent'), 'the reply to the parent');
    const replyGuid = guidOfRow(db, reply.id);
    inject(db, { from: PEER, text: 'answering mine', replyTo: parent.guid });
    inject(db, { from: PEER, text: 'answering yours', replyTo: replyGuid });
    inject(db, { from: PEER, text: 'answering old', replyTo: unseen.guid });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: answering old') || undefined, 'the last reply');
    const byText = (t: string) => actionLog(log).find((e) => e.text === t)?.replyTo;
    expect(byText('answering mine')).toEqual({ guid: parent.guid, text: 'the parent', sender: PEER });
    expect(byText('answering yours')).toMatchObject({ guid: replyGuid, text: 'ack: the parent' });
    // Nothing knows this one's text: imsg did not send it (the switch works), the journal never had it.
    expect(byText('answering old')).toEqual({ guid: unseen.guid });
  });
});

describe('imsg advertises reply_to but refuses it at send time (imsg-sim --bridge --refuse-reply-to)', () => {
  it('the reply goes plain, exactly once, with one warning for the account', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.jsonl');
    const cli = simWrapper(dir, 'imsg', { IMSG_SIM_PROFILE: '0.15', IMSG_SIM_POLL_MS: '200', IMSG_SIM_BRIDGE: '1', IMSG_SIM_REFUSE_REPLY_TO: '1' });
    const answers = { 'thread me': { replies: [{ text: 'in the thread' }] } };
    gateway = startGateway(
      { messages: ONE_TURN_PER_MESSAGE, imessage: openAccount(cli, db), agents: { list: [actionAgent(dir, log, answers)] } },
      undefined,
      { simProfile: '0.15' },
    );
    await gateway.waitForState('default', 'streaming');
    const root = inject(db, { from: PEER, text: 'the root' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: the root') || undefined, 'the root answered');
    inject(db, { from: PEER, text: 'thread me', replyTo: root.guid });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'in the thread') || undefined, 'the first threaded reply');
    inject(db, { from: PEER, text: 'thread me', replyTo: root.guid });
    await waitUntil(() => sentRows(db).filter((r) => r.text === 'in the thread').length === 2 || undefined, 'the second threaded reply');
    // The gateway asked for the thread (the envelope carried it), imsg refused, the replies went plain.
    expect(actionLog(log).filter((e) => e.text === 'thread me').map((e) => e.threadOriginator)).toEqual([{ guid: root.guid }, { guid: root.guid }]);
    expect(threadOf(db, 'in the thread')).toEqual([null, null]);
    expect(readBridgeLog(defaultBridgeLog(db)).filter((x) => x.reply_to !== undefined)).toEqual([]);
    const warned = await gateway.waitForRecords(
      (r) => r.level === 40 && typeof r.msg === 'string' && r.msg.includes('cannot send threaded replies'),
      'the no-threads warning',
    );
    expect(warned).toHaveLength(1);
    // Exactly once: every outbox row settled as sent (both threaded rows asked for the thread), and
    // the chat holds each reply once.
    const rows = await waitUntil(() => {
      const r = outboxRows(gateway!.home);
      return r.length === 3 && r.every((x) => x.state === 'sent') ? r : undefined;
    }, 'the outbox settled');
    expect(rows.filter((r) => r.reply_to !== null)).toHaveLength(2);
    expect(sentRows(db).map((r) => r.text)).toEqual(['ack: the root', 'in the thread', 'in the thread']);
  });
});
