import { describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { Sim, sleep, tempDb, type Json, simStarter } from './sim-helper.js';

// The 0.9 profile (steipete/imsg 0.9.x) explicitly: the default is 0.15.
const start = simStarter(['--profile', '0.9']);

const PARSE_DATA = 'The data couldn’t be read because it isn’t in the correct format.';

function seed(db: string): void {
  const w = new SimWriter(db);
  w.injectMessage({ from: '+15551234567', text: 'direct 1', date: '2026-01-15T12:00:00Z' });
  w.injectMessage({ from: 'jane@example.com', text: 'see https://x.test/a', group: 'Family', participants: ['+15551234567'], date: '2026-01-15T12:04:00Z' });
  w.injectMessage({ from: '+15551234567', text: 'direct 2', date: '2026-01-15T12:03:00Z' });
  w.close();
}

describe('imsg-sim rpc: framing, errors, reads', () => {
  it('prints nothing until a request arrives, then exits 0 on EOF', async () => {
    const { db } = tempDb();
    const sim = start(db);
    await sleep(400);
    expect(sim.lines).toHaveLength(0);
    const r = await sim.request('ping');
    expect(r['error']).toEqual({ code: -32601, message: 'Method not found', data: 'ping' });
    expect(await sim.close()).toEqual({ code: 0, signal: null });
  });

  it('answers every parse and request error with the spec code and data', async () => {
    const { db } = tempDb();
    const sim = start(db);
    sim.write('{not json');
    sim.write('123');
    sim.write('[{"jsonrpc":"2.0","id":1,"method":"chats.list"}]');
    sim.write('{"jsonrpc":"1.0","id":7,"method":"chats.list"}');
    sim.write('{"jsonrpc":"2.0","id":8}');
    sim.write('{"jsonrpc":"2.0","id":9,"method":""}');
    sim.write('   ');
    sim.write('{"id":"s","method":"nope"}');
    sim.write('{"method":"nope"}');
    const all = await sim.waitUntil(() => (sim.json.length >= 8 ? sim.json : undefined));
    const errs = all.map((j) => [j['id'], j['error']['code'], j['error']['message'], j['error']['data']]);
    expect(errs).toEqual([
      [null, -32700, 'Parse error', PARSE_DATA],
      [null, -32700, 'Parse error', PARSE_DATA],
      [null, -32600, 'Invalid Request', 'request must be an object'],
      [7, -32600, 'Invalid Request', 'jsonrpc must be 2.0'],
      [8, -32600, 'Invalid Request', 'method is required'],
      [9, -32600, 'Invalid Request', 'method is required'],
      ['s', -32601, 'Method not found', 'nope'],
      [null, -32601, 'Method not found', 'nope'],
    ]);
    for (const j of all) expect(j['jsonrpc']).toBe('2.0');
  });

  it('accepts a missing jsonrpc, echoes ids verbatim, treats non-object params as {}', async () => {
    const { db } = tempDb();
    seed(db);
    const sim = start(db);
    sim.write('{"id":null,"method":"chats.list","params":[1,2]}');
    sim.write('{"id":{"a":1},"method":"chats.list","params":"x"}');
    const [a, b] = await sim.waitUntil(() => (sim.json.length >= 2 ? sim.json : undefined));
    expect(a!['id']).toBe(null);
    expect(a!['result']['chats']).toHaveLength(2);
    expect(b!['id']).toEqual({ a: 1 });
  });

  it('chats.list: last-message order, exact keys, escaped slashes, limit clamp', async () => {
    const { db } = tempDb();
    seed(db);
    const w = new SimWriter(db);
    w.ensureChat('iMessage;-;empty@example.com'); // no messages: never listed
    w.close();
    const sim = start(db);
    const r = await sim.request('chats.list', { limit: '10' });
    const chats = r['result']['chats'] as Json[];
    expect(chats.map((c) => c['name'])).toEqual(['Family', '+15551234567']);
    expect(Object.keys(chats[0]!).sort()).toEqual(
      ['guid', 'id', 'identifier', 'is_group', 'last_message_at', 'name', 'participants', 'service'].sort(),
    );
    expect(chats[0]).toMatchObject({ service: 'iMessage', is_group: true, last_message_at: '2026-01-15T12:04:00.000Z', participants: ['+15551234567', 'jane@example.com'] });
    expect(chats[1]).toMatchObject({ id: 1, identifier: '+15551234567', guid: 'iMessage;-;+15551234567', is_group: false, participants: ['+15551234567'] });
    const limited = await sim.request('chats.list', { limit: 0 });
    expect(limited['result']['chats']).toHaveLength(1);
    await sim.request('messages.history', { chat_id: 2 });
    const raw = sim.lines.map((l) => l.raw).join('\n');
    expect(raw).toContain('https:\\/\\/x.test\\/a');
    expect(raw).not.toMatch(/[^\\]\/x\.test/);
  });

  it('messages.history: newest first, limit clamp, filters, [] for unknown chat, errors', async () => {
    const { db } = tempDb();
    seed(db);
    const sim = start(db);
    const h = await sim.request('messages.history', { chat_id: 1 });
    const msgs = h['result']['messages'] as Json[];
    expect(msgs.map((m) => m['text'])).toEqual(['direct 2', 'direct 1']);
    expect(Object.keys(msgs[0]!).sort()).toEqual(
      ['attachments', 'chat_guid', 'chat_id', 'chat_identifier', 'chat_name', 'created_at', 'destination_caller_id', 'guid', 'id', 'is_from_me', 'is_group', 'participants', 'reactions', 'sender', 'text'].sort(),
    );
    expect((await sim.request('messages.history', { chat_id: '1', limit: -5 }))['result']['messages']).toHaveLength(1);
    expect((await sim.request('messages.history', { chat_id: 99 }))['result']).toEqual({ messages: [] });
    const ranged = await sim.request('messages.history', { chat_id: 1, start: '2026-01-15T12:01:00Z', end: '2026-01-15T13:03:00+01:00' });
    expect(ranged['result']['messages']).toEqual([]);
    const ranged2 = await sim.request('messages.history', { chat_id: 1, start: '2026-01-15T12:01:00.000Z' });
    expect((ranged2['result']['messages'] as Json[]).map((m) => m['text'])).toEqual(['direct 2']);
    const parts = await sim.request('messages.history', { chat_id: 2, participants: 'JANE@example.com, nobody' });
    expect(parts['result']['messages']).toHaveLength(1);
    expect((await sim.request('messages.history', {}))['error']).toEqual({ code: -32602, message: 'Invalid params', data: 'chat_id is required' });
    expect((await sim.request('messages.history', { chat_id: 1, start: '2026-01-15' }))['error']).toEqual({
      code: -32603,
      message: 'Internal error',
      data: 'Invalid ISO8601 date: 2026-01-15',
    });
  });

  it('a request without id runs but gets no success response; errors still come with id null', async () => {
    const { db } = tempDb();
    seed(db);
    const sim = start(db, ['--poll-ms', '60000']);
    sim.send({ jsonrpc: '2.0', method: 'watch.subscribe', params: { since_rowid: -1, debounce_ms: 0 } });
    sim.send({ jsonrpc: '2.0', method: 'messages.history', params: {} });
    const err = await sim.waitFor((j) => 'error' in j);
    expect(err['id']).toBe(null);
    const ns = await sim.waitCount(3);
    expect(ns[0]!['params']['subscription']).toBe(1);
    const r = await sim.request('watch.subscribe', { debounce_ms: 0 });
    expect(r['result']).toEqual({ subscription: 2 });
    expect(sim.json.filter((j) => 'result' in j)).toHaveLength(1);
  });

  it('bridge-only methods answer -32603 with the SIP text; typing.start is gone', async () => {
    const { db } = tempDb();
    const sim = start(db);
    for (const m of ['send.rich', 'send.attachment', 'tapback', 'typing', 'read', 'message.edit', 'message.unsend', 'message.delete', 'message.notifyAnyways', 'chats.create', 'chats.delete', 'chats.markUnread', 'group.rename', 'group.setIcon', 'group.addParticipant', 'group.removeParticipant', 'group.leave']) {
      const r = await sim.request(m, { chat_id: 1 });
      expect(r['error']['code']).toBe(-32603);
      expect(r['error']['data']).toContain('System Integrity Protection (SIP) is enabled');
    }
    expect((await sim.request('typing.start'))['error']['code']).toBe(-32601);
  });

  it('watch.unsubscribe: ok for unknown ids, -32602 without subscription; bad debounce', async () => {
    const { db } = tempDb();
    const sim = start(db);
    expect((await sim.request('watch.unsubscribe', { subscription: 42 }))['result']).toEqual({ ok: true });
    expect((await sim.request('watch.unsubscribe', {}))['error']['data']).toBe('subscription is required');
    for (const bad of [-1, 1.5, 'abc']) {
      const r = await sim.request('watch.subscribe', { debounce_ms: bad });
      expect(r['error']).toEqual({ code: -32602, message: 'Invalid params', data: 'debounce_ms must be a non-negative integer' });
    }
    expect((await sim.request('watch.subscribe', { debounceMs: -3 }))['error']['code']).toBe(-32602);
    expect((await sim.request('watch.subscribe', { start: 'yesterday' }))['error']['code']).toBe(-32603);
  });

  it('unknown rpc options give a plain-text parse error and exit 1', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--frobnicate']);
    const exit = await sim.exited;
    expect(exit.code).toBe(1);
    expect(sim.lines.map((l) => l.raw)).toEqual(['Unknown option: --frobnicate']);
  });

  it('accepts the standard runtime flags -v -j --log-level', async () => {
    const { db } = tempDb();
    const sim = start(db, ['-v', '-j', '--log-level', 'debug']);
    expect((await sim.request('chats.list'))['result']).toEqual({ chats: [] });
  });

  it('a database that cannot be opened gives the 0.8.2+ startup-error mode', async () => {
    const { dir } = tempDb(false);
    const sim = start(`${dir}/nope/chat.db`);
    const r = await sim.request('chats.list');
    expect(r['error']['code']).toBe(-32603);
    expect(r['error']['message']).toBe('Internal error');
    expect(r['error']['data']).toMatch(/^unable to open database file \(code: 14\)\n\n⚠️  Permission Error/);
    expect(r['error']['data']).toContain('Full Disk Access');
    sim.write('{"method":"x"}');
    sim.write('nope');
    await sim.waitUntil(() => sim.json.length >= 3);
    expect(sim.json[1]).toMatchObject({ id: null, error: { code: -32603 } });
    expect(sim.json[2]).toMatchObject({ id: null, error: { code: -32700 } });
    expect((await sim.close()).code).toBe(1);
  });
});
