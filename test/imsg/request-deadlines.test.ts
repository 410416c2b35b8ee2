/**
 * Reads and mutations have separate deadlines (issue 12, item 1). Each lane of imsg 0.14+ is timed
 * on its own: a send may take longer than the read deadline (up to the mutation deadline: imsg
 * verifies its receipt for up to 8 s), a read is not held up by a send in flight, and a mutation
 * that misses its deadline is an unknown outcome (send-failure.ts), a read that misses its own a hang.
 * Real imsg-sim children, profile 0.15 (lanes) and 0.9 (one request at a time).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineError } from '../../src/imsg/errors.js';
import { negotiate } from '../../src/imsg/negotiate.js';
import { deadlineKind, laneOf, shortMutationDeadline } from '../../src/imsg/request-lanes.js';
import { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { classifySendFailure } from '../../src/imsg/send-failure.js';
import type { ImsgChat, ImsgSendResult } from '../../src/imsg/types.js';
import { initSimDb, injectMessage } from '../../src/sim/index.js';
import { systemClock } from '../../src/util/clock.js';
import { SIM_BIN } from '../helpers/sim-db.js';

const HANDLE = '+15551234567';
const clients: ImsgRpcClient[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Deadlines {
  requestTimeoutMs: number;
  mutationTimeoutMs: number;
}

async function negotiated(env: Record<string, string>, deadlines: Deadlines) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-deadlines-'));
  dirs.push(dir);
  const db = path.join(dir, 'chat.db');
  initSimDb(db);
  injectMessage(db, { from: HANDLE, text: 'hi' });
  const cli = path.join(dir, 'imsg');
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n');
  fs.writeFileSync(cli, `#!/bin/sh\n${exports}\nexec "${process.execPath}" "${SIM_BIN}" "$@"\n`, { mode: 0o755 });
  const hangs: DeadlineError[] = [];
  const c = new ImsgRpcClient({ cliPath: cli, dbPath: db, clock: systemClock, stopTimeoutMs: 1000, ...deadlines, handlers: { onHang: (e) => hangs.push(e) } });
  clients.push(c);
  await c.start();
  await negotiate(c);
  return { client: c, hangs };
}

const send = (c: ImsgRpcClient, text: string) => c.request<ImsgSendResult>('send', { to: HANDLE, text, service: 'imessage' });

describe('which deadline a request gets', () => {
  it.each([
    ['send', 'mutation', 'mutation'],
    ['send.tracked', 'mutation', 'mutation'],
    ['status', 'read', 'read'],
    ['chats.list', 'read', 'read'],
    ['messages.history', 'read', 'read'],
    ['messages.after', 'read', 'read'],
    ['message.send_status', 'read', 'read'],
    ['initialize', 'read', 'control'],
    ['watch.subscribe', 'read', 'control'],
    ['something.new', 'read', 'control'],
  ] as const)('%s: the %s deadline, the %s lane on imsg 0.14+', (method, kind, lane) => {
    expect(deadlineKind(method)).toBe(kind);
    expect(laneOf(method, 'v1')).toBe(lane);
    // Before 0.14 (and before negotiation) there is one lane.
    expect(laneOf(method, 'legacy')).toBe('serial');
    expect(laneOf(method, undefined)).toBe('serial');
  });
});

describe('a mutation deadline that does not outlast the receipt check', () => {
  it('is noted for imsg 0.14+ (it verifies sends for up to 8 s), not for older imsg or a long enough deadline', () => {
    expect(shortMutationDeadline('v1', 8000)).toBe(
      'gateway.supervision.mutationTimeoutMs (8000 ms) is not above the 8 s this imsg may spend verifying a send: ' +
        'such a send would count as unknown; raise it (default 30000)',
    );
    expect(shortMutationDeadline('v1', 8001)).toBeUndefined();
    expect(shortMutationDeadline('v1', 30_000)).toBeUndefined();
    expect(shortMutationDeadline('legacy', 1000)).toBeUndefined();
  });
});

describe('separate deadlines on imsg 0.15 (lanes)', () => {
  it('a send slower than the read deadline but within the mutation deadline succeeds; a read meanwhile is answered', async () => {
    const { client, hangs } = await negotiated(
      { IMSG_SIM_PROFILE: '0.15', IMSG_SIM_SLOW_SEND_MS: '1500' },
      { requestTimeoutMs: 700, mutationTimeoutMs: 10_000 },
    );
    const sending = send(client, 'slow but fine');
    // The read lane is not behind the mutation lane: answered while the send is still running.
    const chats = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit: 5 });
    expect(chats.chats.map((ch) => ch.identifier)).toContain(HANDLE);
    expect(client.inFlight).toBe(1);
    await expect(sending).resolves.toMatchObject({ ok: true });
    expect(hangs).toEqual([]);
  });

  it('a send past the mutation deadline: DeadlineError (mutation), an unknown outcome for the outbox', async () => {
    const { client, hangs } = await negotiated(
      { IMSG_SIM_PROFILE: '0.15', IMSG_SIM_SLOW_SEND_MS: '3000' },
      { requestTimeoutMs: 5000, mutationTimeoutMs: 600 },
    );
    const err = await send(client, 'too slow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(err).toMatchObject({ method: 'send', timeoutMs: 600, deadline: 'mutation', recovery: 'retry' });
    expect((err as DeadlineError).message).toContain('whether it was sent is unknown');
    expect(classifySendFailure(err)).toMatchObject({ kind: 'unknown', childGone: true });
    expect(hangs).toEqual([err]);
  });

  it('a read past the read deadline is a hang (DeadlineError, read), even while a send keeps its own longer deadline', async () => {
    const { client, hangs } = await negotiated(
      { IMSG_SIM_PROFILE: '0.15', IMSG_SIM_METHOD_DELAY: 'chats.list=2500', IMSG_SIM_SLOW_SEND_MS: '1000' },
      { requestTimeoutMs: 600, mutationTimeoutMs: 10_000 },
    );
    const sending = send(client, 'in flight');
    const err = await client.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(err).toMatchObject({ method: 'chats.list', timeoutMs: 600, deadline: 'read' });
    expect((err as DeadlineError).message).toContain('(hung)');
    expect(hangs).toEqual([err]);
    // The send was not timed by the read deadline.
    await expect(sending).resolves.toMatchObject({ ok: true });
    expect(hangs).toHaveLength(1);
  });
});

describe('one lane on imsg 0.9', () => {
  it('a read waits for the send ahead of it without its deadline running; the send has the mutation deadline', async () => {
    const { client, hangs } = await negotiated(
      { IMSG_SIM_PROFILE: '0.9', IMSG_SIM_SLOW_SEND_MS: '1500' },
      { requestTimeoutMs: 800, mutationTimeoutMs: 10_000 },
    );
    const sending = send(client, 'slow on 0.9');
    const list = client.request<{ chats: ImsgChat[] }>('chats.list', { limit: 5 });
    await expect(sending).resolves.toMatchObject({ ok: true });
    await expect(list).resolves.toMatchObject({ chats: expect.any(Array) });
    expect(hangs).toEqual([]);
  });
});
