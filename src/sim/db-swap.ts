/**
 * Replacing or restoring chat.db the way a migration or a restore from backup does (imsg-rpc-current.md
 * §2.1, §2.4), for tests of clients that must notice it.
 *
 * - `snapshotDb`: a consistent copy (`VACUUM INTO`, WAL content included; ROWIDs kept, the message
 *   table's are AUTOINCREMENT) to restore later.
 * - `swapDb`: puts another file at the path in one rename, so the path names a new (dev, inode).
 *   The old file's `-wal` and `-shm` are moved aside first (to `<db>.replaced-<n>-wal`/`-shm`, with
 *   the old file beside them): a WAL left at the path would be replayed into the new file.
 *   Processes that have the old file open keep reading it (imsg ≤0.13, and 0.14+ subscriptions
 *   already running); new connections see the new one.
 */
import { existsSync, renameSync } from 'node:fs';
import { SqliteDatabase as Database } from '../sqlite/index.js';

export function snapshotDb(dbPath: string, toPath: string): void {
  if (existsSync(toPath)) throw new Error(`${toPath} already exists; choose a new snapshot path`);
  const conn = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    conn.prepare('VACUUM INTO ?').run(toPath);
  } finally {
    conn.close();
  }
}

/** Returns where the old file was moved. */
export function swapDb(dbPath: string, withPath: string): string {
  if (!existsSync(withPath)) throw new Error(`${withPath} does not exist; nothing to put at ${dbPath}`);
  if (existsSync(`${withPath}-wal`)) throw new Error(`${withPath}-wal exists: close every connection to ${withPath} first`);
  let n = 1;
  while (existsSync(`${dbPath}.replaced-${n}`)) n++;
  const aside = `${dbPath}.replaced-${n}`;
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${dbPath}${suffix}`)) renameSync(`${dbPath}${suffix}`, `${aside}${suffix}`);
  }
  if (existsSync(dbPath)) renameSync(dbPath, aside);
  renameSync(withPath, dbPath);
  return aside;
}
