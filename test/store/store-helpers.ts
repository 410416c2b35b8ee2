/** Test helpers for the state store: temp homes, journal entries and outbox rows with defaults. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InboundEntry, OutboxInsert } from '../../src/store/index.js';

export function tempHome(prefix = 'gw-store-'): { dir: string; dbPath: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dbPath: join(dir, 'state.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function accepted(guid: string, rowid: number, extra: Partial<InboundEntry> = {}): InboundEntry {
  return {
    guid,
    rowid,
    chatId: 1,
    sender: '+15550001111',
    createdAt: 1_700_000_000_000 + rowid,
    state: 'accepted',
    envelope: JSON.stringify({ id: `acct:${guid}`, text: `message ${rowid}` }),
    ...extra,
  };
}

export function dropped(guid: string, rowid: number, reason: string): InboundEntry {
  return { guid, rowid, chatId: 1, sender: '+15550001111', createdAt: 1_700_000_000_000 + rowid, state: 'dropped', reason };
}

export function reply(key: string, extra: Partial<OutboxInsert> = {}): OutboxInsert {
  return {
    accountId: 'acct',
    idempotencyKey: key,
    chatKey: 'chat:1',
    target: JSON.stringify({ kind: 'chat_id', chatId: 1 }),
    text: `reply ${key}`,
    source: 'reply',
    ...extra,
  };
}

/** A controllable clock for the store's `now` option. */
export function manualClock(start = 1_000_000): { now: () => number; set(t: number): void; advance(ms: number): void } {
  let t = start;
  return { now: () => t, set: (v) => void (t = v), advance: (ms) => void (t += ms) };
}

export function bytes(path: string): Buffer {
  return readFileSync(path);
}

export const isRoot = process.getuid?.() === 0;
