/**
 * Settling an unknown tapback needs its target message (issue 17, item 3): found in the chat's
 * newest page, by its journalled row id, or in older pages of history, within a bound. Against a
 * real imsg-sim 0.15 child (real chat.db, real RPC); the paging bound is exercised with a small
 * page count, and `olderPageEnd` is checked on its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { negotiate } from '../../src/imsg/negotiate.js';
import { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { initSimDb, type InjectResult, SimWriter } from '../../src/sim/index.js';
import { findTapbackTarget, olderPageEnd, TARGET_PAGE } from '../../src/supervisor/tapback-target.js';
import { systemClock } from '../../src/util/clock.js';
import { SIM_BIN } from '../helpers/sim-db.js';

const clients: ImsgRpcClient[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const PEER = '+15550007777';

/** A chat of `count` messages a second apart (the oldest first), plus a live 0.15 client. */
async function chatOf(count: number, profile = '0.15', sameMillisecond = false) {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-tapback-target-'));
  const db = path.join(dir, 'chat.db');
  initSimDb(db);
  const w = new SimWriter(db);
  const rows: InjectResult[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  try {
    for (let i = 0; i < count; i++) rows.push(w.injectMessage({ from: PEER, text: `message ${i}`, date: sameMillisecond ? t0 : t0 + i * 1000 }));
  } finally {
    w.close();
  }
  const cli = path.join(dir, 'imsg');
  fs.writeFileSync(cli, `#!/bin/sh\nexport IMSG_SIM_PROFILE='${profile}'\nexec "${process.execPath}" "${SIM_BIN}" "$@"\n`, { mode: 0o755 });
  const client = new ImsgRpcClient({ cliPath: cli, dbPath: db, clock: systemClock, requestTimeoutMs: 10_000, stopTimeoutMs: 1000, handlers: {} });
  clients.push(client);
  await client.start();
  await negotiate(client);
  return { client, rows, chatId: rows[0]!.chat_id };
}

describe('findTapbackTarget', () => {
  it('finds a target among the newest messages, and one far older by paging history (no row id known)', async () => {
    const { client, rows, chatId } = await chatOf(350);
    expect((await findTapbackTarget(client, { chatId, guid: rows[340]!.guid }))?.text).toBe('message 340');
    // 350 messages back: four pages of history (the old code read only the newest 100).
    const old = await findTapbackTarget(client, { chatId, guid: rows[0]!.guid });
    expect(old?.guid).toBe(rows[0]!.guid);
    expect(old?.reactions).toEqual([]);
  });

  it('finds it by its journalled row id in one read, however far back', async () => {
    const { client, rows, chatId } = await chatOf(350);
    // One page of history allowed: only the row id can find it.
    expect((await findTapbackTarget(client, { chatId, guid: rows[3]!.guid, rowid: rows[3]!.id }, 1))?.text).toBe('message 3');
    // A row id of another database generation (another message there): paging still decides.
    expect(await findTapbackTarget(client, { chatId, guid: rows[3]!.guid, rowid: rows[200]!.id }, 1)).toBeUndefined();
    expect((await findTapbackTarget(client, { chatId, guid: rows[3]!.guid, rowid: rows[200]!.id }))?.text).toBe('message 3');
  });

  it('is bounded: beyond the pages it may read, not found (and so never sent twice)', async () => {
    const { client, rows, chatId } = await chatOf(2 * TARGET_PAGE + 20);
    expect(await findTapbackTarget(client, { chatId, guid: rows[0]!.guid }, 2)).toBeUndefined();
    expect((await findTapbackTarget(client, { chatId, guid: rows[0]!.guid }, 3))?.guid).toBe(rows[0]!.guid);
    expect(await findTapbackTarget(client, { chatId, guid: 'NOT-IN-THE-CHAT' })).toBeUndefined();
  });

  it('a page that brings nothing new ends the search (a flood within one millisecond)', async () => {
    const { client, rows, chatId } = await chatOf(TARGET_PAGE + 30, '0.15', true);
    // Every message shares one date: the next page is the same page; the row id still finds it.
    expect(await findTapbackTarget(client, { chatId, guid: rows[0]!.guid })).toBeUndefined();
    expect((await findTapbackTarget(client, { chatId, guid: rows[0]!.guid, rowid: rows[0]!.id }))?.guid).toBe(rows[0]!.guid);
  });
});

describe('olderPageEnd', () => {
  it('one millisecond after the oldest date; none for an empty or dateless page', () => {
    expect(olderPageEnd([{ created_at: '2026-01-01T00:00:05.000Z' }, { created_at: '2026-01-01T00:00:02.500Z' }])).toBe('2026-01-01T00:00:02.501Z');
    expect(olderPageEnd([])).toBeUndefined();
    expect(olderPageEnd([{ created_at: 'not a date' }])).toBeUndefined();
  });
});
