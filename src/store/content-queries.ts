/** Whether a state database holds anything worth keeping (the start-time "missing or empty" check). */
import type { SqliteDatabase } from '../sqlite/index.js';

/**
 * True once any account has a cursor, or any journal, outbox, approved-sender or pairing row
 * exists. A cursor is never pruned, so a store that ever ran an account stays non-empty.
 */
export function hasContent(db: SqliteDatabase): boolean {
  const found = db
    .prepare<[], number>(
      `SELECT EXISTS (SELECT 1 FROM account_cursor)
           OR EXISTS (SELECT 1 FROM inbound_journal)
           OR EXISTS (SELECT 1 FROM outbox)
           OR EXISTS (SELECT 1 FROM approved_senders)
           OR EXISTS (SELECT 1 FROM pairing_requests)`,
    )
    .pluck()
    .get();
  return found === 1;
}
