/** 0.9 behaviours fixed after comparing the simulator with imsg's source (issue 12, item 6). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { Sim, tempDb, type Json, simStarter } from './sim-helper.js';

// The 0.9 profile (steipete/imsg 0.9.x) explicitly: the default is 0.15.
const start = simStarter(['--profile', '0.9']);

describe('imsg-sim 0.9 deviations', () => {
  it('a text plus file send writes the text row first, then the file row', async () => {
    const { dir, db } = tempDb();
    const file = path.join(dir, 'pic.png');
    fs.writeFileSync(file, 'png');
    const sim = start(db);
    const r = (await sim.request('send', { to: '+15550001111', text: 'look', file }))['result'];
    const w = new SimWriter(db);
    const rows = w.db.prepare('SELECT ROWID AS id, text FROM message ORDER BY ROWID').all() as Json[];
    w.close();
    expect(rows.map((x) => x['text'])).toEqual(['look', '\uFFFC']);
    expect(r['id']).toBe(rows[0]!['id']);
  });

  it('--sent-row-delay-ms: verified within 2 s keeps id/guid; a later row is answered without them', async () => {
    const { db } = tempDb();
    const quick = start(db, ['--sent-row-delay-ms', '300']);
    const a = (await quick.request('send', { to: '+15550001111', text: 'quick' }))['result'];
    expect(typeof a['id']).toBe('number');
    expect(typeof a['guid']).toBe('string');
    const late = start(db, [], { IMSG_SIM_SENT_ROW_DELAY_MS: '2600' });
    const sub = (await late.request('watch.subscribe', { debounce_ms: 0 }))['result']['subscription'];
    const b = (await late.request('send', { to: '+15550001111', text: 'late' }))['result'];
    expect(b).toEqual({ ok: true, transport: 'applescript' });
    const echo = await late.waitFor((j) => j['method'] === 'message' && j['params']['subscription'] === sub);
    expect(echo['params']['message']['text']).toBe('late');
  });

  it('--contacts-stall-ms: start-up stalls before the first request is read', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--contacts-stall-ms', '800']);
    const t0 = Date.now();
    await sim.request('chats.list');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });

  it('a file that is not a database gives a generic error per query, not the permission banner', async () => {
    const { dir } = tempDb(false);
    const db = path.join(dir, 'chat.db');
    fs.writeFileSync(db, 'this is not sqlite '.repeat(100));
    const sim = start(db);
    const r = await sim.request('chats.list');
    expect(r['error']).toEqual({
      code: -32603,
      message: 'Internal error',
      data: 'The operation couldn’t be completed. (SQLite.Result error 0.)',
    });
    expect((await sim.request('watch.unsubscribe', { subscription: 1 }))['result']).toEqual({ ok: true });
    expect((await sim.close()).code).toBe(0);
  });

  it('your own tapback in a group has an empty sender in reactions[]', async () => {
    const { db } = tempDb();
    const w = new SimWriter(db);
    const m = w.injectMessage({ from: '+15550000001', text: 'party?', group: 'Crew', participants: ['+15550000002'] });
    w.injectReaction({ from: '+15550000001', text: '', group: 'Crew', reaction: 'love', targetGuid: m.guid, fromMe: true });
    w.close();
    const sim = start(db);
    const h = (await sim.request('messages.history', { chat_id: m.chat_id }))['result']['messages'] as Json[];
    const reactions = h.find((x) => x['guid'] === m.guid)!['reactions'] as Json[];
    expect(reactions).toHaveLength(1);
    expect(reactions[0]).toMatchObject({ sender: '', is_from_me: true });
  });
});
