import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { afterEach, describe, expect, test } from 'vitest';
import { GatewayStore, LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../src/store/index.js';
import { reply, tempHome } from './store-helpers.js';

describe('migrations', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('ship as an ordered list of consecutive versions ending at the latest', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(13);
  });

  test('a version-1 database with data is upgraded in place and keeps its rows', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    expect(migrate(raw, 1)).toBe(1);
    raw
      .prepare('INSERT INTO account_cursor (account_id, last_rowid, updated_at) VALUES (?, ?, ?)')
      .run('acct', 120, 1000);
    const insert = raw.prepare(
      `INSERT INTO inbound_journal (account_id, guid, msg_rowid, chat_id, sender, created_at, state, reason, envelope, recorded_at, updated_at)
       VALUES (?, ?, ?, 1, '+1555', 1000, ?, ?, ?, 1000, 1000)`,
    );
    insert.run('acct', 'g-accepted', 119, 'accepted', null, '{"id":"acct:g-accepted"}');
    insert.run('acct', 'g-dropped', 120, 'dropped', 'not-allowed', null);
    expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name = 'outbox'`).get()).toBeUndefined();
    raw.close();

    const store = GatewayStore.open(home.dbPath);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.getCursor('acct')).toBe(120);
    expect(store.pendingInbound('acct')).toEqual([{ guid: 'g-accepted', rowid: 119, envelope: '{"id":"acct:g-accepted"}' }]);
    expect(store.dropCounts('acct')).toEqual({ 'not-allowed': 1 });
    // The tables of version 2 work on the upgraded file.
    expect(store.completeDispatch('acct', 'g-accepted', [reply('r1')])).toEqual([1]);
    store.close();

    const check = new Database(home.dbPath, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    check.close();
  });

  test('migrate is a no-op on a database already at the target', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    migrate(raw);
    expect(migrate(raw)).toBe(LATEST_SCHEMA_VERSION);
    expect(migrate(raw, 1)).toBe(LATEST_SCHEMA_VERSION); // never downgrades
    raw.close();
  });

  test('a failing migration leaves the previous version intact', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    migrate(raw, 1);
    raw.exec('CREATE TABLE outbox (squatter INTEGER)'); // makes version 2 fail half-way
    expect(() => migrate(raw)).toThrow();
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name = 'inbound_journal_dropped'`).get()).toBeUndefined();
    raw.close();
  });

  test('rejects an unknown target version', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    expect(() => migrate(raw, LATEST_SCHEMA_VERSION + 1)).toThrow(RangeError);
    raw.close();
  });
});
