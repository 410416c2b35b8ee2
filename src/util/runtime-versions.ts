/** What the gateway runs on, for `status --json` and `doctor`: the Node.js and SQLite versions. */
import { SqliteDatabase } from '../sqlite/index.js';

export interface RuntimeVersions {
  node: string;
  sqlite: string;
}

let cachedSqlite: string | undefined;

/** The SQLite library built into this Node.js (asked once, of an in-memory database). */
export function sqliteVersion(): string {
  if (cachedSqlite === undefined) {
    const db = new SqliteDatabase(':memory:');
    try {
      cachedSqlite = String(db.prepare('SELECT sqlite_version()').pluck().get());
    } finally {
      db.close();
    }
  }
  return cachedSqlite;
}

export function runtimeVersions(): RuntimeVersions {
  return { node: process.version, sqlite: sqliteVersion() };
}
