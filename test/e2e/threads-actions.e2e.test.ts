/**
 * Threads, agent actions and native formatting on imsg 0.15 (issue 17, items 4, 5 and 6), end to
 * end with a real gateway, real imsg-sim 0.15 children and real signals, with the IMCore bridge
 * (imsg-sim --bridge) and without it:
 * - a reply to a message in a thread goes into the thread (bridge: the sent row's
 *   thread_originator_guid is the thread's root; without: a plain message, said once per account);
 * - markdown emphasis becomes native formatting ranges with the markers removed (bridge), or is
 *   sent as written (without);
 * - an agent's tapback goes out once (bridge), and exactly once across a gateway kill -9 while it
 *   is in flight; without the bridge it is refused with the reason;
 * - an unknown reaction kind is refused with the valid kinds and the rest of the reply is delivered.
 * The case without the bridge also runs against imsg-sim 0.9 (a legacy imsg: no bridge, no
 * `tapback` method, so it must behave as 0.15 without the bridge). The bridge cases, the tapback
 * across kill -9 and the emoji tapbacks stay on 0.15: the bridge (`--bridge`, `send.tracked`,
 * `tapback`, `capabilities.features`) exists only in the 0.15 profile, as in imsg itself.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultBridgeLog, readBridgeLog } from '../../src/sim/index.js';
import { readLaneLog } from '../../src/sim/lane-log.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { actionAgent, actionLog } from '../helpers/agents.js';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import type { SimProfile } from '../helpers/sim-profiles.js';

const running: GatewayProcess[] = [];
const start = (config: Record<string, unknown>, home?: string, simProfile: SimProfile = '0.15') => {
  // One turn per message: each message's own answer (thread, tapback, formatting) is checked.
  const g = startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, home, { simProfile });
  running.push(g);
  return g;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
});

const PEER = '+15550003333';

function query<T>(db: string, sql: string, ...args: unknown[]): T[] {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return c.prepare(sql).all(...(args as never[])) as T[];
  } finally {
    c.close();
  }
}

const reactionRows = (db: string) =>
  query<{ amt: number; amg: string }>(db, 'SELECT associated_message_type AS amt, associated_message_guid AS amg FROM message WHERE is_from_me = 1 AND associated_message_type >= 2000');
const outbox = (home: string) =>
  query<{ key: string; state: string; error: string | null; reply_to: string | null }>(
    join(home, 'state.db'),
    'SELECT idempotency_key AS key, state, error, reply_to FROM outbox ORDER BY id',
  );

const ANSWERS = {
  'thread me': { replies: [{ text: 'in the thread' }] },
  'format me': { replies: [{ text: 'a **bold** and _quiet_ word' }] },
  'react please': { replies: [{ text: 'noted' }], reaction: 'like' },
  'wave please': { replies: [{ text: 'delivered anyway' }], reaction: 'wave' },
};

// imsg-sim 0.9 only without the bridge: the 0.9 profile has none (IMSG_SIM_BRIDGE is a 0.15 switch).
const BRIDGE_CASES: ReadonlyArray<{ profile: SimProfile; bridge: boolean }> = [
  { profile: '0.15', bridge: true },
  { profile: '0.15', bridge: false },
  { profile: '0.9', bridge: false },
];

describe.each(BRIDGE_CASES)('imsg-sim $profile, bridge: $bridge', ({ profile, bridge }) => {
  it('threads, formatting, tapbacks and a refused reaction kind', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.jsonl');
    const cli = simWrapper(dir, 'imsg', bridge ? { IMSG_SIM_BRIDGE: '1' } : {});
    const root = inject(db, { from: PEER, text: 'the thread root', date: Date.now() - 60_000 });
    const g = start({ imessage: openAccount(cli, db), agents: { list: [actionAgent(dir, log, ANSWERS)] } }, undefined, profile);
    await g.waitForState('default', 'streaming');

    // Two messages in the thread, then the other cases, each answered before the next.
    const t1 = inject(db, { from: PEER, text: 'thread me', replyTo: root.guid });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'in the thread') || undefined, 'the threaded reply', 30_000);
    const t2 = inject(db, { from: PEER, text: 'thread me', replyTo: root.guid });
    await waitUntil(() => sentRows(db).filter((r) => r.text === 'in the thread').length === 2 || undefined, 'the second threaded reply', 30_000);
    const react = inject(db, { from: PEER, text: 'react please' });
    inject(db, { from: PEER, text: 'format me' });
    inject(db, { from: PEER, text: 'wave please' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'delivered anyway') || undefined, 'the rest of the refused reply', 30_000);
    await waitUntil(() => (sentRows(db).some((r) => r.text === 'noted') && outbox(g.home).every((r) => r.state === 'sent' || r.state === 'failed')) || undefined, 'the outbox to settle', 30_000);

    // The envelope carried the thread: the root as originator, the parent's text.
    const seen = actionLog(log).filter((e) => e.text === 'thread me');
    expect(seen.map((e) => e.threadOriginator)).toEqual([{ guid: root.guid }, { guid: root.guid }]);
    expect(seen[0]!.replyTo).toMatchObject({ guid: root.guid, text: 'the thread root', sender: PEER });

    const threaded = query<{ text: string; tog: string | null }>(db, `SELECT text, thread_originator_guid AS tog FROM message WHERE is_from_me = 1 AND text = 'in the thread'`);
    const rows = outbox(g.home);
    expect(rows.filter((r) => r.reply_to !== null).map((r) => r.reply_to)).toEqual([t1.guid, t2.guid]);
    const refusedKind = await g.waitForRecords((r) => typeof r.msg === 'string' && r.msg.includes('unknown reaction "wave"'), 'the refused reaction');
    const warnings = g.records((r) => typeof r.msg === 'string' && r.msg.includes('cannot send threaded replies'));
    expect(refusedKind).toHaveLength(1);
    expect(String(refusedKind[0]!.msg)).toContain('love, like, dislike, laugh, emphasize, question');
    expect(sentRows(db).some((r) => r.text === 'ack: wave please')).toBe(false);

    if (bridge) {
      expect(threaded).toEqual([{ text: 'in the thread', tog: root.guid }, { text: 'in the thread', tog: root.guid }]);
      expect(readBridgeLog(defaultBridgeLog(db)).filter((x) => x.reply_to).map((x) => [x.method, x.reply_to])).toEqual([
        ['send.tracked', t1.guid],
        ['send.tracked', t2.guid],
      ]);
      expect(warnings).toHaveLength(0);
      // Formatting: the markers are gone, the ranges cover the words (UTF-16 offsets).
      expect(sentRows(db).some((r) => r.text === 'a bold and quiet word')).toBe(true);
      const fmt = readBridgeLog(defaultBridgeLog(db)).find((x) => x.text_formatting);
      expect(fmt?.text_formatting).toEqual([
        { start: 2, length: 4, styles: ['bold'] },
        { start: 11, length: 5, styles: ['italic'] },
      ]);
      // The tapback: once, on the message that asked for it.
      expect(reactionRows(db)).toEqual([{ amt: 2001, amg: `p:0/${react.guid}` }]);
      expect(rows.find((r) => r.key.endsWith(':reaction'))?.state).toBe('sent');
    } else {
      expect(threaded).toEqual([{ text: 'in the thread', tog: null }, { text: 'in the thread', tog: null }]);
      expect(warnings).toHaveLength(1);
      expect(sentRows(db).some((r) => r.text === 'a **bold** and _quiet_ word')).toBe(true);
      expect(reactionRows(db)).toEqual([]);
      const refused = rows.find((r) => r.key.endsWith(':reaction'));
      expect(refused?.state).toBe('failed');
      expect(refused?.error).toContain('does not advertise the tapback method');
      // The fix named is the one that helps: imsg 0.9 has no bridge to launch, only an upgrade.
      const fix = profile === '0.9' ? /upgrade imsg to 0\.14 or later/ : /imsg launch/;
      expect(refused?.error).toMatch(fix);
      expect(String(warnings[0]!.reason)).toMatch(fix);
      expect(sentRows(db).some((r) => r.text === 'noted')).toBe(true);
    }
  });
});

describe('imsg-sim 0.15 with the bridge: an agent tapback across a gateway kill -9', () => {
  it('is sent exactly once when the gateway dies while imsg holds it', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.jsonl');
    // The tapback takes 1.5 s inside imsg: the gateway is killed while it is in flight. The lane log
    // shows when imsg has it (the row is marked `sending` first, and durably, before imsg sees it).
    const laneLog = join(dir, 'lanes.jsonl');
    const cli = simWrapper(dir, 'imsg', { IMSG_SIM_BRIDGE: '1', IMSG_SIM_METHOD_DELAY: 'tapback=1500', IMSG_SIM_LANE_LOG: laneLog });
    const config = {
      imessage: openAccount(cli, db),
      agents: { list: [actionAgent(dir, log, ANSWERS)] },
      gateway: { supervision: { sendTimeoutMs: 6000 } },
    };
    const g = start(config);
    await g.waitForState('default', 'streaming');
    const react = inject(db, { from: PEER, text: 'react please' });
    await waitUntil(() => outbox(g.home).find((r) => r.key.endsWith(':reaction') && r.state === 'sending') || undefined, 'the tapback marked sending', 30_000);
    await waitUntil(() => readLaneLog(laneLog).some((r) => r.method === 'tapback') || undefined, 'imsg holding the tapback', 30_000);
    g.proc.kill('SIGKILL');
    await g.exited();

    const again = start(config, g.home);
    await again.waitForState('default', 'streaming');
    await waitUntil(
      () => (sentRows(db).some((r) => r.text === 'noted') && outbox(again.home).every((r) => r.state === 'sent')) || undefined,
      'the reply and the reconciled tapback',
      30_000,
    );
    expect(reactionRows(db)).toEqual([{ amt: 2001, amg: `p:0/${react.guid}` }]);
    expect(readBridgeLog(defaultBridgeLog(db)).filter((x) => x.method === 'tapback')).toHaveLength(1);
    expect(sentRows(db).filter((r) => r.text === 'noted')).toHaveLength(1);
    expect(actionLog(log).filter((e) => e.text === 'react please')).toHaveLength(1);
    // The restarted gateway found it in flight and settled it from the chat, not by sending again.
    expect(await again.waitForRecords((r) => typeof r.msg === 'string' && r.msg.includes('the earlier tapback did arrive'), 'the settled tapback')).toHaveLength(1);
  });
});

describe.each([{ emoji: 2 }, { emoji: 0 }])('imsg-sim 0.15 with the bridge, tapback.emoji $emoji', ({ emoji }) => {
  it('an emoji tapback goes out only where imsg advertises emoji tapbacks', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.jsonl');
    const cli = simWrapper(dir, 'imsg', { IMSG_SIM_BRIDGE: '1', IMSG_SIM_TAPBACK_EMOJI: String(emoji) });
    const answers = { 'party please': { replies: [{ text: 'party' }], reaction: '🎉' } };
    const g = start({ imessage: openAccount(cli, db), agents: { list: [actionAgent(dir, log, answers)] } });
    await g.waitForState('default', 'streaming');
    const msg = inject(db, { from: PEER, text: 'party please' });
    await waitUntil(() => (sentRows(db).some((r) => r.text === 'party') && outbox(g.home).every((r) => r.state === 'sent' || r.state === 'failed')) || undefined, 'the turn to settle', 30_000);
    const row = outbox(g.home).find((r) => r.key.endsWith(':reaction'));
    if (emoji >= 2) {
      expect(row?.state).toBe('sent');
      expect(reactionRows(db)).toEqual([{ amt: 2006, amg: `p:0/${msg.guid}` }]);
    } else {
      expect(row?.state).toBe('failed');
      expect(row?.error).toContain('emoji tapbacks');
      expect(reactionRows(db)).toEqual([]);
    }
  });
});
