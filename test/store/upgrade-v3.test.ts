/**
 * A state database written by the previous release (better-sqlite3, schema 3; made by
 * test/fixtures/make-state-v3.mjs) opens on node:sqlite, is upgraded in place, and still holds
 * every cursor, journal row, outbox row, pairing request, approved sender and group history entry.
 */
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { GatewayStore, LATEST_SCHEMA_VERSION } from '../../src/store/index.js';
import { tempHome } from './store-helpers.js';

const FIXTURE = resolve(import.meta.dirname, '..', 'fixtures', 'state-v3.db');

describe('a schema-3 database from the better-sqlite3 release', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  const openCopy = (): GatewayStore => {
    home = tempHome();
    copyFileSync(FIXTURE, home.dbPath);
    return GatewayStore.open(home.dbPath);
  };

  test('the fixture really is schema 3 (user_version, header offset 60), with no WAL beside it', () => {
    // Read from the header bytes: even a read-only SQLite open would create a -shm next to it.
    expect(readFileSync(FIXTURE).readUInt32BE(60)).toBe(3);
    expect(existsSync(`${FIXTURE}-wal`)).toBe(false);
  });

  test('is upgraded in place to the latest schema, file kept 0600', () => {
    const before = readFileSync(FIXTURE);
    const store = openCopy();
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    store.close();
    expect(statSync(home.dbPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(FIXTURE).equals(before)).toBe(true);
  });

  test('keeps every cursor and journal row', () => {
    const store = openCopy();
    expect(store.getCursor('bot')).toBe(103);
    expect(store.getCursor('personal')).toBe(5550);
    expect(store.pendingInbound('bot')).toEqual([{ guid: 'G-2', rowid: 102, envelope: '{"id":"bot:G-2"}' }]);
    expect(store.journalLag('bot')).toBe(1);
    expect(store.dropCounts('bot')).toEqual({ 'not-allowlisted': 1 });
    // G-1 was dispatched: recording it again is a duplicate, not a new message
    expect(
      store.recordInbound(
        'bot',
        [{ guid: 'G-1', rowid: 200, chatId: 7, sender: 'x', createdAt: 0, state: 'accepted', envelope: '{}' }],
        200,
      ),
    ).toEqual([false]);
    store.close();
  });

  test('keeps every outbox row with its state, and its idempotency keys still dedupe', () => {
    const store = openCopy();
    expect(store.getOutbox(1)).toMatchObject({ state: 'sent', text: 'echo one', chatKey: 'chat:7', sentRowid: 104 });
    expect(store.getOutbox(2)).toMatchObject({ state: 'queued', text: 'operator note', source: 'cli' });
    expect(store.getOutbox(3)).toMatchObject({ state: 'failed', text: 'will fail' });
    expect(store.outboxStats('bot')).toMatchObject({ depth: 1, failed: 1 });
    const again = store.enqueueOutbox({
      accountId: 'bot',
      idempotencyKey: 'reply:G-1',
      chatKey: 'chat:7',
      target: '{"chatId":7}',
      text: 'echo one',
      source: 'reply',
    });
    expect(again).toEqual({ id: 1, inserted: false });
    store.close();
  });

  test('keeps pairing requests, approved senders and group history', () => {
    const store = openCopy();
    expect(store.listPairingRequests('bot')).toEqual([
      expect.objectContaining({ handle: '+15550000003', code: 'ABCD2345', state: 'pending', chatId: 11 }),
    ]);
    expect(store.isApprovedSender('bot', '+15550000004')).toBe(true);
    expect(store.takeGroupHistory('bot', 12)).toEqual([
      { sender: '+15550000005', text: 'earlier in the group', at: new Date(1_764_000_000_025).toISOString() },
    ]);
    store.close();
  });

  test('a copy reopened after the upgrade is not migrated twice', () => {
    openCopy().close();
    const again = GatewayStore.open(join(home.dir, 'state.db'));
    expect(again.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(again.getCursor('bot')).toBe(103);
    again.close();
  });
});
