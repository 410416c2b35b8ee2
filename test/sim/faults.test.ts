import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { Sim, sleep, tempDb, simStarter } from './sim-helper.js';

// The 0.9 profile (steipete/imsg 0.9.x) explicitly: the default is 0.15.
const start = simStarter(['--profile', '0.9']);

function fill(db: string, n: number): void {
  const w = new SimWriter(db);
  w.injectMany(Array.from({ length: n }, (_, i) => ({ from: '+15551234567', text: `m${i + 1}` })));
  w.close();
}

const alive = (s: Sim): boolean => s.child.exitCode === null && s.child.signalCode === null;

describe('imsg-sim fault switches', () => {
  it('--permission-denied json / IMSG_SIM_PERMISSION_DENIED: JSON errors, exit 1 at EOF', async () => {
    const { db } = tempDb();
    for (const sim of [start(db, ['--permission-denied', 'json']), start(db, [], { IMSG_SIM_PERMISSION_DENIED: 'json' })]) {
      const r = await sim.request('chats.list');
      expect(r['error']['code']).toBe(-32603);
      expect(r['error']['data']).toContain('Permission Error');
      expect(r['error']['data']).toContain(`The Messages database at ${db} requires Full Disk Access`);
      expect((await sim.close()).code).toBe(1);
    }
  });

  it('text and dump forms print plain text and exit 1 without reading stdin; flags beat env', async () => {
    const { db } = tempDb();
    const text = start(db, ['--permission-denied', 'text'], { IMSG_SIM_PERMISSION_DENIED: 'dump' });
    expect((await text.exited).code).toBe(1);
    const raw = text.lines.map((l) => l.raw).join('\n');
    expect(raw.startsWith('unable to open database file (code: 14)\n\n⚠️  Permission Error')).toBe(true);
    expect(text.json).toHaveLength(0);
    const dump = start(db, [], { IMSG_SIM_PERMISSION_DENIED: 'dump' });
    expect((await dump.exited).code).toBe(1);
    expect(dump.lines.map((l) => l.raw)).toEqual([
      `permissionDenied(path: "${db}", underlying: unable to open database file (code: 14))`,
    ]);
  });

  it('--permission-flag FILE applies only while FILE exists (checked at each start)', async () => {
    const { dir, db } = tempDb();
    const flagFile = path.join(dir, 'no-fda');
    fs.writeFileSync(flagFile, '');
    const denied = start(db, ['--permission-flag', flagFile]);
    expect((await denied.request('chats.list'))['error']['data']).toContain('Full Disk Access');
    fs.unlinkSync(flagFile);
    expect((await denied.request('chats.list'))['error']['code']).toBe(-32603);
    expect((await denied.close()).code).toBe(1);
    const granted = start(db, [], { IMSG_SIM_PERMISSION_FLAG: flagFile });
    expect((await granted.request('chats.list'))['result']).toEqual({ chats: [] });
    expect((await granted.close()).code).toBe(0);
  });

  it('--exit-after-notifications N exits 1 right after the Nth; 0 (env) exits at start', async () => {
    const { db } = tempDb();
    fill(db, 5);
    const sim = start(db, ['--exit-after-notifications', '2', '--poll-ms', '100']);
    sim.send({ jsonrpc: '2.0', id: 1, method: 'watch.subscribe', params: { since_rowid: -1, debounce_ms: 0 } });
    expect((await sim.exited).code).toBe(1);
    expect(sim.notifications()).toHaveLength(2);
    const crash = start(db, [], { IMSG_SIM_EXIT_AFTER_NOTIFICATIONS: '0' });
    expect((await crash.exited).code).toBe(1);
    expect(crash.lines).toHaveLength(0);
  });

  it('--hang-after-requests N: answers N, then silence, ignores EOF; SIGTERM still works', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--hang-after-requests', '2', '--poll-ms', '100']);
    await sim.request('watch.subscribe', { debounce_ms: 0 });
    await sim.request('chats.list');
    sim.send({ jsonrpc: '2.0', id: 99, method: 'chats.list' });
    await sleep(150);
    fill(db, 2);
    sim.end();
    await sleep(600);
    expect(alive(sim)).toBe(true);
    expect(sim.lines).toHaveLength(2);
    sim.kill('SIGTERM');
    expect((await sim.exited).signal).toBe('SIGTERM');
  });

  it('--ignore-sigterm / IMSG_SIM_IGNORE_SIGTERM=1 ignores SIGTERM until SIGKILL', async () => {
    const { db } = tempDb();
    const sim = start(db, [], { IMSG_SIM_IGNORE_SIGTERM: '1' });
    await sim.request('chats.list');
    sim.kill('SIGTERM');
    await sleep(300);
    expect(alive(sim)).toBe(true);
    sim.kill('SIGKILL');
    expect((await sim.exited).signal).toBe('SIGKILL');
  });

  it('--garbage-every N writes non-JSON lines at startup and before every Nth line', async () => {
    const { db } = tempDb();
    fill(db, 4);
    const sim = start(db, ['--garbage-every', '2', '--poll-ms', '60000']);
    for (let waited = 0; sim.lines.length === 0 && waited < 10_000; waited += 20) await sleep(20);
    await sleep(100);
    expect(sim.lines).toHaveLength(1);
    expect(sim.lines[0]!.json).toBeUndefined();
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    await sim.waitCount(4);
    expect((await sim.request('chats.list'))['result']['chats']).toHaveLength(1);
    // 6 JSON lines, garbage before the 2nd, 4th and 6th, plus the startup one.
    expect(sim.lines.filter((l) => !l.json)).toHaveLength(4);
    expect(sim.json).toHaveLength(6);
  });

  it('--slow-send-ms blocks later requests while notifications keep flowing', async () => {
    const { db } = tempDb();
    fill(db, 1);
    // The flag (900) beats the env var (1).
    const fast = start(db, ['--slow-send-ms', '900', '--poll-ms', '60000'], { IMSG_SIM_SLOW_SEND_MS: '1' });
    await fast.request('watch.subscribe', { since_rowid: 1, debounce_ms: 0 });
    const t0 = Date.now();
    const sendP = fast.request('send', { to: '+15550001111', text: 'slow' });
    const listP = fast.request('chats.list');
    await sleep(200);
    fill(db, 1);
    const [note] = await fast.waitCount(1);
    expect(note!['params']['message']['text']).toBe('m1');
    const send = await sendP;
    const list = await listP;
    // The notification was written while the send was still being served (it came first).
    expect(fast.json.indexOf(note!)).toBeLessThan(fast.json.indexOf(send));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(850);
    expect(send['result']['ok']).toBe(true);
    expect(fast.json.indexOf(send)).toBeLessThan(fast.json.indexOf(list));
  });

  it('--automation-denied and IMSG_SIM_AUTOMATION_FLAG refuse sends with -1743 and write no row', async () => {
    const { dir, db } = tempDb();
    const sim = start(db, ['--automation-denied']);
    const r = await sim.request('send', { to: '+15550001111', text: 'x' });
    expect(r['error']).toEqual({
      code: -32603,
      message: 'Internal error',
      data: 'AppleScript failed: 12:34: execution error: Not authorized to send Apple events to Messages. (-1743)',
    });
    expect((await sim.request('chats.list'))['result']['chats']).toEqual([]);
    const flagFile = path.join(dir, 'deny');
    fs.writeFileSync(flagFile, '');
    const sim2 = start(db, [], { IMSG_SIM_AUTOMATION_FLAG: flagFile });
    expect((await sim2.request('send', { to: '+15550001111', text: 'x' }))['error']['data']).toContain('-1743');
    fs.unlinkSync(flagFile);
    expect((await sim2.request('send', { to: '+15550001111', text: 'x' }))['result']['ok']).toBe(true);
  });

  it('--watch-error-after N kills a subscription after N messages; resubscribe works for N more', async () => {
    const { db } = tempDb();
    fill(db, 5);
    const sim = start(db, ['--watch-error-after', '2', '--poll-ms', '100']);
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    const [err] = await sim.waitCount(1, 'error');
    expect(err).toEqual({ jsonrpc: '2.0', method: 'error', params: { subscription: 1, error: { message: 'database is locked (code: 5)' } } });
    await sleep(300);
    expect(sim.notifications().map((n) => n['params']['message']['id'])).toEqual([1, 2]);
    expect((await sim.request('watch.unsubscribe', { subscription: 1 }))['result']).toEqual({ ok: true });
    await sim.request('watch.subscribe', { since_rowid: 2, debounce_ms: 0 });
    await sim.waitCount(2, 'error');
    expect(sim.notifications().map((n) => n['params']['message']['id'])).toEqual([1, 2, 3, 4]);
  });

  it('--spawn-log / IMSG_SIM_SPAWN_LOG appends one JSON line per process start', async () => {
    const { dir, db } = tempDb();
    const log = path.join(dir, 'spawns.jsonl');
    const a = start(db, ['--spawn-log', log]);
    await a.request('chats.list');
    const b = start(db, [], { IMSG_SIM_SPAWN_LOG: log });
    await b.request('chats.list');
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ pid: a.child.pid, argv: ['rpc', '--db', db, '--profile', '0.9', '--spawn-log', log] });
    expect(lines[1].pid).toBe(b.child.pid);
    expect(lines[1].at).toMatch(/Z$/);
  });

  it('IMSG_SIM_POLL_MS overrides the fallback poll', async () => {
    const { db } = tempDb();
    fill(db, 150);
    const sim = start(db, [], { IMSG_SIM_POLL_MS: '150' });
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    await sim.waitCount(150, 'message', 2000);
  });
});
