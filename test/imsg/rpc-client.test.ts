/**
 * The RPC client against the real simulator (bin/imsg-sim.js, built from src/sim into dist/ by
 * `npx tsc -p tsconfig.build.json`). Fault switches are set by small /bin/sh wrappers used as
 * cliPath, exactly as an operator's wrapper would sit in front of imsg.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImsgRpcClient, type ImsgClientHandlers, type ImsgClientOptions } from '../../src/imsg/rpc-client.js';
import {
  AutomationDeniedError,
  ClientStoppedError,
  DeadlineError,
  type ImsgError,
  PermissionDeniedError,
  ProcessExitedError,
  RpcError,
  SpawnError,
  SshError,
  UnsupportedImsgError,
} from '../../src/imsg/errors.js';
import type { ImsgChat, ImsgMessage, ImsgSendResult } from '../../src/imsg/types.js';
import { systemClock } from '../../src/util/clock.js';
import { initSimDb, injectMessage, SimWriter } from '../../src/sim/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SIM = path.join(ROOT, 'bin/imsg-sim.js');
const HANDLE = '+15551234567';

let dir: string;
let dbPath: string;
const clients: ImsgRpcClient[] = [];

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/sim/cli.js'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (!fs.existsSync(path.join(ROOT, 'dist/sim/cli.js'))) throw new Error(`cannot build the simulator: ${r.stdout}${r.stderr}`);
  }
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function freshDb(): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-'));
  dbPath = path.join(dir, 'chat.db');
  initSimDb(dbPath);
  return dbPath;
}

function injectMany(db: string, n: number): void {
  const w = new SimWriter(db);
  try {
    for (let i = 0; i < n; i++) w.injectMessage({ from: HANDLE, text: `backlog ${i + 1}` });
  } finally {
    w.close();
  }
}

/** A `#!/bin/sh` wrapper that exports fault variables and runs the simulator (exec or as a child). */
function wrapper(env: Record<string, string | number>, opts: { exec?: boolean; name?: string } = {}): string {
  const file = path.join(dir, opts.name ?? `imsg-${Math.random().toString(36).slice(2)}.sh`);
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${String(v)}'`)
    .join('\n');
  const run = `${opts.exec === false ? '' : 'exec '}${JSON.stringify(SIM)} "$@"`;
  fs.writeFileSync(file, `#!/bin/sh\n${exports}\n${run}\n`, { mode: 0o755 });
  return file;
}

/** A `#!/bin/sh` script with an arbitrary body (an ssh wrapper failing, an old imsg...). */
function script(body: string): string {
  const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

interface Recorder {
  messages: Array<{ sub: number; message: ImsgMessage }>;
  watchErrors: Array<{ sub: number; message: string }>;
  exits: ImsgError[];
  hangs: DeadlineError[];
  garbage: string[];
  malformed: Array<{ problem: string; line: string }>;
  stderr: string[];
  handlers: ImsgClientHandlers;
}

function recorder(): Recorder {
  const r: Recorder = {
    messages: [],
    watchErrors: [],
    exits: [],
    hangs: [],
    garbage: [],
    malformed: [],
    stderr: [],
    handlers: {},
  };
  r.handlers = {
    onMessage: (sub, message) => r.messages.push({ sub, message }),
    onWatchError: (sub, message) => r.watchErrors.push({ sub, message }),
    onExit: (e) => r.exits.push(e),
    onHang: (e) => r.hangs.push(e),
    onGarbage: (line) => r.garbage.push(line),
    onMalformed: (problem, line) => r.malformed.push({ problem, line }),
    onStderr: (line) => r.stderr.push(line),
  };
  return r;
}

function client(cliPath: string, rec: Recorder, over: Partial<ImsgClientOptions> = {}): ImsgRpcClient {
  const c = new ImsgRpcClient({
    cliPath,
    dbPath,
    clock: systemClock,
    requestTimeoutMs: 5000,
    stopTimeoutMs: 300,
    handlers: rec.handlers,
    ...over,
    // This file is the client against imsg 0.9 (legacy mode, the banner forms of a missing Full Disk
    // Access): the 0.9 profile explicitly, for every child and wrapper (the default is 0.15; the
    // v1 client is tested in rpc-client-v1.test.ts).
    env: { IMSG_SIM_PROFILE: '0.9', ...over.env },
  });
  clients.push(c);
  return c;
}

/** Waits (bounded) until `probe` holds; the bound only keeps a broken test from hanging. */
async function until(probe: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The child's own state (private field), read only to tell exit code from signal. */
function childOf(c: ImsgRpcClient): { exitCode: number | null; signalCode: NodeJS.Signals | null } {
  return (c as unknown as { child: { exitCode: number | null; signalCode: NodeJS.Signals | null } }).child;
}

/** Gone: no such process, or a zombie/dead entry waiting for init to reap it (it no longer runs). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/**
 * Whether the process is gone, allowing the kernel a moment to finish an exit already under way
 * (a killed process closes its pipes before it becomes a zombie). Not a speed assertion.
 */
async function goneSoon(pid: number): Promise<boolean> {
  const deadline = Date.now() + 3000;
  while (!isGone(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

function spawnLogPids(file: string): number[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
}

describe('ImsgRpcClient against imsg-sim', () => {
  it('probes with chats.list, subscribes, and delivers a message injected afterwards', async () => {
    freshDb();
    injectMessage(dbPath, { from: HANDLE, text: 'before the subscription' });
    const rec = recorder();
    const c = client(SIM, rec);
    await c.start();
    expect(c.isRunning).toBe(true);
    expect(c.pid).toBeGreaterThan(0);

    const probe = await c.request<{ chats: ImsgChat[] }>('chats.list', { limit: 1 });
    expect(probe.chats).toHaveLength(1);
    expect(probe.chats[0]).toMatchObject({ id: 1, identifier: HANDLE, guid: `iMessage;-;${HANDLE}`, is_group: false });

    // an explicit cursor: "from now" (absent/0) is taken asynchronously by imsg and may skip a row
    const sub = await c.subscribe({ since_rowid: 1, debounce_ms: 0 });
    expect(sub).toBe(1);
    expect(c.inFlight).toBe(0);

    const injected = injectMessage(dbPath, { from: HANDLE, text: 'hello gateway' });
    await until(() => rec.messages.length >= 1, 'the injected message');
    expect(rec.messages).toHaveLength(1);
    expect(rec.messages[0]!.sub).toBe(sub);
    expect(rec.messages[0]!.message).toMatchObject({
      id: injected.id,
      guid: injected.guid,
      chat_id: injected.chat_id,
      sender: HANDLE,
      text: 'hello gateway',
      is_from_me: false,
      is_group: false,
      chat_guid: `iMessage;-;${HANDLE}`,
      attachments: [],
      reactions: [],
    });
    expect(rec.exits).toEqual([]);
    expect(rec.garbage).toEqual([]);
    expect(rec.malformed).toEqual([]);
  });

  it('delivers notifications that precede the subscribe response exactly once, in ROWID order', async () => {
    freshDb();
    injectMany(dbPath, 250);
    const rec = recorder();
    // batch limit 100: the first 100 rows are written before the response, the rest by later polls
    const c = client(wrapper({ IMSG_SIM_POLL_MS: 50 }), rec);
    await c.start();
    await c.request('chats.list', { limit: 1 });
    const sub = await c.subscribe({ since_rowid: -1, debounce_ms: 0 });
    const deliveredWhenAnswered = rec.messages.length;
    // the held-back notifications were replayed synchronously when the response arrived
    expect(deliveredWhenAnswered).toBeGreaterThanOrEqual(100);

    await until(() => rec.messages.length >= 250, 'all 250 rows');
    const ids = rec.messages.map((m) => m.message.id);
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(rec.messages.every((m) => m.sub === sub)).toBe(true);
    expect(rec.messages[0]!.message.text).toBe('backlog 1');
    expect(rec.malformed).toEqual([]);
  });

  it('a slow send does not eat the deadline of the request queued behind it', async () => {
    freshDb();
    injectMessage(dbPath, { from: HANDLE, text: 'hi' });
    const rec = recorder();
    const c = client(wrapper({ IMSG_SIM_SLOW_SEND_MS: 1500 }), rec, {
      requestTimeoutMs: 1000,
      methodTimeouts: { send: 5000 },
    });
    await c.start();
    const send = c.request<ImsgSendResult>('send', { to: HANDLE, text: 'slow reply', service: 'imessage' });
    const list = c.request<{ chats: ImsgChat[] }>('chats.list', { limit: 5 }, 1000);
    expect(c.inFlight).toBe(2);
    const [sent, chats] = await Promise.all([send, list]);
    expect(sent.ok).toBe(true);
    expect(typeof sent.id).toBe('number');
    expect(chats.chats.map((ch) => ch.identifier)).toContain(HANDLE);
    expect(rec.hangs).toEqual([]);
    expect(rec.exits).toEqual([]);
  });

  it('a request that overruns its deadline rejects with DeadlineError and fires onHang', async () => {
    freshDb();
    const rec = recorder();
    const c = client(wrapper({ IMSG_SIM_HANG_AFTER_REQUESTS: 1 }), rec, { requestTimeoutMs: 400 });
    await c.start();
    // the probe gets a generous deadline of its own: process start-up must not count here
    await expect(c.request('chats.list', { limit: 1 }, 10_000)).resolves.toEqual({ chats: [] });

    const hung = c.request('chats.list', { limit: 1 });
    const behind = c.request('messages.history', { chat_id: 1 });
    const err = await hung.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as DeadlineError).method).toBe('chats.list');
    expect((err as DeadlineError).timeoutMs).toBe(400);
    expect(rec.hangs).toEqual([err]);
    expect(c.inFlight).toBe(1);

    // the request queued behind the hang fails when the hung child is stopped
    const behindErr = behind.catch((e: unknown) => e);
    await c.stop();
    expect(await behindErr).toBeInstanceOf(ClientStoppedError);
    expect(rec.exits).toEqual([]);
  });

  it('a late answer to a request that already timed out is reported as malformed and matches nothing', async () => {
    freshDb();
    const rec = recorder();
    const c = client(wrapper({ IMSG_SIM_SLOW_SEND_MS: 800 }), rec, { requestTimeoutMs: 3000, methodTimeouts: { send: 300 } });
    await c.start();
    const err = await c.request('send', { to: HANDLE, text: 'too slow' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(rec.hangs).toEqual([err]);
    // written while imsg is still busy with the send; answered right after it
    await expect(c.request('chats.list', { limit: 1 })).resolves.toMatchObject({ chats: [{ identifier: HANDLE }] });
    expect(rec.malformed).toHaveLength(1);
    expect(rec.malformed[0]!.problem).toBe('response matches no pending request');
    expect(JSON.parse(rec.malformed[0]!.line)).toMatchObject({ id: 1, result: { ok: true } });
  });

  it('a send refused by macOS Automation rejects with AutomationDeniedError', async () => {
    freshDb();
    const rec = recorder();
    const cli = wrapper({ IMSG_SIM_AUTOMATION_DENIED: 1 });
    const c = client(cli, rec);
    await c.start();
    const err = await c.request('send', { to: HANDLE, text: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AutomationDeniedError);
    expect((err as AutomationDeniedError).binary).toBe(cli);
    expect((err as AutomationDeniedError).detail).toBe(
      'AppleScript failed: 12:34: execution error: Not authorized to send Apple events to Messages. (-1743)',
    );
    // reads still work
    await expect(c.request('chats.list', { limit: 1 })).resolves.toEqual({ chats: [] });
  });

  it('non-JSON lines go to onGarbage and requests still succeed', async () => {
    freshDb();
    injectMessage(dbPath, { from: HANDLE, text: 'one' });
    const rec = recorder();
    const c = client(wrapper({ IMSG_SIM_GARBAGE_EVERY: 1 }), rec);
    await c.start();
    for (let i = 0; i < 4; i++) {
      const r = await c.request<{ chats: ImsgChat[] }>('chats.list', { limit: 1 });
      expect(r.chats[0]!.identifier).toBe(HANDLE);
    }
    const sub = await c.subscribe({ since_rowid: -1, debounce_ms: 0 });
    await until(() => rec.messages.length >= 1, 'the replayed row');
    expect(rec.messages.map((m) => [m.sub, m.message.text])).toEqual([[sub, 'one']]);
    // one garbage line at startup plus one before each of the 6 JSON lines
    await until(() => rec.garbage.length >= 7, 'garbage lines');
    expect(rec.garbage).toContain('imsg: warning: Messages.app is not running');
    expect(rec.garbage).toContain('12:34: execution error: Messages got an error: AppleEvent timed out. (-1712)');
    expect(rec.garbage).toContain('{"jsonrpc"');
    expect(rec.exits).toEqual([]);
    expect(rec.hangs).toEqual([]);
  });

  it('permission denied in the 0.8.2+ JSON form rejects the probe with PermissionDeniedError form json', async () => {
    freshDb();
    const rec = recorder();
    const cli = wrapper({ IMSG_SIM_PERMISSION_DENIED: 'json' });
    const c = client(cli, rec);
    await c.start();
    const err = await c.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    const p = err as PermissionDeniedError;
    expect(p.form).toBe('json');
    expect(p.binary).toBe(cli);
    expect(p.dbPath).toBe(dbPath);
    expect(p.detail).toBe('unable to open database file (code: 14)');
    expect(p.recovery).toBe('permission');
    // the process stays up in this mode
    expect(c.isRunning).toBe(true);
    await c.stop();
    expect(rec.exits).toEqual([]);
  });

  it.each([
    ['text', '0.7.0-0.8.1 banner'],
    ['dump', '0.3.0-0.6.0 one-line dump'],
  ])('permission denied in the plain-text %s form (%s) rejects the probe with form text', async (form) => {
    freshDb();
    const rec = recorder();
    const cli = wrapper({ IMSG_SIM_PERMISSION_DENIED: form });
    const c = client(cli, rec);
    await c.start();
    const err = await c.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).form).toBe('text');
    expect((err as PermissionDeniedError).binary).toBe(cli);
    await until(() => rec.exits.length === 1, 'onExit');
    expect(rec.exits[0]).toBeInstanceOf(PermissionDeniedError);
    expect((rec.exits[0] as PermissionDeniedError).form).toBe('text');
    expect(c.isRunning).toBe(false);
    // later requests fail with the same classified error
    await expect(c.request('chats.list')).rejects.toBe(rec.exits[0]);
  });

  it('a child that exits rejects pending requests and fires onExit with ProcessExitedError', async () => {
    freshDb();
    const rec = recorder();
    // The send is held far longer than the two notifications take even on a loaded host: the
    // child exits (after the 2nd notification) with the send still pending. The wait does not
    // lengthen the test, which ends at the exit.
    const c = client(wrapper({ IMSG_SIM_EXIT_AFTER_NOTIFICATIONS: 2, IMSG_SIM_SLOW_SEND_MS: 25_000 }), rec, {
      methodTimeouts: { send: 60_000 },
    });
    await c.start();
    const sub = await c.subscribe({ since_rowid: -1, debounce_ms: 0 });
    const pending = c.request('send', { to: HANDLE, text: 'never answered' }).catch((e: unknown) => e);
    injectMessage(dbPath, { from: HANDLE, text: 'first' });
    injectMessage(dbPath, { from: HANDLE, text: 'second' });

    const err = await pending;
    expect(err).toBeInstanceOf(ProcessExitedError);
    expect((err as ProcessExitedError).code).toBe(1);
    expect((err as ProcessExitedError).signal).toBeNull();
    expect(rec.exits).toEqual([err]);
    expect(rec.messages.map((m) => [m.sub, m.message.text])).toEqual([
      [sub, 'first'],
      [sub, 'second'],
    ]);
    expect(c.isRunning).toBe(false);
    expect(c.inFlight).toBe(0);
    await expect(c.request('chats.list')).rejects.toBe(err);
  });

  it('a missing cliPath rejects start() with SpawnError ENOENT', async () => {
    freshDb();
    const rec = recorder();
    const missing = path.join(dir, 'no-such-imsg');
    const c = client(missing, rec);
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect((err as SpawnError).errno).toBe('ENOENT');
    expect((err as SpawnError).cliPath).toBe(missing);
    expect((err as SpawnError).recovery).toBe('operator');
    expect(c.isRunning).toBe(false);
    await expect(c.request('chats.list')).rejects.toBe(err);
    expect(rec.exits).toEqual([]);
  });

  it('a cliPath that is not executable rejects start() with SpawnError EACCES', async () => {
    freshDb();
    const rec = recorder();
    const file = path.join(dir, 'imsg-not-executable');
    fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const c = client(file, rec);
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect((err as SpawnError).errno).toBe('EACCES');
    expect((err as SpawnError).remediation).toContain(file);
  });

  it('an error notification of the watch fires onWatchError and ends that subscription', async () => {
    freshDb();
    const rec = recorder();
    const c = client(wrapper({ IMSG_SIM_WATCH_ERROR_AFTER: 1 }), rec);
    await c.start();
    const sub = await c.subscribe({ since_rowid: -1, debounce_ms: 0 });
    injectMessage(dbPath, { from: HANDLE, text: 'only one' });
    await until(() => rec.watchErrors.length >= 1, 'the watch error');
    expect(rec.watchErrors).toEqual([{ sub, message: 'database is locked (code: 5)' }]);
    expect(rec.messages.map((m) => m.message.text)).toEqual(['only one']);
    // the child itself is fine
    await expect(c.request('chats.list', { limit: 1 })).resolves.toMatchObject({ chats: [{ identifier: HANDLE }] });
    expect(rec.exits).toEqual([]);
  });

  it('unsubscribe stops delivery for that subscription', async () => {
    freshDb();
    const rec = recorder();
    const c = client(wrapper({ IMSG_SIM_POLL_MS: 50 }), rec);
    await c.start();
    const sub = await c.subscribe({ since_rowid: -1, debounce_ms: 0 });
    injectMessage(dbPath, { from: HANDLE, text: 'seen' });
    await until(() => rec.messages.length === 1, 'the first message');
    await c.unsubscribe(sub);
    injectMessage(dbPath, { from: HANDLE, text: 'not seen' });
    // a later subscription from the current cursor proves the row was committed and polled
    const sub2 = await c.subscribe({ since_rowid: 1, debounce_ms: 0 });
    await until(() => rec.messages.length === 2, 'the row through the new subscription');
    expect(rec.messages.map((m) => [m.sub, m.message.text])).toEqual([
      [sub, 'seen'],
      [sub2, 'not seen'],
    ]);
  });

  it('stop() on a healthy child closes stdin and it exits 0 without signals', async () => {
    freshDb();
    const rec = recorder();
    const c = client(SIM, rec);
    await c.start();
    await c.request('chats.list', { limit: 1 });
    const pid = c.pid!;
    await c.stop();
    expect(childOf(c).exitCode).toBe(0);
    expect(childOf(c).signalCode).toBeNull();
    expect(await goneSoon(pid)).toBe(true);
    expect(c.isRunning).toBe(false);
    expect(rec.exits).toEqual([]);
    await expect(c.request('chats.list')).rejects.toBeInstanceOf(ClientStoppedError);
  });

  it('stop() escalates to SIGKILL for a hung child that ignores SIGTERM and leaves no process behind', async () => {
    freshDb();
    const rec = recorder();
    const log = path.join(dir, 'spawn.log');
    const c = client(
      wrapper({ IMSG_SIM_HANG_AFTER_REQUESTS: 1, IMSG_SIM_IGNORE_SIGTERM: 1, IMSG_SIM_SPAWN_LOG: log }),
      rec,
      { requestTimeoutMs: 20_000 },
    );
    await c.start();
    await c.request('chats.list', { limit: 1 });
    const stuck = c.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    const pid = c.pid!;
    expect(spawnLogPids(log)).toEqual([pid]); // exec wrapper: the simulator is the child itself
    expect(isGone(pid)).toBe(false);
    await c.stop();
    expect(childOf(c).signalCode).toBe('SIGKILL');
    expect(await goneSoon(pid)).toBe(true);
    expect(await stuck).toBeInstanceOf(ClientStoppedError);
    expect(rec.exits).toEqual([]);
    expect(rec.hangs).toEqual([]);
  });

  it('stop() also kills a grandchild that ignores SIGTERM behind a wrapper that does not exec', async () => {
    freshDb();
    const rec = recorder();
    const log = path.join(dir, 'spawn.log');
    const c = client(
      wrapper({ IMSG_SIM_HANG_AFTER_REQUESTS: 1, IMSG_SIM_IGNORE_SIGTERM: 1, IMSG_SIM_SPAWN_LOG: log }, { exec: false }),
      rec,
      { requestTimeoutMs: 20_000 },
    );
    await c.start();
    await c.request('chats.list', { limit: 1 });
    const stuck = c.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    const shPid = c.pid!;
    const [simPid] = spawnLogPids(log);
    expect(simPid).toBeDefined();
    expect(simPid).not.toBe(shPid);
    expect(isGone(shPid)).toBe(false);
    expect(isGone(simPid!)).toBe(false);
    await c.stop();
    expect(await goneSoon(shPid), 'the wrapper shell').toBe(true);
    expect(await goneSoon(simPid!), 'the simulator behind it').toBe(true);
    expect(await stuck).toBeInstanceOf(ClientStoppedError);
    expect(rec.exits).toEqual([]);
  });

  it('an unknown method answers -32601 as an RpcError without harming the child', async () => {
    freshDb();
    const rec = recorder();
    const c = client(SIM, rec);
    await c.start();
    const err = await c.request('ping').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(-32601);
    expect((err as RpcError).data).toBe('ping');
    const bad = await c.request('send', { text: 'no target' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RpcError);
    expect((bad as RpcError).invalidParams).toBe(true);
    expect((bad as RpcError).data).toBe('to is required for direct sends');
    await expect(c.request('chats.list', { limit: 1 })).resolves.toEqual({ chats: [] });
  });
});

describe('ImsgRpcClient: wrapper failures classified from the exit', () => {
  it('an SSH wrapper that cannot verify the host key fails with SshError ssh-host-key', async () => {
    freshDb();
    const rec = recorder();
    const c = client(script("echo 'Host key verification failed.' >&2\nexit 255"), rec);
    await c.start();
    const err = await c.request('chats.list').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect((err as SshError).kind).toBe('ssh-host-key');
    expect((err as SshError).detail).toBe('Host key verification failed.');
    await until(() => rec.exits.length === 1, 'onExit');
    expect(rec.stderr).toEqual(['Host key verification failed.']);
  });

  it('an imsg without rpc fails with UnsupportedImsgError', async () => {
    freshDb();
    const rec = recorder();
    const c = client(script("echo \"Unknown command 'rpc'\"\necho 'Usage: imsg <command>'\nexit 1"), rec);
    await c.start();
    const err = await c.request('chats.list').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedImsgError);
    expect(err).toMatchObject({ detail: "Unknown command 'rpc'" });
  });

  it('a final stderr line without newline is still used to classify the exit', async () => {
    freshDb();
    const rec = recorder();
    const c = client(script("printf 'Permission denied (publickey).' >&2\nexit 255"), rec);
    await c.start();
    const err = await c.request('chats.list').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
  });
});
