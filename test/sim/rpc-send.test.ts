import fs from 'node:fs';
import path from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { Sim, sleep, tempDb, type Json, simStarter } from './sim-helper.js';

// The 0.9 profile (steipete/imsg 0.9.x) explicitly: the default is 0.15.
const start = simStarter(['--profile', '0.9']);

const bad = (data: string): Json => ({ code: -32602, message: 'Invalid params', data });

describe('imsg-sim rpc: send', () => {
  it('validates in the order of section 4.5 with the exact -32602 texts', async () => {
    const { db } = tempDb();
    const w = new SimWriter(db);
    w.injectMessage({ from: '+15551234567', text: 'x' });
    w.db.prepare("INSERT INTO chat (guid, chat_identifier, service_name) VALUES ('', '', 'iMessage')").run();
    w.close();
    const sim = start(db);
    const cases: [Json, string][] = [
      [{ service: 'iMessage', transport: 'nope', to: 'a', chat_id: 1 }, 'invalid service'],
      [{ transport: 'nope', to: 'a', chat_id: 1 }, 'invalid transport'],
      [{ to: 'a', chat_id: 1 }, 'use to or chat_*; not both'],
      [{ to: 'a', chat_guid: 'iMessage;-;a' }, 'use to or chat_*; not both'],
      [{ text: 'hi' }, 'to is required for direct sends'],
      [{ to: 'a' }, 'text or file is required'],
      [{ chat_id: 99, text: 'hi' }, 'unknown chat_id 99'],
      [{ chat_id: 2, text: 'hi' }, 'missing chat identifier or guid'],
      [{ to: '+15550001111', text: 'hi', transport: 'BRIDGE' }, 'bridge transport requires an existing chat target'],
      [{ chat_id: 1, text: 'hi', file: '/etc/hostname', transport: 'bridge' }, 'bridge transport does not support text and file together'],
    ];
    for (const [params, data] of cases) {
      expect((await sim.request('send', params))['error']).toEqual(bad(data));
    }
    const sip = await sim.request('send', { chat_id: 1, text: 'hi', transport: 'bridge' });
    expect(sip['error']['code']).toBe(-32603);
    expect(sip['error']['data']).toContain('SIP');
  });

  it('inserts the is_from_me row that the watch echoes, creating the direct chat', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--poll-ms', '30000']);
    await sim.request('watch.subscribe', { debounce_ms: 0 });
    await sleep(100);
    const r = await sim.request('send', { to: '(415) 555-1212', text: 'hi/there' });
    expect(Object.keys(r['result']).sort()).toEqual(['guid', 'id', 'ok', 'transport']);
    expect(r['result']).toMatchObject({ ok: true, transport: 'applescript', id: 1 });
    expect(r['result']['guid']).toMatch(/^[0-9A-F-]{36}$/);
    expect(sim.lines.find((l) => l.json?.['id'] === r['id'])!.raw).toContain('"transport":"applescript"');
    const [echo] = await sim.waitCount(1, 'message', 3000);
    expect(echo!['params']['message']).toMatchObject({
      id: 1,
      guid: r['result']['guid'],
      is_from_me: true,
      text: 'hi/there',
      chat_guid: 'iMessage;-;+14155551212',
      sender: '+14155551212',
    });
    const sms = await sim.request('send', { to: '+14155551212', text: 'sms', service: 'sms' });
    const hist = await sim.request('chats.list');
    expect((hist['result']['chats'] as Json[]).map((c) => c['guid']).sort()).toEqual(['SMS;-;+14155551212', 'iMessage;-;+14155551212']);
    expect(sms['result']['id']).toBe(2);
  });

  it('chat targets, group rows with handle 0, file-only sends without id/guid, missing files', async () => {
    const { dir, db } = tempDb();
    const w = new SimWriter(db);
    const g = w.injectMessage({ from: 'jane@example.com', text: 'g', group: 'Team', participants: ['+15551234567'] });
    w.close();
    const sim = start(db);
    const r = await sim.request('send', { chat_id: g.chat_id, text: 'to group' });
    expect(r['result']['id']).toBe(2);
    const byGuid = await sim.request('send', { chat_guid: 'iMessage;-;+15550002222', text: 'new direct' });
    expect(byGuid['result']['ok']).toBe(true);
    const file = path.join(dir, 'pic.png');
    fs.writeFileSync(file, 'png');
    const f = await sim.request('send', { chat_id: g.chat_id, file });
    expect(f['result']).toEqual({ ok: true, transport: 'applescript' });
    const missing = await sim.request('send', { to: '+15550001111', file: 'nope/x.jpg' });
    expect(missing['error']).toEqual({
      code: -32603,
      message: 'Internal error',
      data: `AppleScript failed: Attachment not found at ${path.resolve(process.cwd(), 'nope/x.jpg')}`,
    });
    const conn = new Database(db, { readonly: true });
    const row = conn.prepare('SELECT handle_id, is_from_me, destination_caller_id FROM message WHERE ROWID = 2').get();
    expect(row).toEqual({ handle_id: 0, is_from_me: 1, destination_caller_id: 'me@icloud.com' });
    const att = conn.prepare('SELECT a.mime_type, a.transfer_name, a.total_bytes FROM attachment a').get();
    expect(att).toEqual({ mime_type: 'image/png', transfer_name: 'pic.png', total_bytes: 3 });
    conn.close();
    const h = await sim.request('messages.history', { chat_id: g.chat_id, attachments: true });
    expect((h['result']['messages'] as Json[])[0]!['sender']).toBe('me@icloud.com');
  });

  it('a send without id still executes', async () => {
    const { db } = tempDb();
    const sim = start(db);
    sim.send({ jsonrpc: '2.0', method: 'send', params: { to: 'bob@example.com', text: 'silent' } });
    const r = await sim.request('messages.history', { chat_id: 1 });
    expect((r['result']['messages'] as Json[]).map((m) => m['text'])).toEqual(['silent']);
    expect(sim.json).toHaveLength(1);
  });
});
