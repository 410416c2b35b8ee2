/**
 * Prepared statements over `cursor_generations` (schema v6): which generation of chat.db each
 * account's cursor belongs to, when and why it started. The live cursor itself stays in
 * `account_cursor` (journal-queries.ts); no transactions here, the store composes them.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';

/** Why a generation started. */
export type GenerationReason =
  /** The account's first cursor. */
  | 'first-start'
  /** A cursor that existed before generations were recorded (schema ≤5). */
  | 'upgraded'
  /** The path names another file than the one recorded (dev, inode). */
  | 'file-replaced'
  /** The newest rows imsg shows are below the cursor and were never seen: another database. */
  | 'rows-below-cursor'
  /** The database holds no message at all while a cursor exists. */
  | 'database-emptied'
  /** imsg 0.14+ could not open the database, then could again: it may be another file (§2.4). */
  | 'database-reopened';

export interface CursorGeneration {
  generation: number;
  startedAt: number;
  reason: GenerationReason;
  /** The cursor the generation started from; null when unknown (upgraded). */
  startRowid: number | null;
  /** The last cursor of the generation before; null for the first. */
  previousRowid: number | null;
  /** `dev:ino` of chat.db when known. */
  dbIdentity: string | null;
  /** The guid of the newest message when the generation started: known, not a sign of another file. */
  anchorGuid: string | null;
}

export interface GenerationStart {
  reason: GenerationReason;
  startRowid: number;
  dbIdentity: string | null;
  anchorGuid: string | null;
}

interface Row {
  generation: number;
  started_at: number;
  reason: string;
  start_rowid: number | null;
  previous_rowid: number | null;
  db_identity: string | null;
  anchor_guid: string | null;
}

export class GenerationQueries {
  private readonly selectCurrent: Statement<[string], Row>;
  private readonly insertRow: Statement<[string, number, number, string, number | null, number | null, string | null, string | null]>;
  private readonly insertFirst: Statement<[string, number, number, string]>;
  private readonly closeRow: Statement<[number | null, string, number]>;
  private readonly updateIdentity: Statement<[string, string, number]>;
  private readonly forceCursor: Statement<[string, number, number]>;
  private readonly selectJournalRowid: Statement<[string, string], number>;
  private readonly selectLastCreated: Statement<[string], number | null>;

  constructor(db: SqliteDatabase) {
    this.selectCurrent = db.prepare(
      `SELECT generation, started_at, reason, start_rowid, previous_rowid, db_identity, anchor_guid
       FROM cursor_generations WHERE account_id = ? ORDER BY generation DESC LIMIT 1`,
    );
    this.insertRow = db.prepare(
      `INSERT INTO cursor_generations
         (account_id, generation, started_at, reason, start_rowid, previous_rowid, db_identity, anchor_guid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Generation 1 for an account seen for the first time (no row yet); a no-op afterwards.
    this.insertFirst = db.prepare(
      `INSERT INTO cursor_generations (account_id, generation, started_at, reason, start_rowid)
       SELECT ?, 1, ?, 'first-start', ? WHERE NOT EXISTS (SELECT 1 FROM cursor_generations WHERE account_id = ?)`,
    );
    this.closeRow = db.prepare(`UPDATE cursor_generations SET end_rowid = ? WHERE account_id = ? AND generation = ?`);
    this.updateIdentity = db.prepare(`UPDATE cursor_generations SET db_identity = ? WHERE account_id = ? AND generation = ?`);
    // The one place the cursor may move backwards: a new generation's row ids start over.
    this.forceCursor = db.prepare(
      `INSERT INTO account_cursor (account_id, last_rowid, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET last_rowid = excluded.last_rowid, updated_at = excluded.updated_at`,
    );
    this.selectJournalRowid = db
      .prepare<[string, string], number>('SELECT msg_rowid FROM inbound_journal WHERE account_id = ? AND guid = ?')
      .pluck();
    this.selectLastCreated = db
      .prepare<[string], number | null>('SELECT MAX(created_at) FROM inbound_journal WHERE account_id = ? AND created_at > 0')
      .pluck();
  }

  /** The date (ms) of the newest message journalled for the account; undefined when none is. */
  lastCreatedAt(accountId: string): number | undefined {
    return this.selectLastCreated.get(accountId) ?? undefined;
  }

  current(accountId: string): CursorGeneration | undefined {
    const row = this.selectCurrent.get(accountId);
    if (!row) return undefined;
    return {
      generation: row.generation,
      startedAt: row.started_at,
      reason: row.reason as GenerationReason,
      startRowid: row.start_rowid,
      previousRowid: row.previous_rowid,
      dbIdentity: row.db_identity,
      anchorGuid: row.anchor_guid,
    };
  }

  /** Records generation 1 when the account has none (its first cursor). */
  ensureFirst(accountId: string, startRowid: number, now: number): void {
    this.insertFirst.run(accountId, now, startRowid, accountId);
  }

  /** Ends the current generation at `endRowid` and starts the next from `start.startRowid`. */
  next(accountId: string, endRowid: number | null, start: GenerationStart, now: number): number {
    const current = this.current(accountId);
    const generation = (current?.generation ?? 0) + 1;
    if (current) this.closeRow.run(endRowid, accountId, current.generation);
    this.insertRow.run(accountId, generation, now, start.reason, start.startRowid, endRowid, start.dbIdentity, start.anchorGuid);
    this.forceCursor.run(accountId, start.startRowid, now);
    return generation;
  }

  setIdentity(accountId: string, generation: number, identity: string): void {
    this.updateIdentity.run(identity, accountId, generation);
  }

  /** The chat.db row id a message was journalled with, by guid; undefined when never journalled. */
  journalRowid(accountId: string, guid: string): number | undefined {
    return this.selectJournalRowid.get(accountId, guid);
  }
}
