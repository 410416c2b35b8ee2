/**
 * Conformance of `imsg-sim rpc --profile 0.15` with the simulator checklist of
 * ../shared/docs/imsg-rpc-current.md section 10.1 (item numbers in the test names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { runCli, Sim, tempDb, type Json, simStarter } from './sim-helper.js';

const start = simStarter(['--profile', '0.15']);

function fill(db: string, n: number, from = '+15551234567'): void {
  const w = new SimWriter(db);
  w.injectMany(Array.from({ length: n }, (_, i) => ({ from, text: `m${i + 1}` })));
  w.close();
}

const errorOf = (r: Json): Json => r['error'] as Json;
const MISSING = 'The configured Messages database does not exist. Create or copy chat.db at this path, then retry.';
const UNREADABLE =
  'The configured Messages database could not be opened read-only. Verify the path and grant Full Disk Access to the supervising process, then retry.';

describe('imsg-sim --profile 0.15: process and framing', () => {
  it('1: nothing before input; an unknown flag goes to stderr with exit 1; IMSG_SIM_PROFILE selects it', async () => {
    const { db } = tempDb();
    const sim = start(db);
    const r = await sim.request('status');
    expect(sim.lines[0]!.json!['id']).toBe(r['id']);
    const bad = start(db, ['--bogus']);
    let stderr = '';
    bad.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect((await bad.exited).code).toBe(1);
    expect(bad.lines).toHaveLength(0);
    expect(stderr).toContain('Unknown option: --bogus');
    const viaEnv = start.track(new Sim(['rpc', '--db', db], { IMSG_SIM_PROFILE: '0.15' }));
    expect((await viaEnv.request('initialize', { protocol_version: 1 }))['result']['protocol_version']).toBe(1);
  });

  it('2-7: strict envelope, exact texts, silent notifications, id null', async () => {
    const { db } = tempDb();
    const sim = start(db);
    sim.write('{"id":"a","method":"status"}');
    sim.write('{"jsonrpc":"1.0","id":"b","method":"status"}');
    for (const id of ['true', '{}', '[]']) sim.write(`{"jsonrpc":"2.0","id":${id},"method":"status"}`);
    for (const p of ['[]', 'null', '1']) sim.write(`{"jsonrpc":"2.0","id":"p","method":"status","params":${p}}`);
    sim.write('{"jsonrpc":"2.0","method":"status","params":[]}');
    sim.write('{"jsonrpc":"2.0","method":"no.such"}');
    sim.write('{"jsonrpc":"2.0","method":"chats.list","params":{"bogus":1}}');
    sim.write('{"jsonrpc":"2.0","id":null,"method":"watch.unsubscribe","params":{"subscription":9}}');
    sim.write('{"jsonrpc":"2.0","id":"u","method":"no.such"}');
    const last = await sim.waitFor((j) => j['id'] === 'u');
    const out = sim.json;
    expect(out).toHaveLength(10);
    expect(out[0]).toEqual({ jsonrpc: '2.0', id: 'a', error: { code: -32600, message: 'Invalid Request', data: 'jsonrpc must be exactly 2.0' } });
    expect(errorOf(out[1]!)['data']).toBe('jsonrpc must be exactly 2.0');
    expect(out[1]!['id']).toBe('b');
    for (const j of out.slice(2, 5)) {
      expect(j['id']).toBeNull();
      expect(errorOf(j)).toEqual({ code: -32600, message: 'Invalid Request', data: 'id must be a string, number, or null' });
    }
    for (const j of out.slice(5, 8)) {
      expect(j['id']).toBe('p');
      expect(errorOf(j)).toEqual({ code: -32602, message: 'Invalid params', data: 'params must be an object when present' });
    }
    expect(out[8]).toEqual({ jsonrpc: '2.0', id: null, result: { ok: true } });
    expect(errorOf(last)).toEqual({ code: -32601, message: 'Method not found', data: 'no.such' });
    expect(sim.lines.every((l) => l.json)).toBe(true);
    expect(sim.lines.find((l) => l.raw.includes('"id":null,"result"'))).toBeTruthy();
  });

  it('5: a valid notification still executes (send without id writes its row)', async () => {
    const { db } = tempDb();
    const sim = start(db);
    sim.send({ jsonrpc: '2.0', method: 'send', params: { to: '+15550001111', text: 'quiet' } });
    const r = await sim.waitUntil(() => {
      const w = new SimWriter(db);
      const n = (w.db.prepare("SELECT COUNT(*) AS n FROM message WHERE text = 'quiet'").get() as { n: number }).n;
      w.close();
      return n === 1 ? n : undefined;
    });
    expect(r).toBe(1);
    const after = await sim.request('messages.after', { since_rowid: 0 });
    expect(after['result']['messages'][0]['text']).toBe('quiet');
    expect(sim.json).toHaveLength(1);
  });
});

describe('imsg-sim --profile 0.15: params', () => {
  it('8-13, 26: unknown keys, alias conflicts, nulls, strict types, semantic texts', async () => {
    const { db } = tempDb();
    const sim = start(db);
    const cases: [string, Json, string][] = [
      ['watch.subscribe', { chatId: 1, zeta: 1 }, 'unknown watch.subscribe param: chatId'],
      ['status', { x: 1 }, 'unknown status param: x'],
      ['watch.subscribe', { debounce_ms: 1, debounceMs: 1 }, 'use only one of debounce_ms, debounceMs'],
      ['send', { to: 'a', text: 'x', formatting: [], textFormatting: [] }, 'use only one of text_formatting, textFormatting, formatting'],
      ['chats.list', { limit: null }, 'limit must not be null'],
      ['chats.list', { limit: '10' }, 'limit must be an integer'],
      ['chats.list', { limit: 0 }, 'limit must be a positive integer'],
      ['messages.history', { chat_id: 1, attachments: 1 }, 'attachments must be a boolean'],
      ['messages.history', { chat_id: 1, participants: 'a,b' }, 'participants must be an array of strings'],
      ['messages.history', {}, 'chat_id is required'],
      ['messages.history', { chat_id: 0 }, 'chat_id must be a positive integer'],
      ['messages.history', { chat_id: 1, start: 'yesterday' }, 'Invalid ISO8601 date: yesterday'],
      ['watch.subscribe', { debounce_ms: -1 }, 'debounce_ms must be a non-negative integer'],
      ['watch.subscribe', { buffer_limit: 0 }, 'buffer_limit must be an integer between 1 and 4096'],
      ['watch.subscribe', { buffer_limit: 4097 }, 'buffer_limit must be an integer between 1 and 4096'],
      ['watch.unsubscribe', {}, 'subscription is required'],
      ['watch.unsubscribe', { subscription: 0 }, 'subscription must be a positive integer'],
      ['send', { to: 'a', chat_id: 1, text: 'x' }, 'use to or exactly one chat selector; not both'],
      ['send', { text: 'x' }, 'exactly one of chat_id, chat_identifier, or chat_guid is required'],
      ['send', { chat_id: 1, chat_guid: 'g', text: 'x' }, 'exactly one of chat_id, chat_identifier, or chat_guid is required'],
      ['send', { to: '', text: 'x' }, 'to must be a non-empty string'],
      ['send', { to: 5, text: 'x' }, 'to must be a string'],
      ['send', { to: 'a' }, 'text or file is required'],
      ['send', { to: 'a', text: 'x', service: 'SMS' }, 'invalid service'],
      ['send', { to: 'a', text: 'x', attempt_id: 'u' }, 'attempt_id is only supported by send.tracked'],
      ['send', { to: 'a', text: 'x', reply_to: 'G' }, 'reply_to requires bridge transport; AppleScript fallback cannot send threaded replies'],
      ['send', { to: 'a', text: 'x', transport: 'bridge' }, 'bridge transport requires an existing chat target'],
      ['initialize', { protocol_version: 2 }, 'unsupported protocol_version 2; supported version is 1'],
      ['messages.after', {}, 'since_rowid must be a non-negative integer'],
      ['messages.after', { since_rowid: -1 }, 'since_rowid must be a non-negative integer'],
      ['messages.after', { since_rowid: 0, limit: 501 }, 'limit must be an integer between 1 and 500'],
      ['messages.after', { since_rowid: 0, chat_id: 0 }, 'chat_id must be a positive integer'],
    ];
    for (const [method, params, data] of cases) {
      const r = await sim.request(method, params);
      expect({ method, params, error: r['error'] }).toEqual({
        method,
        params,
        error: { code: -32602, message: 'Invalid params', data },
      });
    }
    // A float literal is not an integer, even when its value is whole (JSON.stringify drops `.0`).
    sim.write('{"jsonrpc":"2.0","id":"f","method":"chats.list","params":{"limit":1.0}}');
    expect(errorOf(await sim.waitFor((j) => j['id'] === 'f'))['data']).toBe('limit must be an integer');
  });
});

describe('imsg-sim --profile 0.15: status and database', () => {
  it('25: status exposes version, protocol, features, bridge, contacts, gated methods, capabilities', async () => {
    const { db } = tempDb();
    const sim = start(db);
    const s = (await sim.request('status', {}))['result'] as Json;
    expect(s['version']).toBe('0.15.10');
    expect(s['protocol_version']).toBe(1);
    expect(s['database']['ready']).toBe(true);
    expect(s['database']['path']).toBe(db);
    expect(Object.values(s['database']['features']).every((v) => typeof v === 'boolean')).toBe(true);
    expect(Object.keys(s['database']['features'])).toHaveLength(6);
    expect(s['bridge']).toEqual({
      ready: false,
      error: 'The bridge is not started. Run imsg launch explicitly before using bridge methods.',
    });
    expect(s['contacts']).toEqual({ available: false });
    expect(s['methods']).toEqual(expect.arrayContaining(['initialize', 'status', 'chats.list', 'messages.after', 'watch.subscribe', 'send']));
    expect(s['supported_methods']).toEqual(expect.arrayContaining(['send.tracked', 'messages.search', 'tapback']));
    expect(s['methods']).not.toContain('send.tracked');
    expect(s['capabilities']['features']).toEqual({});
    expect(Object.keys(s['capabilities']['engine']).sort()).toEqual(['built_at', 'commit', 'version']);
    const init = (await sim.request('initialize', { protocol_version: 1 }))['result'];
    expect(init).toEqual(s);
  });

  it('21-22: starts without a DB (-32002, child stays up) and recovers in place when the file appears', async () => {
    const { db } = tempDb(false);
    const sim = start(db);
    const s = (await sim.request('initialize', { protocol_version: 1 }))['result'] as Json;
    expect(s['database']).toEqual({ path: db, ready: false, error: MISSING });
    expect(s['methods']).toEqual(['initialize', 'status', 'watch.unsubscribe', 'send', 'typing', 'read']);
    const list = await sim.request('chats.list');
    expect(errorOf(list)).toEqual({
      code: -32002,
      message: 'Database unavailable',
      data: { path: db, detail: MISSING, retryable: true },
    });
    expect(errorOf(await sim.request('watch.subscribe', {}))['code']).toBe(-32002);
    expect(errorOf(await sim.request('messages.history', { chat_id: 'x' }))['code']).toBe(-32602);
    expect((await sim.request('send', { to: '+15550001111', text: 'hi' }))['result']).toEqual({ ok: true, transport: 'applescript' });
    expect(errorOf(await sim.request('send', { chat_id: 1, text: 'hi' }))['code']).toBe(-32002);
    expect(runCli(['init', '--db', db]).code).toBe(0);
    fill(db, 2);
    const again = (await sim.request('status'))['result'] as Json;
    expect(again['database']['ready']).toBe(true);
    expect(again['methods']).toContain('chats.list');
    expect((await sim.request('chats.list'))['result']['chats']).toHaveLength(1);
    expect(sim.child.exitCode).toBeNull();
    expect((await sim.close()).code).toBe(0);
  });

  it('23: --permission-flag FILE: FDA missing while FILE exists, granted in the same process when removed', async () => {
    const { dir, db } = tempDb();
    fill(db, 1);
    const flag = path.join(dir, 'no-fda');
    fs.writeFileSync(flag, '');
    const sim = start(db, [], { IMSG_SIM_PERMISSION_FLAG: flag });
    const r = await sim.request('messages.after', { since_rowid: 0 });
    expect(errorOf(r)['data']).toEqual({ path: db, detail: UNREADABLE, retryable: true });
    expect(((await sim.request('status'))['result'] as Json)['database']['error']).toBe(UNREADABLE);
    fs.unlinkSync(flag);
    expect(((await sim.request('status'))['result'] as Json)['database']['ready']).toBe(true);
    expect((await sim.request('messages.after', { since_rowid: 0 }))['result']['messages']).toHaveLength(1);
  });

  it('23: a file that is not a database is unreadable, not fatal', async () => {
    const { dir } = tempDb(false);
    const db = path.join(dir, 'chat.db');
    fs.writeFileSync(db, 'not a database at all, just text '.repeat(200));
    const sim = start(db);
    expect(errorOf(await sim.request('chats.list'))['data']['detail']).toBe(UNREADABLE);
  });

  it('24: a replaced DB is a new generation; old subscriptions stay on the old file; a deleted DB gives -32002', async () => {
    const { dir, db } = tempDb();
    fill(db, 3);
    const sim = start(db);
    const sub = (await sim.request('watch.subscribe', { since_rowid: 3, debounce_ms: 0 }))['result']['subscription'];
    const fresh = path.join(dir, 'fresh.db');
    runCli(['init', '--db', fresh]);
    fill(fresh, 1, '+15559990000');
    for (const ext of ['', '-wal', '-shm']) fs.rmSync(db + ext, { force: true });
    fs.renameSync(fresh, db);
    for (const ext of ['-wal', '-shm']) if (fs.existsSync(fresh + ext)) fs.renameSync(fresh + ext, db + ext);
    const page = (await sim.request('messages.after', { since_rowid: 0 }))['result'];
    expect(page['messages'].map((m: Json) => m['sender'])).toEqual(['+15559990000']);
    fill(db, 5, '+15559990000');
    const second = (await sim.request('watch.subscribe', { since_rowid: 1, debounce_ms: 0 }))['result']['subscription'];
    const got = await sim.waitUntil(() => {
      const ns = sim.notifications().filter((n) => n['params']['subscription'] === second);
      return ns.length >= 5 ? ns : undefined;
    });
    expect(got).toHaveLength(5);
    expect(sim.notifications().filter((n) => n['params']['subscription'] === sub)).toHaveLength(0);
    for (const ext of ['', '-wal', '-shm']) fs.rmSync(db + ext, { force: true });
    expect(errorOf(await sim.request('chats.list'))['data']['detail']).toBe(MISSING);
  });
});

describe('imsg-sim --profile 0.15: messages.after', () => {
  it('38-39: the 502-row paging example, the empty tail, a chat filter', async () => {
    const { db } = tempDb();
    fill(db, 502);
    const sim = start(db);
    const p1 = (await sim.request('messages.after', { since_rowid: 0, limit: 500 }))['result'];
    expect(p1['messages'].map((m: Json) => m['id'])).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect([p1['next_rowid'], p1['has_more']]).toEqual([500, true]);
    expect(p1['messages'][0]).not.toHaveProperty('cursor');
    const p2 = (await sim.request('messages.after', { since_rowid: 500, limit: 500 }))['result'];
    expect(p2['messages'].map((m: Json) => m['id'])).toEqual([501, 502]);
    expect([p2['next_rowid'], p2['has_more']]).toEqual([502, false]);
    const tail = (await sim.request('messages.after', { since_rowid: 999 }))['result'];
    expect(tail).toEqual({ messages: [], next_rowid: 999, has_more: false });
    const w = new SimWriter(db);
    for (let i = 0; i < 3; i++) {
      w.injectMessage({ from: '+15550000001', text: `a${i}` });
      w.injectMessage({ from: '+15550000002', text: `b${i}` });
    }
    w.close();
    const chats = (await sim.request('chats.list'))['result']['chats'] as Json[];
    const b = chats.find((c) => c['identifier'] === '+15550000002')!;
    let cursor = 502;
    const texts: string[] = [];
    for (;;) {
      const r = (await sim.request('messages.after', { since_rowid: cursor, chat_id: b['id'], limit: 2 }))['result'];
      texts.push(...r['messages'].map((m: Json) => m['text']));
      cursor = r['next_rowid'];
      if (!r['has_more']) break;
    }
    expect(texts).toEqual(['b0', 'b1', 'b2']);
  });
});

describe('imsg-sim --profile 0.15: watch', () => {
  it('27-28: the subscribe response precedes the first message, even replaying with since_rowid -1', async () => {
    const { db } = tempDb();
    fill(db, 5);
    const sim = start(db);
    const r = await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    expect(r['result']).toEqual({ subscription: 1, buffer_limit: 256 });
    const ns = await sim.waitCount(5);
    const respAt = sim.json.indexOf(r);
    expect(sim.json.indexOf(ns[0]!)).toBeGreaterThan(respAt);
    expect(ns.map((n) => n['params']['message']['id'])).toEqual([1, 2, 3, 4, 5]);
    expect(ns.every((n) => !('cursor' in n['params']['message']))).toBe(true);
    const tail = await sim.request('watch.subscribe', { debounce_ms: 0, buffer_limit: 8 });
    expect(tail['result']).toEqual({ subscription: 2, buffer_limit: 8 });
    await sim.tailStarted();
    fill(db, 1);
    const live = await sim.waitFor((j) => j['method'] === 'message' && j['params']['subscription'] === 2);
    expect(live['params']['message']['id']).toBe(6);
  });

  it('33: --overflow-after N: exactly one terminal watch.overflow at the last buffered row, nothing after', async () => {
    const { db } = tempDb();
    fill(db, 10);
    const sim = start(db, ['--overflow-after', '3']);
    const sub = (await sim.request('watch.subscribe', { since_rowid: 2, debounce_ms: 0 }))['result']['subscription'];
    const over = await sim.waitFor((j) => j['method'] === 'watch.overflow');
    expect(over['params']).toEqual({ subscription: sub, resume_after_rowid: 5, reason: 'buffer_limit_exceeded', terminal: true });
    expect(sim.notifications().map((n) => n['params']['message']['id'])).toEqual([3, 4, 5]);
    fill(db, 2);
    expect((await sim.request('watch.unsubscribe', { subscription: sub }))['result']).toEqual({ ok: true });
    const again = (await sim.request('watch.subscribe', { since_rowid: 5, debounce_ms: 0 }))['result']['subscription'];
    await sim.waitUntil(() => sim.notifications('watch.overflow').length === 2 || undefined);
    const after = sim.notifications().filter((n) => n['params']['subscription'] === again);
    expect(after.map((n) => n['params']['message']['id'])).toEqual([6, 7, 8]);
    expect(sim.notifications('error')).toHaveLength(0);
  });

  it('31: an unjoined row stalls the stream, is dropped after 20 retries, and is never emitted', async () => {
    const { db } = tempDb();
    const sim = start(db);
    const sub = (await sim.request('watch.subscribe', { debounce_ms: 1 }))['result']['subscription'];
    await sim.tailStarted();
    const w = new SimWriter(db);
    w.db.prepare("INSERT INTO message (guid, text, handle_id, date, is_from_me) VALUES ('GHOST', '', 0, 0, 1)").run();
    w.injectMessage({ from: '+15551234567', text: 'after the ghost' });
    w.close();
    const m = await sim.waitFor((j) => j['method'] === 'message' && j['params']['subscription'] === sub);
    expect(m['params']['message']['text']).toBe('after the ghost');
    expect(sim.notifications()).toHaveLength(1);
  });

  it('18: 64 subscriptions succeed, the 65th gets -32000 subscription limit exceeded', async () => {
    const { db } = tempDb();
    const sim = start(db);
    for (let i = 0; i < 64; i++) sim.send({ jsonrpc: '2.0', id: `s${i}`, method: 'watch.subscribe', params: {} });
    await sim.waitFor((j) => j['id'] === 's63');
    expect(sim.json.filter((j) => j['result']?.['subscription'])).toHaveLength(64);
    const r = await sim.request('watch.subscribe', {});
    expect(errorOf(r)).toEqual({ code: -32000, message: 'Server busy', data: 'subscription limit exceeded' });
    await sim.request('watch.unsubscribe', { subscription: 1 });
    expect((await sim.request('watch.subscribe', {}))['result']['subscription']).toBe(65);
  });
});

describe('imsg-sim --profile 0.15: lanes', () => {
  it('14: a held send does not block reads or control', async () => {
    const { db } = tempDb();
    fill(db, 1);
    const sim = start(db, ['--slow-send-ms', '3000']);
    sim.send({ jsonrpc: '2.0', id: 'send', method: 'send', params: { to: '+15551234567', text: 'slow' } });
    const list = await sim.request('chats.list');
    const unsub = await sim.request('watch.unsubscribe', { subscription: 7 });
    expect(list['result']['chats']).toHaveLength(1);
    expect(unsub['result']).toEqual({ ok: true });
    expect(sim.json.find((j) => j['id'] === 'send')).toBeUndefined();
    const sent = await sim.waitFor((j) => j['id'] === 'send');
    expect(sent['result']['ok']).toBe(true);
  });

  it('15: reads come back out of order, at most four at once', async () => {
    const { db } = tempDb();
    fill(db, 1);
    const sim = start(db, ['--method-delay', 'messages.history=600']);
    for (let i = 0; i < 5; i++) sim.send({ jsonrpc: '2.0', id: `h${i}`, method: 'messages.history', params: { chat_id: 1 } });
    sim.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: {} });
    const ids = () => sim.json.map((j) => j['id']);
    await sim.waitFor((j) => j['id'] === 'h4');
    expect(ids()[0]).toBe('init');
    const at = (id: string) => sim.lines.find((l) => l.json?.['id'] === id)!.at;
    const firstFour = Math.max(...['h0', 'h1', 'h2', 'h3'].map(at));
    // The fifth read could only start when one of the first four finished.
    expect(at('h4') - firstFour).toBeGreaterThanOrEqual(400);
  });

  it('17: 128 outstanding requests are accepted, the 129th gets -32000, a 129th notification is dropped', async () => {
    const { dir, db } = tempDb();
    const hold = path.join(dir, 'hold');
    fs.writeFileSync(hold, '');
    const sim = start(db, ['--hold-flag', hold]);
    for (let i = 0; i < 128; i++) sim.send({ jsonrpc: '2.0', id: `r${i}`, method: 'chats.list' });
    sim.send({ jsonrpc: '2.0', method: 'send', params: { to: '+15550001111', text: 'dropped' } });
    sim.send({ jsonrpc: '2.0', id: 'over', method: 'chats.list' });
    const over = await sim.waitFor((j) => j['id'] === 'over');
    expect(errorOf(over)).toEqual({ code: -32000, message: 'Server busy', data: 'outstanding request limit exceeded' });
    expect(sim.json).toHaveLength(1);
    fs.unlinkSync(hold);
    await sim.waitUntil(() => sim.json.length === 129 || undefined);
    const after = (await sim.request('messages.after', { since_rowid: 0 }))['result'];
    expect(after['messages']).toHaveLength(0);
  });

  it('16, 20: mutations are FIFO; EOF drains a queued send and exits 0', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--slow-send-ms', '300']);
    sim.send({ jsonrpc: '2.0', id: 'a', method: 'send', params: { to: '+15550001111', text: 'first' } });
    sim.send({ jsonrpc: '2.0', id: 'b', method: 'send', params: { to: '+15550001111', text: 'second' } });
    sim.end();
    expect((await sim.exited).code).toBe(0);
    const ids = sim.json.map((j) => j['id']);
    expect(ids).toEqual(['a', 'b']);
    expect(sim.json[0]!['result']['id']).toBeLessThan(sim.json[1]!['result']['id']);
  });
});
