/**
 * The 0.15 profile's full emulated bridge (--bridge; issue 17, items 4, 5, 6 and 7): `tapback`,
 * `send` / `send.tracked` with `reply_to` (threaded) and `text_formatting` (recorded in the bridge
 * log), and what imsg does without a bridge: reply_to refused with the §8.1 text, formatting
 * ignored, tapback not advertised.
 */
import { describe, expect, it } from 'vitest';
import { defaultBridgeLog, readBridgeLog, SimWriter } from '../../src/sim/index.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { tempDb, type Json, simStarter } from './sim-helper.js';

const start = simStarter(['--profile', '0.15']);
const PEER = '+15550002222';
const ATTEMPT = '0d6a3e4c-9b0a-4f7e-8a51-2c5b8e1f0a11';

function dbWithChat(): { db: string; parent: string; root: string } {
  const t = tempDb();
  const w = new SimWriter(t.db);
  const root = w.injectMessage({ from: PEER, text: 'root message' }).guid;
  const parent = w.injectMessage({ from: PEER, text: 'a reply in the thread', replyTo: root }).guid;
  w.close();
  return { db: t.db, parent, root };
}

function rows(db: string, sql: string, ...args: unknown[]): Json[] {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return c.prepare(sql).all(...(args as never[])) as Json[];
  } finally {
    c.close();
  }
}

describe('imsg-sim --profile 0.15 --bridge', () => {
  it('advertises tapback and tapback.emoji 2 only with --bridge', async () => {
    const { db } = dbWithChat();
    const plain = (await start(db).request('status'))['result'] as Json;
    expect(plain['methods']).not.toContain('tapback');
    expect(plain['capabilities']['features']).toEqual({});
    const tracked = (await start(db, ['--tracked-bridge']).request('status'))['result'] as Json;
    expect(tracked['methods']).not.toContain('tapback');
    const full = (await start(db, [], { IMSG_SIM_BRIDGE: '1' }).request('status'))['result'] as Json;
    expect(full['methods']).toEqual(expect.arrayContaining(['tapback', 'send.tracked']));
    expect(full['capabilities']['features']).toEqual({ 'tapback.emoji': 2 });
    expect(full['bridge']['ready']).toBe(true);
  });

  it('a reply goes into the thread: the row gets the thread root, the log the reply_to and the ranges', async () => {
    const { db, parent, root } = dbWithChat();
    const sim = start(db, ['--bridge']);
    const r = (await sim.request('send', {
      to: PEER,
      text: 'bold answer',
      reply_to: parent,
      text_formatting: [{ start: 0, length: 4, styles: ['bold'] }],
    })) as Json;
    expect(r['result']).toMatchObject({ ok: true, transport: 'bridge' });
    const guid = r['result']['guid'] as string;
    expect(rows(db, 'SELECT thread_originator_guid AS tog, is_from_me FROM message WHERE guid = ?', guid)).toEqual([{ tog: root, is_from_me: 1 }]);
    const log = readBridgeLog(defaultBridgeLog(db));
    expect(log).toEqual([
      expect.objectContaining({ method: 'send', guid, reply_to: parent, thread_originator_guid: root, text_formatting: [{ start: 0, length: 4, styles: ['bold'] }] }),
    ]);
    // send.tracked takes the same keys.
    const t = (await sim.request('send.tracked', { to: PEER, text: 'tracked reply', attempt_id: ATTEMPT, replyTo: root })) as Json;
    expect(t['result']).toMatchObject({ ok: true, guid: ATTEMPT });
    expect(rows(db, 'SELECT thread_originator_guid AS tog FROM message WHERE guid = ?', ATTEMPT)).toEqual([{ tog: root }]);
    // Ranges outside the text are refused before anything is written.
    const bad = (await sim.request('send', { to: PEER, text: 'ab', text_formatting: [{ start: 1, length: 5, styles: ['italic'] }] })) as Json;
    expect(bad['error']).toMatchObject({ code: -32602 });
  });

  it('without a bridge: reply_to is -32602 with the spec text, formatting is ignored, tapback is not_started', async () => {
    const { db, parent } = dbWithChat();
    const sim = start(db);
    const r = (await sim.request('send', { to: PEER, text: 'x', reply_to: parent })) as Json;
    expect(r['error']).toMatchObject({
      code: -32602,
      data: 'reply_to requires bridge transport; AppleScript fallback cannot send threaded replies',
    });
    const f = (await sim.request('send', { to: PEER, text: 'plain', formatting: [{ start: 0, length: 99, styles: ['bold'] }] })) as Json;
    expect(f['result']).toMatchObject({ ok: true, transport: 'applescript' });
    const tb = (await sim.request('tapback', { chat_guid: `iMessage;-;${PEER}`, message_id: parent, reaction: 'like' })) as Json;
    expect(tb['error']).toMatchObject({ code: -32603, data: { disposition: 'not_started' } });
    expect(readBridgeLog(defaultBridgeLog(db))).toEqual([]);
  });

  it('tapback writes an outgoing reaction row and refuses unknown kinds with the list', async () => {
    const { db, parent } = dbWithChat();
    const sim = start(db, ['--bridge']);
    const ok = (await sim.request('tapback', { chat_guid: `iMessage;-;${PEER}`, message_guid: parent, kind: 'like' })) as Json;
    expect(ok['result']).toMatchObject({ ok: true, reaction: 'like' });
    expect(rows(db, 'SELECT associated_message_type AS t, associated_message_guid AS g, is_from_me FROM message WHERE associated_message_type >= 2000')).toEqual([
      { t: 2001, g: `p:0/${parent}`, is_from_me: 1 },
    ]);
    const emoji = (await sim.request('tapback', { chat_guid: `iMessage;-;${PEER}`, message_id: parent, emoji: '🎉' })) as Json;
    expect(emoji['result']).toMatchObject({ ok: true, reaction: '🎉' });
    const bad = (await sim.request('tapback', { chat_guid: `iMessage;-;${PEER}`, message_id: parent, reaction: 'wave' })) as Json;
    expect(bad['error']).toMatchObject({
      code: -32602,
      data: 'unsupported tapback reaction wave; use love, like, dislike, laugh, emphasize, or question',
    });
    const history = (await sim.request('messages.history', { chat_id: 1, limit: 10 }))['result'] as Json;
    const target = (history['messages'] as Json[]).find((m) => m['guid'] === parent)!;
    expect(target['reactions']).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'like', is_from_me: true })]));
    expect(readBridgeLog(defaultBridgeLog(db)).map((x) => x.reaction)).toEqual(['like', '🎉']);
  });
});
