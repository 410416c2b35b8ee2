import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { isSqliteError, isSqliteExperimentalWarning, SqliteDatabase, sqliteErrorName } from '../../src/sqlite/index.js';

const REPO = resolve(import.meta.dirname, '..', '..');

function memory(): SqliteDatabase {
  const db = new SqliteDatabase(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
  return db;
}

describe('SqliteDatabase', () => {
  test('pluck reads the first column; get of no row is undefined', () => {
    const db = memory();
    db.prepare('INSERT INTO t (v) VALUES (?)').run('a');
    expect(db.prepare<[string], number>('SELECT id FROM t WHERE v = ?').pluck().get('a')).toBe(1);
    expect(db.prepare<[string], number>('SELECT id FROM t WHERE v = ?').pluck().get('zz')).toBeUndefined();
    expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual(['a']);
  });

  test('named parameters bind from an object with bare keys', () => {
    const db = memory();
    const r = db.prepare('INSERT INTO t (v) VALUES (@v)').run({ v: 'x' });
    expect(r).toEqual({ changes: 1, lastInsertRowid: 1 });
  });

  test('pragma: rows, or the first value with simple', () => {
    const db = memory();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    db.pragma('user_version = 7');
    expect(db.pragma('user_version')).toEqual([{ user_version: 7 }]);
  });

  test('a transaction commits, and rolls back everything when its body throws', () => {
    const db = memory();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const many = db.transaction((values: string[]) => values.map((v) => insert.run(v).lastInsertRowid));
    expect(many.immediate(['a', 'b'])).toEqual([1, 2]);
    expect(() => many.immediate(['c', 'a'])).toThrow(/UNIQUE/);
    expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['a', 'b']);
    expect(db.inTransaction).toBe(false);
  });

  test('nested transactions are savepoints: an inner failure caught by the outer body keeps the rest', () => {
    const db = memory();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const inner = db.transaction((v: string) => insert.run(v));
    const outer = db.transaction(() => {
      inner.immediate('one');
      try {
        inner.immediate('one'); // duplicate: only this savepoint rolls back
      } catch {
        // expected
      }
      inner.immediate('two');
    });
    outer.immediate();
    expect(db.prepare('SELECT v FROM t ORDER BY id').pluck().all()).toEqual(['one', 'two']);
  });

  test('SQLite errors are recognised and named', () => {
    const db = memory();
    let caught: unknown;
    try {
      db.exec('SELEC nonsense');
    } catch (err) {
      caught = err;
    }
    expect(isSqliteError(caught)).toBe(true);
    expect(sqliteErrorName(caught)).toBe('SQLITE_ERROR');
    expect(sqliteErrorName(new Error('x'))).toBeUndefined();
  });

  test('fileMustExist refuses a missing file with SQLITE_CANTOPEN, creating nothing', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'igw-sqlite-')), 'missing.db');
    expect(() => new SqliteDatabase(path, { fileMustExist: true })).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
  });

  test('close is idempotent and open says so', () => {
    const db = memory();
    db.close();
    db.close();
    expect(db.open).toBe(false);
  });
});

describe("Node 22's ExperimentalWarning for node:sqlite", () => {
  test('only that warning is recognised', () => {
    expect(isSqliteExperimentalWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning')).toBe(true);
    expect(isSqliteExperimentalWarning('SQLite is an experimental feature', 'DeprecationWarning')).toBe(false);
    expect(isSqliteExperimentalWarning('WASI is an experimental feature', 'ExperimentalWarning')).toBe(false);
  });

  test('a real process loading the store prints no SQLite warning, and other warnings still show', async () => {
    const module = pathToFileURL(join(REPO, 'dist', 'sqlite', 'index.js')).href;
    const script = `
      const { SqliteDatabase } = await import(${JSON.stringify(module)});
      new SqliteDatabase(':memory:').close();
      process.emitWarning('something else is an experimental feature', 'ExperimentalWarning');
    `;
    const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    expect(stderr).not.toMatch(/SQLite/);
    expect(stderr).toContain('something else is an experimental feature');
  });
});
