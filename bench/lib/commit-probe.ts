/**
 * How many durable SQLite commits per second this disk allows: one-row transactions on a WAL
 * database with synchronous=FULL, the state store's settings (src/store/open-database.ts), in the
 * same temporary directory the gateway's home uses. The gateway's state store commits on the main
 * thread, so this is the ceiling of anything that costs one commit per message.
 */
import { join } from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';

export function commitsPerSecond(dir: string, commits = 300): number {
  const db = new Database(join(dir, 'commit-probe.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS t (a INTEGER)');
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const tx = db.transaction((i: number) => insert.run(i));
    const t0 = performance.now();
    for (let i = 0; i < commits; i++) tx(i);
    return commits / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
  }
}
