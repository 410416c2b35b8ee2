/**
 * Opening the state database without ever harming the user's data:
 * 1. the folder is created 0700 and a missing file is created empty 0600 (SQLite creates the
 *    -wal/-shm companions with the database file's mode);
 * 2. an existing file that cannot be read and written is refused (unreadable), never replaced;
 * 3. nothing is written before the file proves to be a healthy database of a schema this build
 *    knows: user_version is read (garbage → SQLITE_NOTADB) and `PRAGMA quick_check` runs first;
 * 4. only then WAL + synchronous=FULL (a kill -9 or power loss at any instant leaves a database
 *    the next open resumes from, and loses no committed transaction; docs/durability.md), foreign
 *    keys, and the migrations.
 */
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  mkdirSync,
  openSync,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { SqliteDatabase } from '../sqlite/index.js';
import { StoreError, toStoreError } from './errors.js';
import { LATEST_SCHEMA_VERSION, migrate, readSchemaVersion } from './migrations.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenedDatabase {
  db: SqliteDatabase;
  schemaVersion: number;
}

export function openDatabase(path: string, busyTimeoutMs: number = DEFAULT_BUSY_TIMEOUT_MS): OpenedDatabase {
  try {
    prepareFile(path);
  } catch (err) {
    throw toStoreError(err, path);
  }
  let db: SqliteDatabase | undefined;
  try {
    db = new SqliteDatabase(path, { fileMustExist: true, timeout: busyTimeoutMs });
    const found = readSchemaVersion(db);
    checkIntegrity(db, path);
    if (found > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'newer-schema',
        path,
        `its schema is version ${found}, this imessage-gateway knows versions up to ${LATEST_SCHEMA_VERSION}`,
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    const schemaVersion = migrate(db);
    tightenMode(path);
    return { db, schemaVersion };
  } catch (err) {
    try {
      db?.close();
    } catch {
      // the original error is the one worth reporting
    }
    throw toStoreError(err, path);
  }
}

/** Folder 0700 (when created), file 0600 (when created); an existing file must be readable and writable. */
function prepareFile(path: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // recursive mkdir only says EEXIST when a file stands where the folder should be
    throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
  }
  accessSync(dir, constants.W_OK | constants.X_OK);
  refuseOrphanWal(path);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx', 0o600);
    fchmodSync(fd, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (statSync(path).isDirectory()) {
      throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    }
    accessSync(path, constants.R_OK | constants.W_OK);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A `-wal` with content but no database next to it is what is left when someone moved state.db
 * alone. SQLite would delete that WAL when it opens a fresh file there, losing its frames.
 */
function refuseOrphanWal(path: string): void {
  if (existsSync(path)) return;
  const wal = `${path}-wal`;
  let size = 0;
  try {
    size = statSync(wal).size;
  } catch {
    return;
  }
  if (size > 0) {
    throw new StoreError(
      'corrupt',
      path,
      `the database file is missing but ${wal} (${size} bytes) is still there; it belongs with the database ` +
        `it was moved away from, and opening a fresh database here would discard it`,
    );
  }
}

function checkIntegrity(db: SqliteDatabase, path: string): void {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join('; ');
    throw new StoreError('corrupt', path, `quick_check failed: ${shown}${problems.length > 3 ? ' …' : ''}`, {
      code: 'SQLITE_CORRUPT',
    });
  }
}

/** A database that proved healthy is ours: drop group/other bits a copy or an old umask left on it. */
function tightenMode(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // a companion may not exist; tightening is best effort
    }
  }
}
