import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { afterEach, describe, expect, test } from 'vitest';
import { GatewayStore, LATEST_SCHEMA_VERSION, StoreError, stateDbPath } from '../../src/store/index.js';
import { accepted, bytes, isRoot, tempHome } from './store-helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('GatewayStore.open', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('creates the database 0600 in a 0700 folder, with a WAL that is not world-readable', () => {
    home = tempHome();
    const path = stateDbPath(join(home.dir, 'nested', 'home'));
    const store = GatewayStore.open(path);
    store.setCursor('acct', 7);
    expect(mode(path)).toBe(0o600);
    expect(mode(join(home.dir, 'nested', 'home'))).toBe(0o700);
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(mode(`${path}-wal`) & 0o077).toBe(0);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    store.close();
  });

  test('reopening keeps the data', () => {
    home = tempHome();
    const first = GatewayStore.open(home.dbPath);
    first.setCursor('acct', 42);
    first.recordInbound('acct', [accepted('g1', 43)], 43);
    first.close();
    const second = GatewayStore.open(home.dbPath);
    expect(second.getCursor('acct')).toBe(43);
    expect(second.pendingInbound('acct').map((r) => r.guid)).toEqual(['g1']);
    second.close();
  });

  test('uses WAL with synchronous FULL', () => {
    home = tempHome();
    GatewayStore.open(home.dbPath).close();
    const raw = new Database(home.dbPath);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  test('tightens an existing healthy database that others could read to 0600', () => {
    home = tempHome();
    GatewayStore.open(home.dbPath).close();
    chmodSync(home.dbPath, 0o644);
    GatewayStore.open(home.dbPath).close();
    expect(mode(home.dbPath)).toBe(0o600);
  });

  test('a database written by a newer schema is refused and left untouched', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    raw.exec('CREATE TABLE future (x INTEGER)');
    raw.pragma('user_version = 99');
    raw.close();
    const before = bytes(home.dbPath);

    const err = catchStoreError(() => GatewayStore.open(home.dbPath));
    expect(err.kind).toBe('newer-schema');
    expect(err.recovery).toBe('fatal');
    expect(err.path).toBe(home.dbPath);
    expect(err.message).toContain('written by a newer imessage-gateway');
    expect(err.message).toContain('99');
    expect(bytes(home.dbPath).equals(before)).toBe(true);
  });

  test('a file of garbage bytes is reported corrupt and never recreated', () => {
    home = tempHome();
    writeFileSync(home.dbPath, Buffer.from('this is not a database, it is a grocery list\n'.repeat(200)));
    const before = bytes(home.dbPath);

    const err = catchStoreError(() => GatewayStore.open(home.dbPath));
    expect(err.kind).toBe('corrupt');
    expect(err.recovery).toBe('fatal');
    expect(err.message).toContain(home.dbPath);
    expect(err.remediation).toContain(`mv ${home.dbPath} ${home.dbPath}.broken`);
    expect(err.remediation).toContain('never recreates');
    expect(bytes(home.dbPath).equals(before)).toBe(true);
    // Still refused on the next attempt: nothing was "repaired" behind the operator's back.
    expect(catchStoreError(() => GatewayStore.open(home.dbPath)).kind).toBe('corrupt');
    expect(bytes(home.dbPath).equals(before)).toBe(true);
  });

  test('a real database with corrupted pages is reported corrupt and left byte-for-byte unchanged', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    const entries = Array.from({ length: 2000 }, (_, i) => accepted(`g${i}`, i + 1, { sender: 'x'.repeat(60) }));
    store.recordInbound('acct', entries, 2000);
    store.close(); // checkpoints the WAL into the main file
    const pageSize = 4096;
    expect(statSync(home.dbPath).size).toBeGreaterThan(pageSize * 10);
    const fd = openSync(home.dbPath, 'r+');
    writeSync(fd, Buffer.alloc(pageSize * 3, 0x5a), 0, pageSize * 3, pageSize * 4);
    closeSync(fd);
    const before = bytes(home.dbPath);

    const err = catchStoreError(() => GatewayStore.open(home.dbPath));
    expect(err.kind).toBe('corrupt');
    expect(bytes(home.dbPath).equals(before)).toBe(true);
  });

  test.skipIf(isRoot)('a file the gateway may not read is reported unreadable', () => {
    home = tempHome();
    GatewayStore.open(home.dbPath).close();
    chmodSync(home.dbPath, 0o000);
    try {
      const err = catchStoreError(() => GatewayStore.open(home.dbPath));
      expect(err.kind).toBe('unreadable');
      expect(err.recovery).toBe('fatal');
      expect(err.remediation).toContain(home.dbPath);
    } finally {
      chmodSync(home.dbPath, 0o600);
    }
  });

  test('a directory where the database should be is reported unreadable', () => {
    home = tempHome();
    mkdirSync(home.dbPath);
    const err = catchStoreError(() => GatewayStore.open(home.dbPath));
    expect(err.kind).toBe('unreadable');
    expect(statSync(home.dbPath).isDirectory()).toBe(true);
  });

  test('a home that is a file is reported unreadable', () => {
    home = tempHome();
    const notADir = join(home.dir, 'home');
    writeFileSync(notADir, 'x');
    const err = catchStoreError(() => GatewayStore.open(stateDbPath(notADir)));
    expect(err.kind).toBe('unreadable');
  });

  test('a WAL left behind without its database is refused, not discarded by a fresh database', () => {
    home = tempHome();
    writeFileSync(`${home.dbPath}-wal`, Buffer.alloc(8192, 1));
    const before = bytes(`${home.dbPath}-wal`);
    const err = catchStoreError(() => GatewayStore.open(home.dbPath));
    expect(err.kind).toBe('corrupt');
    expect(err.message).toContain(`${home.dbPath}-wal`);
    expect(existsSync(home.dbPath)).toBe(false);
    expect(bytes(`${home.dbPath}-wal`).equals(before)).toBe(true);
  });

  test('close is idempotent', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.close();
    expect(() => store.close()).not.toThrow();
  });
});

export function catchStoreError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError, nothing was thrown');
}
