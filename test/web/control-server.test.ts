import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlServer } from '../../src/web/control-server.js';
import { ensureControlToken, readControlToken, tokenMatches } from '../../src/web/control-token.js';
import { accountStatus, StandInBackend } from './stand-in-backend.js';
import { rawRequest } from './http-helpers.js';
import type { LogRecord } from '../../src/util/log-ring.js';

let home: string;
let backend: StandInBackend;
let server: ControlServer;

function auth(token = server.token): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
function get(path: string, headers: Record<string, string> = auth()) {
  return rawRequest(server.port, { path, headers });
}
function post(path: string, body?: unknown, headers: Record<string, string> = auth()) {
  return rawRequest(server.port, {
    method: 'POST',
    path,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

beforeEach(async () => {
  home = join(mkdtempSync(join(tmpdir(), 'ig-web-')), 'home');
  backend = new StandInBackend([
    accountStatus('main'),
    accountStatus('work', { state: 'backoff-restart', lastError: 'imsg exited with code 1', lastErrorClass: 'exited' }),
  ]);
  server = await startControlServer({ backend, home, port: 0, heartbeatMs: 100 });
});

afterEach(async () => {
  await server.close();
  rmSync(join(home, '..'), { recursive: true, force: true });
});

describe('token file', () => {
  it('is created 0600 in a 0700 home and reused by the next server', async () => {
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
    const path = join(home, 'control-token');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8').trim()).toBe(server.token);
    expect(readControlToken(home)).toBe(server.token);
    const second = await startControlServer({ backend, home, port: 0 });
    try {
      expect(second.token).toBe(server.token);
      expect(second.dashboardUrl).toBe(`http://127.0.0.1:${second.port}/#token=${server.token}`);
    } finally {
      await second.close();
    }
  });

  it('is replaced when malformed or readable by others', () => {
    const path = join(home, 'control-token');
    writeFileSync(path, 'not-a-token\n', { mode: 0o600 });
    const fresh = ensureControlToken(home);
    expect(fresh).toMatch(/^[0-9a-f]{64}$/);
    chmodSync(path, 0o644);
    const replaced = ensureControlToken(home);
    expect(replaced).not.toBe(fresh);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ensureControlToken(home)).toBe(replaced);
  });

  it('compares in constant time without throwing on other lengths', () => {
    const token = 'a'.repeat(64);
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, 'b'.repeat(64))).toBe(false);
    expect(tokenMatches(token, 'a'.repeat(63))).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
  });
});

describe('authentication', () => {
  it('rejects a missing token with 401 and a JSON error', async () => {
    const res = await get('/api/status', {});
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: expect.stringContaining('bearer token') });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('rejects a wrong token of the same length and of another length', async () => {
    const sameLength = server.token.replace(/./, (c) => (c === '0' ? '1' : '0'));
    expect(sameLength).toHaveLength(server.token.length);
    expect((await get('/api/status', auth(sameLength))).status).toBe(401);
    expect((await get('/api/status', auth(`${server.token}00`))).status).toBe(401);
    expect((await get('/api/status', auth('short'))).status).toBe(401);
    expect((await get('/api/status', { authorization: `Basic ${server.token}` })).status).toBe(401);
    expect((await get(`/api/status?token=${server.token}`, {})).status).toBe(401);
  });

  it('accepts the right token', async () => {
    const res = await get('/api/status');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect((res.json as { accounts: unknown[] }).accounts).toHaveLength(2);
  });

  it('rejects a foreign Host header (DNS rebinding), even with the right token', async () => {
    for (const host of [`evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `localhost.evil:${server.port}`]) {
      const res = await rawRequest(server.port, { path: '/api/status', headers: { ...auth(), host } });
      expect(res.status, host).toBe(421);
    }
    const page = await rawRequest(server.port, { path: '/', headers: { host: `evil.example:${server.port}` } });
    expect(page.status).toBe(421);
    const local = await rawRequest(server.port, { path: '/api/status', headers: { ...auth(), host: `localhost:${server.port}` } });
    expect(local.status).toBe(200);
  });

  it('rejects a foreign Origin', async () => {
    const res = await get('/api/status', { ...auth(), origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect((await get('/api/status', { ...auth(), origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const { networkInterfaces } = await import('node:os');
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    const targets = ['::1', ...(other ? [other.address] : [])];
    for (const host of targets) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host, port: server.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
      expect(refused, host).toBe(true);
    }
  });

  it('serves the static page, script and stylesheet without the token, with no data in them', async () => {
    for (const path of ['/', '/app.js', '/app.css']) {
      const res = await rawRequest(server.port, { path });
      expect(res.status, path).toBe(200);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.text).not.toContain(server.token);
      expect(res.text).not.toContain('imsg exited with code 1');
      expect(res.text).not.toContain('config.json5');
    }
    expect((await rawRequest(server.port, { path: '/nothing' })).status).toBe(404);
    expect((await rawRequest(server.port, { path: '/api/nothing' })).status).toBe(401);
  });
});

describe('endpoints', () => {
  it('GET /api/accounts/:id returns one account or 404', async () => {
    const res = await get('/api/accounts/work');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: 'work', state: 'backoff-restart' });
    const missing = await get('/api/accounts/nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'unknown account "nope"' });
    expect((await get('/api/accounts/%E0%A4%A')).status).toBe(400);
  });

  it('GET /api/machine returns the account machine graph', async () => {
    const res = await get('/api/machine');
    expect(res.status).toBe(200);
    const graph = res.json as { initial: string; states: Array<{ id: string }> };
    expect(graph.initial).toBe('child');
    expect(graph.states.map((s) => s.id)).toContain('child.streaming');
  });

  it('GET /api/machine/layout returns the positioned graph (computed once), with the gateway-level failed state', async () => {
    const res = await get('/api/machine/layout');
    expect(res.status).toBe(200);
    const layout = res.json as { width: number; states: Array<{ id: string; x: number; gateway?: boolean }>; edges: Array<{ points: unknown[]; label: { text: string } }> };
    expect(layout.width).toBeGreaterThan(0);
    expect(layout.states.find((s) => s.id === 'child.streaming.idle')).toBeDefined();
    expect(layout.states.find((s) => s.id === 'failed')).toMatchObject({ gateway: true });
    expect(layout.edges.every((e) => e.points.length >= 2 && e.label.text.length > 0)).toBe(true);
    expect((await get('/api/machine/layout')).text).toBe(res.text);
    expect((await get('/api/machine/layout', {})).status).toBe(401);
  });

  it('GET /api/flow, /api/log and /api/pairing/approved: scoped by account, limits checked, token required', async () => {
    const entry = { accountId: 'main', guid: 'g', rowid: 1, chatId: 2, sender: '+15550001111', createdAt: 1, recordedAt: 2, decision: 'dispatched' as const, reason: null, reply: null };
    backend.flowEntries = [entry, { ...entry, accountId: 'work', guid: 'h' }];
    backend.logRecords = [{ seq: 1, time: 1, level: 'info', msg: 'streaming', account: 'main', fields: {} }];
    backend.approved = [{ accountId: 'main', handle: '+15550001111', sender: '+15550001111', approvedAt: 5, code: 'K7P2QX' }];
    expect((await get('/api/flow')).json).toEqual({ flow: backend.flowEntries, showText: false });
    expect((await get('/api/flow?account=work')).json).toEqual({ flow: [backend.flowEntries[1]], showText: false });
    expect((await get('/api/flow?account=nope')).status).toBe(404);
    expect((await get('/api/flow?limit=0')).status).toBe(400);
    expect((await get('/api/flow?limit=1')).json).toEqual({ flow: [entry], showText: false });
    expect((await get('/api/log')).json).toEqual({ records: backend.logRecords });
    expect((await get('/api/log?limit=5000')).status).toBe(400);
    expect((await get('/api/pairing/approved?account=main')).json).toEqual({ approved: backend.approved });
    expect((await get('/api/pairing/approved?account=work')).json).toEqual({ approved: [] });
    for (const path of ['/api/flow', '/api/log', '/api/pairing/approved']) expect((await get(path, {})).status, path).toBe(401);
  });

  it('POST /api/send queues a message and maps ControlRequestError', async () => {
    const ok = await post('/api/send', { account: 'main', to: '+15551234567', text: 'hello', idempotencyKey: 'k1' });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ id: 1, account: 'main', duplicate: false });
    const dup = await post('/api/send', { account: 'main', to: '+15551234567', text: 'hello', idempotencyKey: 'k1' });
    expect(dup.json).toEqual({ id: 1, account: 'main', duplicate: true });
    expect(backend.sends[0]).toEqual({ account: 'main', to: '+15551234567', text: 'hello', idempotencyKey: 'k1' });

    const unknown = await post('/api/send', { account: 'ghost', to: '+1555', text: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: 'unknown account "ghost"' });
    const refused = await post('/api/send', { to: 'nobody', text: 'x' });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ error: 'no such recipient: nobody' });
  });

  it('rejects malformed, incomplete and non-JSON bodies with 400/415', async () => {
    const bad = await post('/api/send', '{"to": "+1555", "text": ');
    expect(bad.status).toBe(400);
    expect((bad.json as { error: string }).error).toMatch(/^malformed JSON body/);
    const missing = await post('/api/send', { to: '+1555' });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: expect.stringMatching(/^invalid body: "text" /), issues: [{ path: 'text', message: expect.any(String) }] });
    expect((await post('/api/send', [1, 2])).status).toBe(400);
    expect((await post('/api/send', { to: 1, text: 'x' })).status).toBe(400);
    expect((await post('/api/send')).status).toBe(400);
    const form = await rawRequest(server.port, {
      method: 'POST',
      path: '/api/send',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'to=1&text=2',
    });
    expect(form.status).toBe(415);
    expect(backend.sends).toHaveLength(0);
  });

  it('rejects an oversized body with 413 (declared and chunked)', async () => {
    const big = JSON.stringify({ to: '+1555', text: 'x'.repeat(1024 * 1024 + 10) });
    const declared = await post('/api/send', big);
    expect(declared.status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const r = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'POST',
          path: '/api/send',
          headers: { ...auth(), host: `127.0.0.1:${server.port}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', reject);
      for (let i = 0; i < 5; i++) r.write('x'.repeat(300 * 1024));
      r.end();
    });
    expect(chunked).toBe(413);
    expect(backend.sends).toHaveLength(0);
  });

  it('answers a wrong method with 405 and an unknown endpoint with 404', async () => {
    const res = await post('/api/status', {});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect((await get('/api/send')).status).toBe(405);
    expect((await get('/api/whatever')).status).toBe(404);
  });

  it('pairing: list, approve, unknown code and unknown account', async () => {
    backend.pairing.push({ code: 'ABC123', account: 'main', sender: '+15550001111', createdAt: '2026-01-01T10:00:00.000Z' });
    const list = await get('/api/pairing?account=main');
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ requests: [expect.objectContaining({ code: 'ABC123' })] });
    expect((await get('/api/pairing')).status).toBe(200);
    expect((await get('/api/pairing?account=ghost')).status).toBe(404);

    const approved = await post('/api/pairing/approve', { code: 'ABC123', account: 'main', notify: true });
    expect(approved.status).toBe(200);
    expect(approved.json).toEqual({ approved: '+15550001111' });
    expect(backend.approvals).toEqual([{ code: 'ABC123', account: 'main', notify: true }]);
    const again = await post('/api/pairing/approve', { code: 'ABC123' });
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ error: 'no pending pairing request with code ABC123' });
    expect((await post('/api/pairing/approve', { code: 'X', notify: 'yes' })).status).toBe(400);
    expect((await post('/api/pairing/approve', {})).status).toBe(400);
  });

  it('pairing deny and revoke: bodies validated (a 400 naming the field), refusals passed on, token required', async () => {
    backend.pairing.push({ code: 'DEF45678', account: 'main', sender: '+15550002222', createdAt: '2026-01-01T10:00:00.000Z' });
    const denied = await post('/api/pairing/deny', { target: 'DEF45678', account: 'main' });
    expect(denied.status).toBe(200);
    expect(denied.json).toEqual({ accountId: 'main', handle: '+15550002222' });
    expect(backend.denials).toEqual([{ target: 'DEF45678', account: 'main' }]);
    expect((await post('/api/pairing/deny', { target: 'DEF45678' })).status).toBe(404);
    const noTarget = await post('/api/pairing/deny', { code: 'DEF45678' });
    expect(noTarget.status).toBe(400);
    expect((noTarget.json as { error: string }).error).toContain('"target"');
    expect((await post('/api/pairing/deny', { target: '  ' })).status).toBe(400);
    expect((await post('/api/pairing/deny', { target: 'X', account: 'ghost' })).status).toBe(404);
    const revoked = await post('/api/pairing/revoke', { handle: '+15550003333' });
    expect(revoked.status).toBe(404);
    expect((revoked.json as { error: string }).error).toContain('not an approved sender');
    const noHandle = await post('/api/pairing/revoke', { target: '+1555' });
    expect(noHandle.status).toBe(400);
    expect((noHandle.json as { error: string }).error).toContain('"handle"');
    expect((await get('/api/pairing/deny')).status).toBe(405);
    expect((await post('/api/pairing/revoke', { handle: '+1555' }, {})).status).toBe(401);
    expect((await post('/api/pairing/deny', { target: 'DEF45678' }, {})).status).toBe(401);
  });

  it('a write is answered only once what it committed is durable (backend.durable); reads do not wait', async () => {
    let release!: () => void;
    let asked = 0;
    backend.durable = () => {
      asked++;
      return new Promise<void>((resolve) => (release = resolve));
    };
    let answered = false;
    const pending = post('/api/delivery/retry', { id: 'send-3' }).then((r) => {
      answered = true;
      return r;
    });
    const deadline = Date.now() + 5000;
    while (asked === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(asked).toBe(1);
    expect(backend.delivery).toEqual([{ retry: { id: 'send-3' } }]); // done, not yet answered
    expect((await get('/api/status')).status).toBe(200); // a read meanwhile: no wait
    expect(answered).toBe(false);
    release();
    expect((await pending).status).toBe(200);
    expect(asked).toBe(1);
  });

  it('delivery: list, retry and discard, bodies validated (a clear 400 naming the field), backend refusals passed on', async () => {
    expect((await get('/api/delivery?account=old&limit=5')).json).toEqual({ deadLetters: [] });
    expect((await get('/api/delivery?limit=0')).status).toBe(400);
    const retried = await post('/api/delivery/retry', { id: 'send-3', force: true });
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ id: 'send-3', started: true });
    for (const [body, says] of [
      [{ id: 5 }, '"id"'],
      [{}, '"id"'],
      [{ id: 'send-3', force: 'yes' }, '"force"'],
      [{ id: 'send-3', extra: 1 }, 'extra'],
      [[], 'JSON object'],
    ] as const) {
      const bad = await post('/api/delivery/retry', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect((bad.json as { error: string }).error).toContain(says);
    }
    expect((await post('/api/delivery/retry', { id: 'send-404' })).status).toBe(404);
    expect((await post('/api/delivery/discard', { id: 'turn-2' })).json).toEqual({ id: 'turn-2' });
    expect((await post('/api/delivery/discard', { olderThan: '7d', account: 'main' })).json).toEqual({ sends: 0, turns: 0, unknownLeft: 0 });
    expect((await post('/api/delivery/discard', { olderThan: '7d', force: true })).status).toBe(400);
    expect((await get('/api/delivery/retry')).status).toBe(405);
    expect(backend.delivery).toEqual([
      { list: { account: 'old', limit: 5 } },
      { retry: { id: 'send-3', force: true } },
      { discard: { id: 'turn-2' } },
      { discard: { olderThan: '7d', account: 'main' } },
    ]);
  });

  it('quarantine: lists without payloads unless asked, 404 for an unknown account, 400 for a bad limit', async () => {
    backend.quarantine.push({ account: 'main', reason: 'invalid message field attachments[0] (invalid_type)', payload: '{"text":"secret"}' });
    const list = await get('/api/quarantine?account=main');
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ quarantine: [{ account: 'main', reason: 'invalid message field attachments[0] (invalid_type)' }] });
    const withPayload = await get('/api/quarantine?payload=1');
    expect(withPayload.json).toEqual({ quarantine: [expect.objectContaining({ payload: '{"text":"secret"}' })] });
    expect((await get('/api/quarantine?account=ghost')).status).toBe(404);
    expect((await get('/api/quarantine?limit=0')).status).toBe(400);
    expect((await post('/api/quarantine', {})).status).toBe(405);
  });

  it('list query parameters are checked by zod: 400 naming the parameter, unknown and repeated ones refused', async () => {
    const badLimit = await get('/api/quarantine?limit=5x');
    expect(badLimit.status).toBe(400);
    expect(badLimit.json).toMatchObject({ error: expect.stringContaining('"limit" must be an integer from 1 to 10000'), issues: [{ path: 'limit' }] });
    expect((await get('/api/quarantine?limit=10001')).status).toBe(400);
    const badFlag = await get('/api/quarantine?payload=yes');
    expect(badFlag.status).toBe(400);
    expect(badFlag.json).toMatchObject({ issues: [{ path: 'payload', message: 'must be 1 or 0' }] });
    const unknown = await get('/api/pairing?acount=main');
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: 'invalid query: "acount" is not a known parameter (expected ?account=ID (optional))' });
    expect((await get('/api/pairing/approved?account=main&account=work')).json).toMatchObject({ issues: [{ path: 'account', message: 'is given more than once' }] });
    expect((await get('/api/pairing?account=%20')).status).toBe(400);
    // Ids are matched as the config spells them (lower case).
    expect((await get('/api/quarantine?account=MAIN&limit=7')).status).toBe(200);
    expect((await get('/api/quarantine?limit=1', {})).status).toBe(401);
  });

  it('retry: ok, 404 for an unknown account, 409 from the backend', async () => {
    const ok = await post('/api/accounts/work/retry');
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ ok: true, account: 'work' });
    expect(backend.retries).toEqual(['work']);
    expect((await post('/api/accounts/ghost/retry')).status).toBe(404);
    const conflict = await post('/api/accounts/main/retry');
    expect(conflict.status).toBe(409);
    expect(conflict.json).toEqual({ error: 'account "main" is streaming; nothing to retry' });
  });

  it('reload: 200 when applied, 422 when the new config is rejected', async () => {
    backend.reloadResult = { ok: true, restarted: ['work'] };
    const ok = await post('/api/reload');
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ ok: true, restarted: ['work'] });
    backend.reloadResult = { ok: false, restarted: [], error: 'accounts.main.cliPath: required' };
    const rejected = await post('/api/reload');
    expect(rejected.status).toBe(422);
    expect(rejected.json).toMatchObject({ ok: false, error: 'accounts.main.cliPath: required' });
    expect(backend.reloads).toBe(2);
  });

  it('a backend that throws something unexpected gives 500 without details', async () => {
    backend.status = () => {
      throw new Error('secret internals');
    };
    const res = await get('/api/status');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('secret internals');
  });
});

describe('body validation (zod): a malformed body gets 400 with each issue and its path', () => {
  type Case = [route: string, body: unknown, paths: string[]];
  const cases: Case[] = [
    ['/api/send', { text: 'hi' }, ['to']],
    ['/api/send', { to: '+1555', text: '   ' }, ['text']],
    ['/api/send', { to: '+1555', text: 'hi', account: 7 }, ['account']],
    ['/api/send', { to: '+1555', text: 'hi', idempotencyKey: '' }, ['idempotencyKey']],
    ['/api/send', { to: '+1555', txt: 'hi' }, ['text', 'txt']],
    ['/api/pairing/approve', {}, ['code']],
    ['/api/pairing/approve', { code: 'ABC', notify: 'yes' }, ['notify']],
    ['/api/pairing/deny', { target: '' }, ['target']],
    ['/api/pairing/deny', { target: 'X', account: '' }, ['account']],
    ['/api/pairing/revoke', { handle: 5 }, ['handle']],
    ['/api/delivery/retry', { id: 'send-1', force: 1 }, ['force']],
    ['/api/delivery/discard', { olderThan: '' }, ['olderThan']],
    ['/api/delivery/discard', { id: 'send-1', olderThan: '7d' }, ['olderThan']],
    ['/api/accounts/work/retry', { now: true }, ['now']],
    ['/api/reload', { force: true }, ['force']],
    ['/api/send', [1], ['']],
    ['/api/pairing/approve', 'null', ['']],
    ['/api/pairing/deny', undefined, ['']],
  ];
  it.each(cases)('POST %s %j → 400 at %j', async (route, body, paths) => {
    const answer = await post(route, body);
    expect(answer.status).toBe(400);
    const json = answer.json as { error: string; issues: Array<{ path: string; message: string }> };
    expect(json.error).toMatch(/^invalid body: .*\(expected .+\)$/);
    expect(json.issues.map((i) => i.path).sort()).toEqual([...paths].sort());
    for (const issue of json.issues) expect(issue.message.length).toBeGreaterThan(3);
    expect(backend.sends).toHaveLength(0);
    expect(backend.reloads).toBe(0);
    expect(backend.retries).toEqual([]);
  });

  it('lets an absent or empty body through where a route takes none', async () => {
    backend.reloadResult = { ok: true, restarted: [] };
    expect((await post('/api/reload')).status).toBe(200);
    expect((await post('/api/reload', {})).status).toBe(200);
    expect((await post('/api/accounts/work/retry', {})).status).toBe(200);
  });
});

describe('event stream', () => {
  interface SseEvent {
    event: string;
    data: unknown;
  }

  function openStream(): Promise<{ events: SseEvent[]; comments: string[]; blocks: string[]; close(): void; next(pred: (e: SseEvent) => boolean): Promise<SseEvent>; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const blocks: string[] = [];
      const waiters: Array<{ pred: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = [];
      let buffer = '';
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path: '/api/events', headers: { ...auth(), host: `127.0.0.1:${server.port}` } },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let cut: number;
            while ((cut = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              blocks.push(block);
              if (block.startsWith(':')) {
                comments.push(block);
                continue;
              }
              const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
              const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as unknown;
              const e = { event, data };
              events.push(e);
              for (const w of [...waiters]) {
                if (w.pred(e)) {
                  waiters.splice(waiters.indexOf(w), 1);
                  w.resolve(e);
                }
              }
            }
          });
          resolve({
            events,
            comments,
            blocks,
            headers: res.headers,
            close: () => req.destroy(),
            next: (pred) => {
              const found = events.find(pred);
              if (found) return Promise.resolve(found);
              return new Promise((r) => waiters.push({ pred, resolve: r }));
            },
          });
        },
      );
      req.on('error', () => undefined);
      req.on('response', () => undefined);
      req.end();
      setTimeout(() => reject(new Error('no response')), 5000).unref();
    });
  }

  it('delivers the current status, pushed transitions and heartbeats, and unsubscribes on disconnect', async () => {
    const stream = await openStream();
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const initial = await stream.next((e) => e.event === 'status');
    expect((initial.data as { status: { accounts: unknown[] } }).status.accounts).toHaveLength(2);
    expect(backend.listeners.size).toBe(1);

    backend.transition('main', 'backoff-restart', 'imsg exited with code 1');
    const t = await stream.next((e) => e.event === 'transition');
    expect(t.data).toMatchObject({ type: 'transition', accountId: 'main', from: 'streaming', to: 'backoff-restart', reason: 'imsg exited with code 1' });

    await new Promise((r) => setTimeout(r, 250));
    expect(stream.comments.some((c) => c.startsWith(': heartbeat'))).toBe(true);

    stream.close();
    await expect.poll(() => backend.listeners.size, { timeout: 2000 }).toBe(0);
  });

  it('frames the live feed: one `flow` and one `log` event per batch, each one data line of JSON', async () => {
    const stream = await openStream();
    await stream.next((e) => e.event === 'status');
    const entry = {
      accountId: 'main',
      guid: 'g1',
      rowid: 7,
      chatId: 3,
      sender: '+15550001111',
      createdAt: 1,
      recordedAt: 2,
      decision: 'dispatched' as const,
      reason: null,
      reply: { count: 1, state: 'sent' as const, error: null },
      text: 'two\nlines: data: event: x\r\n\n',
    };
    backend.emit({ type: 'flow', entries: [entry], showText: true });
    const records: LogRecord[] = [
      { seq: 41, time: 5, level: 'info' as const, msg: 'reply sent', account: 'main', fields: { outboxId: 1 } },
      { seq: 42, time: 6, level: 'warn' as const, msg: 'slow\nsend', fields: {} },
    ];
    backend.emit({ type: 'log', records });
    const log = await stream.next((e) => e.event === 'log');
    const flow = await stream.next((e) => e.event === 'flow');
    expect(flow.data).toEqual({ type: 'flow', entries: [entry], showText: true });
    expect(log.data).toEqual({ type: 'log', records });
    const framed = stream.blocks.filter((b) => /^event: (flow|log)$/m.test(b));
    expect(framed).toEqual([
      `event: flow\ndata: ${JSON.stringify({ type: 'flow', entries: [entry], showText: true })}`,
      `event: log\ndata: ${JSON.stringify({ type: 'log', records })}`,
    ]);
    for (const block of framed) expect(block.split('\n')).toHaveLength(2); // a newline in a text never splits an event
    stream.close();
  });

  it('requires the token', async () => {
    const res = await rawRequest(server.port, { path: '/api/events' });
    expect(res.status).toBe(401);
    expect(backend.listeners.size).toBe(0);
  });

  it('close() ends open streams and releases their subscriptions', async () => {
    const stream = await openStream();
    await stream.next((e) => e.event === 'status');
    expect(backend.listeners.size).toBe(1);
    await server.close();
    expect(backend.listeners.size).toBe(0);
    stream.close();
  });
});
