/**
 * chat.db generations in the state store (schema v6, issue 12 item 5): an existing v5 file keeps
 * its cursor as generation 1; a new generation moves the cursor back in one transaction and keeps
 * the old generation's last cursor; the journal still dedupes by guid across generations.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { GatewayStore, LATEST_SCHEMA_VERSION, migrate } from '../../src/store/index.js';
import { accepted, tempHome } from './store-helpers.js';

describe('cursor generations', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('a v5 database is upgraded in place: every cursor becomes generation 1, unchanged', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    expect(migrate(raw, 5)).toBe(5);
    const put = raw.prepare('INSERT INTO account_cursor (account_id, last_rowid, updated_at) VALUES (?, ?, ?)');
    put.run('bot', 5550, 1_700_000_000_000);
    put.run('personal', 12, 1_700_000_500_000);
    raw.close();

    const store = GatewayStore.open(home.dbPath);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.getCursor('bot')).toBe(5550);
    expect(store.getCursor('personal')).toBe(12);
    expect(store.cursorGeneration('bot')).toEqual({
      generation: 1,
      startedAt: 1_700_000_000_000,
      reason: 'upgraded',
      startRowid: null,
      previousRowid: null,
      dbIdentity: null,
      anchorGuid: null,
    });
    expect(store.cursorGeneration('personal')).toMatchObject({ generation: 1, reason: 'upgraded' });
    // The cursor still only moves forward within the generation.
    store.setCursor('bot', 100);
    expect(store.getCursor('bot')).toBe(5550);
    store.setCursor('bot', 5551);
    expect(store.getCursor('bot')).toBe(5551);
    expect(store.cursorGeneration('bot')?.generation).toBe(1);
    store.close();
  });

  test("an account's first cursor starts generation 1 (first-start), by setCursor or by the journal", () => {
    home = tempHome();
    let now = 1_000;
    const store = GatewayStore.open(home.dbPath, { now: () => now });
    expect(store.cursorGeneration('a')).toBeUndefined();
    store.setCursor('a', 40);
    expect(store.cursorGeneration('a')).toMatchObject({ generation: 1, reason: 'first-start', startRowid: 40, startedAt: 1_000 });
    now = 2_000;
    store.recordInbound('b', [accepted('G-7', 7)], 7);
    expect(store.cursorGeneration('b')).toMatchObject({ generation: 1, reason: 'first-start', startRowid: 7, startedAt: 2_000 });
    store.recordInbound('a', [accepted('G-41', 41)], 41);
    expect(store.cursorGeneration('a')).toMatchObject({ generation: 1, startRowid: 40 });
    store.close();
  });

  test('a new generation rewinds the cursor, remembers the old one, and the journal still dedupes by guid', () => {
    home = tempHome();
    let now = 1_000;
    const store = GatewayStore.open(home.dbPath, { now: () => now });
    store.recordInbound('a', [accepted('G-1', 118), accepted('G-2', 120, { createdAt: 1_700_000_000_999 })], 120);
    store.setGenerationIdentity('a', 1, '64:1001');
    expect(store.cursorGeneration('a')?.dbIdentity).toBe('64:1001');
    expect(store.journalledRowid('a', 'G-2')).toBe(120);
    expect(store.journalledRowid('a', 'nope')).toBeUndefined();
    expect(store.lastInboundAt('a')).toBe(1_700_000_000_999);
    expect(store.lastInboundAt('nobody')).toBeUndefined();

    now = 5_000;
    const n = store.startGeneration('a', { reason: 'file-replaced', startRowid: 2, dbIdentity: '64:2002', anchorGuid: 'NEW-3' });
    expect(n).toBe(2);
    expect(store.getCursor('a')).toBe(2); // backwards: the only place it may
    expect(store.cursorGeneration('a')).toEqual({
      generation: 2,
      startedAt: 5_000,
      reason: 'file-replaced',
      startRowid: 2,
      previousRowid: 120,
      dbIdentity: '64:2002',
      anchorGuid: 'NEW-3',
    });
    // A restored message comes back with another row id: still a duplicate.
    expect(store.recordInbound('a', [accepted('G-2', 4), accepted('NEW-5', 5)], 5)).toEqual([false, true]);
    expect(store.getCursor('a')).toBe(5);
    expect(store.journalledRowid('a', 'G-2')).toBe(120);
    // Generations only count up; the cursor of generation 2 is kept as generation 3's previous.
    expect(store.startGeneration('a', { reason: 'rows-below-cursor', startRowid: 0, dbIdentity: null, anchorGuid: null })).toBe(3);
    expect(store.cursorGeneration('a')).toMatchObject({ generation: 3, previousRowid: 5, startRowid: 0 });
    expect(store.getCursor('a')).toBe(0);
    store.close();

    const check = new Database(home.dbPath, { readonly: true });
    const ended = check
      .prepare(`SELECT generation, end_rowid AS endRowid FROM cursor_generations WHERE account_id = 'a' ORDER BY generation`)
      .all();
    expect(ended).toEqual([
      { generation: 1, endRowid: 120 },
      { generation: 2, endRowid: 5 },
      { generation: 3, endRowid: null },
    ]);
    check.close();
  });
});
