/**
 * The client against imsg-sim's 0.15 profile (protocol v1), real processes: negotiation, method
 * gating, -32000 retries, watch.overflow and -32002 with object data.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PermissionDeniedError, RpcError } from '../../src/imsg/errors.js';
import { negotiate, refreshStatus } from '../../src/imsg/negotiate.js';
import { ImsgRpcClient, type ImsgClientHandlers } from '../../src/imsg/rpc-client.js';
import { initSimDb, injectMessage } from '../../src/sim/index.js';
import { systemClock } from '../../src/util/clock.js';
import { SIM_BIN, waitUntil } from '../helpers/sim-db.js';

const clients: ImsgRpcClient[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(env: Record<string, string>, handlers: ImsgClientHandlers = {}) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-v1-'));
  const db = path.join(dir, 'chat.db');
  initSimDb(db);
  const cli = path.join(dir, 'imsg');
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n');
  fs.writeFileSync(cli, `#!/bin/sh\n${exports}\nexec "${process.execPath}" "${SIM_BIN}" "$@"\n`, { mode: 0o755 });
  const c = new ImsgRpcClient({ cliPath: cli, dbPath: db, clock: systemClock, requestTimeoutMs: 10_000, stopTimeoutMs: 1000, handlers });
  clients.push(c);
  return { client: c, db, cli, dir };
}

describe('ImsgRpcClient on imsg 0.15 (v1)', () => {
  it('negotiates v1 and refuses a method the server does not advertise, without sending it', async () => {
    const { client } = setup({ IMSG_SIM_PROFILE: '0.15' });
    await client.start();
    const { info } = await negotiate(client);
    expect(info).toMatchObject({ protocol: 'v1', version: '0.15.10', database: { ready: true } });
    expect(client.server).toBe(info);
    // messages.search is in supported_methods but the simulator does not list it in `methods`.
    const err = await client.request('messages.search', { query: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).rpcMessage).toContain('not sent');
    expect(client.inFlight).toBe(0);
  });

  it('negotiates legacy mode with the 0.9 profile (-32601)', async () => {
    const { client } = setup({ IMSG_SIM_PROFILE: '0.9' });
    await client.start();
    const { info } = await negotiate(client);
    expect(info.protocol).toBe('legacy');
    await expect(client.request('status')).rejects.toThrow(/not advertised/);
    await expect(client.request('chats.list', { limit: 1 })).resolves.toMatchObject({ chats: [] });
  });

  it('retries -32000 busy answers: 200 reads beyond the 128-request cap all succeed', async () => {
    const { client } = setup({ IMSG_SIM_PROFILE: '0.15', IMSG_SIM_METHOD_DELAY: 'chats.list=20' });
    await client.start();
    await negotiate(client);
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => client.request('chats.list', { limit: 1 })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('hands watch.overflow to onWatchOverflow with resume_after_rowid, ending the subscription', async () => {
    const overflows: Array<[number, number | undefined]> = [];
    const seen: number[] = [];
    const { client, db } = setup(
      { IMSG_SIM_PROFILE: '0.15', IMSG_SIM_OVERFLOW_AFTER: '2' },
      { onWatchOverflow: (sub, resume) => overflows.push([sub, resume]), onMessage: (_s, m) => seen.push(m.id) },
    );
    await client.start();
    await negotiate(client);
    const sub = await client.subscribe({ since_rowid: -1, debounce_ms: 0 });
    for (let i = 0; i < 4; i++) injectMessage(db, { from: '+15551230000', text: `m${i}` });
    await waitUntil(() => overflows.length > 0 || undefined, 'the overflow');
    expect(overflows).toEqual([[sub, seen[seen.length - 1]]]);
    expect(seen).toHaveLength(2);
  });

  it('-32002 while the database is unavailable: the v1 permission error, and status recovers in the same child', async () => {
    const flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-flag-'));
    const flag = path.join(flagDir, 'denied');
    fs.writeFileSync(flag, '');
    const { client } = setup({ IMSG_SIM_PROFILE: '0.15', IMSG_SIM_PERMISSION_FLAG: flag });
    await client.start();
    const pid = client.pid;
    // Before negotiation nothing is gated: the server's own -32002 (object data) is decoded.
    const raw = await client.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(PermissionDeniedError);
    expect((raw as PermissionDeniedError).form).toBe('v1');
    expect((raw as PermissionDeniedError).detail).toContain('Full Disk Access');
    const { info } = await negotiate(client);
    expect(info.database?.ready).toBe(false);
    // After negotiation a DB method is refused locally with the same error, never sent.
    await expect(client.request('chats.list', { limit: 1 })).rejects.toBeInstanceOf(PermissionDeniedError);
    fs.unlinkSync(flag);
    expect((await refreshStatus(client)).database?.ready).toBe(true);
    await expect(client.request('chats.list', { limit: 1 })).resolves.toMatchObject({ chats: [] });
    expect(client.pid).toBe(pid);
    fs.rmSync(flagDir, { recursive: true, force: true });
  });
});
