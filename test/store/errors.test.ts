import { SqliteDatabase as Database, sqliteCodeNumber, sqliteErrorName } from '../../src/sqlite/index.js';
import { afterEach, describe, expect, test } from 'vitest';
import { GatewayStore, StoreError, toStoreError } from '../../src/store/index.js';
import { reply, tempHome } from './store-helpers.js';

/** An error shaped as node:sqlite raises it: ERR_SQLITE_ERROR with SQLite's extended result code. */
function sqliteError(code: string): Error {
  const extended: Record<string, number> = {
    SQLITE_CORRUPT_INDEX: 779,
    SQLITE_BUSY_SNAPSHOT: 517,
    SQLITE_READONLY_DBMOVED: 1032,
    SQLITE_IOERR_FSYNC: 1034,
  };
  const errcode = extended[code] ?? sqliteCodeNumber(code);
  return Object.assign(new Error(`simulated ${code}`), { code: 'ERR_SQLITE_ERROR', errcode, errstr: code });
}

describe('toStoreError', () => {
  test.each([
    ['SQLITE_CORRUPT', 'corrupt', 'fatal'],
    ['SQLITE_CORRUPT_INDEX', 'corrupt', 'fatal'],
    ['SQLITE_NOTADB', 'corrupt', 'fatal'],
    ['SQLITE_BUSY', 'locked', 'retry'],
    ['SQLITE_BUSY_SNAPSHOT', 'locked', 'retry'],
    ['SQLITE_LOCKED', 'locked', 'retry'],
    ['SQLITE_FULL', 'disk-full', 'retry'],
    ['SQLITE_CANTOPEN', 'unreadable', 'fatal'],
    ['SQLITE_READONLY', 'unreadable', 'fatal'],
    ['SQLITE_READONLY_DBMOVED', 'unreadable', 'fatal'],
    ['SQLITE_IOERR', 'io', 'fatal'],
    ['SQLITE_IOERR_FSYNC', 'io', 'fatal'],
    ['EACCES', 'unreadable', 'fatal'],
    ['ENOSPC', 'disk-full', 'retry'],
    ['EIO', 'io', 'fatal'],
  ] as const)('%s → %s (recovery %s)', (code, kind, recovery) => {
    const err = toStoreError(code.startsWith('SQLITE') ? sqliteError(code) : Object.assign(new Error(code), { code }), '/h/state.db');
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ kind, recovery, path: '/h/state.db', code: code.split('_').slice(0, 2).join('_') });
    expect(err.message).toContain('/h/state.db');
    expect(err.remediation).toContain('/h/state.db');
  });

  test('a StoreError passes through; anything else becomes io', () => {
    const original = new StoreError('locked', '/a', 'x');
    expect(toStoreError(original, '/b')).toBe(original);
    expect(toStoreError('weird', '/h/state.db')).toMatchObject({ kind: 'io', recovery: 'fatal' });
  });

  test('the corrupt remediation says how to move the file and its WAL aside', () => {
    const err = toStoreError(sqliteError('SQLITE_CORRUPT'), '/h/state.db');
    expect(err.remediation).toContain('mv /h/state.db /h/state.db.broken');
    expect(err.remediation).toContain('mv /h/state.db-wal /h/state.db.broken-wal');
    expect(err.remediation).toContain('it never recreates one over your data by itself');
  });
});

describe('real SQLite failures', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('SQLITE_BUSY from a connection holding an exclusive transaction maps to locked, recovery retry', () => {
    home = tempHome();
    GatewayStore.open(home.dbPath).close();
    const holder = new Database(home.dbPath);
    const waiter = new Database(home.dbPath, { timeout: 20 });
    holder.exec('BEGIN EXCLUSIVE');
    try {
      let caught: unknown;
      try {
        waiter.prepare('INSERT INTO account_cursor VALUES (?, ?, ?)').run('acct', 1, 1);
      } catch (err) {
        caught = err;
      }
      expect(sqliteErrorName(caught)).toBe('SQLITE_BUSY');
      const mapped = toStoreError(caught, home.dbPath);
      expect(mapped).toMatchObject({ kind: 'locked', recovery: 'retry' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      waiter.close();
    }
  });

  test('a store write that cannot get the lock throws StoreError locked, and succeeds once the lock is gone', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath, { busyTimeoutMs: 20 });
    const holder = new Database(home.dbPath);
    holder.exec('BEGIN IMMEDIATE');
    let caught: unknown;
    try {
      store.enqueueOutbox(reply('k'));
    } catch (err) {
      caught = err;
    }
    holder.exec('ROLLBACK');
    holder.close();
    expect(caught).toBeInstanceOf(StoreError);
    expect(caught).toMatchObject({ kind: 'locked', recovery: 'retry' });
    expect(store.enqueueOutbox(reply('k')).inserted).toBe(true);
    store.close();
  });

  test('opening while another process holds the database exclusively is locked, not corrupt', () => {
    home = tempHome();
    GatewayStore.open(home.dbPath).close();
    const holder = new Database(home.dbPath);
    holder.pragma('journal_mode = DELETE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      let caught: unknown;
      try {
        GatewayStore.open(home.dbPath, { busyTimeoutMs: 20 }).close();
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ kind: 'locked', recovery: 'retry' });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  test('SQLITE_FULL (a database that cannot grow) maps to disk-full, recovery retry', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    raw.exec('CREATE TABLE t (x TEXT)');
    raw.pragma('max_page_count = 4');
    let caught: unknown;
    try {
      for (let i = 0; i < 100; i++) raw.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(4000));
    } catch (err) {
      caught = err;
    }
    raw.close();
    expect(sqliteErrorName(caught)).toBe('SQLITE_FULL');
    expect(toStoreError(caught, home.dbPath)).toMatchObject({ kind: 'disk-full', recovery: 'retry' });
  });
});
