/**
 * Typing, read receipts and tapbacks in (issue 17, items 1–3), end to end on imsg-sim's 0.15
 * profile with real processes, each with the capability present and absent (`--without`):
 * typing starts on acceptance and stops once the reply is queued; a read receipt goes out for an
 * accepted message and never for a dropped one (a stranger waiting for pairing, unmentioned group
 * chatter); a tapback reaches
 * the agent as a reaction event, never as a turn, also on a message the gateway never saw
 * (`target: "unknown"`).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSignals, type SignalRecord } from '../../src/sim/signals.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { type GatewayProcess, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { jsonLines, scriptAgent } from '../helpers/agents.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const FRIEND = '+15550001111';
const STRANGER = '+15550009999';
const FRIEND_CHAT = `iMessage;-;${FRIEND}`;

interface Seen {
  id: string;
  kind?: string;
  text: string;
  reaction?: { type: string; emoji?: string; added: boolean; targetGuid: string; target: unknown };
}

/** A command agent that records what it was handed and answers `ack: <text>` after `delayMs`. */
function signalAgent(dir: string, log: string, delayMs: number) {
  const agent = scriptAgent(
    dir,
    'signal-agent',
    `  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ id: env.id, kind: env.kind, text: env.text, reaction: env.reaction }) + '\\n');
  setTimeout(() => process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] })), ${delayMs});`,
  );
  return { list: [agent] };
}

const seen = (log: string) => jsonLines<Seen>(log);

function guidOfRow(db: string, rowid: number): string {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare('SELECT guid FROM message WHERE ROWID = ?').get(rowid) as { guid: string }).guid;
  } finally {
    c.close();
  }
}

function setup(absent: boolean, extra: Record<string, unknown> = {}) {
  const dir = tempDir();
  const db = createSimDb(dir);
  const cli = simWrapper(dir, 'imsg', {
    IMSG_SIM_PROFILE: '0.15',
    IMSG_SIM_POLL_MS: '200',
    ...(absent ? { IMSG_SIM_WITHOUT: 'typing,read,reactions' } : {}),
  });
  const agentLog = join(dir, 'agent.jsonl');
  gateway = startGateway(
    {
      agents: signalAgent(dir, agentLog, 1500),
      imessage: { cliPath: cli, dbPath: db, dmPolicy: 'pairing', allowFrom: [FRIEND], ...extra },
    },
    undefined,
    { simProfile: '0.15' },
  );
  return { dir, db, agentLog, signals: () => readSignals(`${db}.signals.jsonl`) };
}

const warnings = (g: GatewayProcess, text: string) => g.records((r) => r.level === 40 && String(r.msg).startsWith(text));
const forChat = (recs: SignalRecord[], guid: string) => recs.filter((r) => r.chat_guid === guid);

describe.each([
  ['present', false],
  ['absent', true],
] as const)('typing and read receipts, capability %s', (_name, absent) => {
  it('typing starts on acceptance and stops on reply; a read receipt for the accepted message, none for the stranger', async () => {
    const t = setup(absent);
    await gateway!.waitForState('default', 'streaming');
    inject(t.db, { from: FRIEND, text: 'hello there' });
    // While the agent works (1.5 s), typing is on (when imsg has it).
    if (!absent) {
      const on = await waitUntil(() => forChat(t.signals(), FRIEND_CHAT).find((r) => r.method === 'typing' && r.typing === true), 'typing on');
      expect(sentRows(t.db).some((r) => r.text === 'ack: hello there')).toBe(false);
      expect(on).toBeDefined();
    }
    await waitUntil(() => sentRows(t.db).some((r) => r.text === 'ack: hello there') || undefined, 'the reply');
    inject(t.db, { from: STRANGER, text: 'who is this' });
    await waitUntil(() => sentRows(t.db).some((r) => /pairing|code/i.test(r.text) && r.chatId !== sentRows(t.db)[0]!.chatId) || undefined, 'the pairing code');
    inject(t.db, { from: FRIEND, text: 'second' });
    await waitUntil(() => sentRows(t.db).some((r) => r.text === 'ack: second') || undefined, 'the second reply');
    if (absent) {
      await waitUntil(() => warnings(gateway!, 'read receipts off').length > 0 || undefined, 'the read warning');
      expect(t.signals()).toEqual([]);
      expect(warnings(gateway!, 'typing indicator off')).toHaveLength(1);
      expect(warnings(gateway!, 'read receipts off')).toHaveLength(1);
      return;
    }
    const recs = await waitUntil(() => {
      const r = forChat(t.signals(), FRIEND_CHAT);
      return r.filter((x) => x.method === 'typing' && x.typing === false).length >= 2 ? r : undefined;
    }, 'typing off after both replies');
    expect(recs.filter((r) => r.method === 'read')).toHaveLength(2);
    // read, typing on, typing off, for each accepted message in turn.
    expect(recs.map((r) => (r.method === 'read' ? 'read' : r.typing ? 'on' : 'off'))).toEqual(['read', 'on', 'off', 'read', 'on', 'off']);
    // Nothing for the stranger, whose message was dropped (pairing).
    expect(t.signals().filter((r) => r.chat_guid === `iMessage;-;${STRANGER}` || r.to === STRANGER)).toEqual([]);
    expect(warnings(gateway!, 'typing indicator off')).toHaveLength(0);
  });
});

describe('read receipts in a group (capability present)', () => {
  it('none for unmentioned chatter (dropped by mention gating); one once the agent is mentioned', async () => {
    const t = setup(false, { groupPolicy: 'open' });
    await gateway!.waitForState('default', 'streaming');
    const group = { group: 'Team', participants: [FRIEND, 'ann@example.com'] };
    const groupRecords = () => t.signals().filter((r) => r.chat_guid !== FRIEND_CHAT);
    inject(t.db, { from: 'ann@example.com', text: 'lunch at noon', ...group });
    await waitUntil(() => (gateway!.account('default')?.counters.dropped['no-mention'] ?? 0) === 1 || undefined, 'the chatter dropped');
    // A DM accepted after the chatter: its read receipt comes after any the chatter could have had.
    inject(t.db, { from: FRIEND, text: 'meanwhile' });
    await waitUntil(() => forChat(t.signals(), FRIEND_CHAT).find((r) => r.method === 'read'), 'the DM read');
    await waitUntil(() => sentRows(t.db).some((r) => r.text === 'ack: meanwhile') || undefined, 'the DM reply');
    expect(groupRecords()).toEqual([]);
    inject(t.db, { from: 'ann@example.com', text: '@bot where?', ...group });
    await waitUntil(() => sentRows(t.db).some((r) => r.text === 'ack: @bot where?') || undefined, 'the reply in the group');
    const reads = await waitUntil(() => {
      const r = groupRecords().filter((x) => x.method === 'read');
      return r.length > 0 ? r : undefined;
    }, 'the group read');
    expect(reads).toHaveLength(1);
  });
});

describe.each([
  ['present', false],
  ['absent', true],
] as const)('tapbacks in, capability %s', (_name, absent) => {
  it('a tapback reaches the agent as a reaction (never a turn), also on a message the gateway never saw', async () => {
    const t = setup(absent, { reactionNotifications: 'all' });
    await gateway!.waitForState('default', 'streaming');
    inject(t.db, { from: FRIEND, text: 'lunch?' });
    const reply = await waitUntil(() => sentRows(t.db).find((r) => r.text === 'ack: lunch?'), 'the reply');
    const replyGuid = guidOfRow(t.db, reply.id);
    inject(t.db, { from: FRIEND, reaction: 'like', targetGuid: replyGuid });
    inject(t.db, { from: FRIEND, reaction: '🎉', targetGuid: 'C0FFEE00-0000-0000-0000-00000000BEEF' });
    inject(t.db, { from: FRIEND, text: 'marker' });
    await waitUntil(() => sentRows(t.db).some((r) => r.text === 'ack: marker') || undefined, 'the marker reply');
    const got = seen(t.agentLog);
    // Never a user turn: no turn carries a tapback's summary text.
    expect(got.filter((e) => e.kind === undefined).map((e) => e.text)).toEqual(['lunch?', 'marker']);
    if (absent) {
      expect(got.filter((e) => e.kind === 'reaction')).toEqual([]);
      expect(warnings(gateway!, 'tapbacks are not passed to agents')).toHaveLength(1);
      return;
    }
    const reactions = await waitUntil(() => {
      const r = seen(t.agentLog).filter((e) => e.kind === 'reaction');
      return r.length >= 2 ? r : undefined;
    }, 'two reaction events');
    expect(reactions[0]!.reaction).toEqual({
      type: 'like',
      emoji: '👍',
      added: true,
      targetGuid: replyGuid,
      target: { fromGateway: true, text: 'ack: lunch?' },
    });
    expect(reactions[1]!.reaction).toMatchObject({ type: 'custom', emoji: '🎉', targetGuid: 'C0FFEE00-0000-0000-0000-00000000BEEF', target: 'unknown' });
    // The agent answered the reaction events; nothing of that is sent.
    await waitUntil(
      () => gateway!.records((r) => String(r.msg).startsWith('the agent answered a reaction event')).length >= 2 || undefined,
      'the reaction answers settled',
    );
    expect(sentRows(t.db).filter((r) => r.text.startsWith('ack: Liked') || r.text.startsWith('ack: Reacted'))).toEqual([]);
    expect(warnings(gateway!, 'tapbacks are not passed to agents')).toHaveLength(0);
  });

  it.runIf(!absent)('reactionNotifications own (the default): a tapback on a friend\'s own message is not passed on; one on the reply is', async () => {
    const t = setup(false);
    await gateway!.waitForState('default', 'streaming');
    const theirs = inject(t.db, { from: FRIEND, text: 'my message' });
    const reply = await waitUntil(() => sentRows(t.db).find((r) => r.text === 'ack: my message'), 'the reply');
    inject(t.db, { from: FRIEND, reaction: 'love', targetGuid: theirs.guid });
    inject(t.db, { from: FRIEND, reaction: 'laugh', targetGuid: guidOfRow(t.db, reply.id) });
    const reactions = await waitUntil(() => {
      const r = seen(t.agentLog).filter((e) => e.kind === 'reaction');
      return r.length >= 1 ? r : undefined;
    }, 'the reaction event');
    inject(t.db, { from: FRIEND, text: 'marker' });
    await waitUntil(() => seen(t.agentLog).some((e) => e.text === 'marker') || undefined, 'the marker');
    expect(seen(t.agentLog).filter((e) => e.kind === 'reaction')).toHaveLength(1);
    expect(reactions[0]!.reaction).toMatchObject({ type: 'laugh', target: { fromGateway: true, text: 'ack: my message' } });
  });
});
