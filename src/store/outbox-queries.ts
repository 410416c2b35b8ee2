/** Prepared statements over `outbox`. No transactions here: the store composes them. */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import type { OutboxInsert, OutboxRow, OutboxState, OutboxStats } from './types.js';

export interface OutboxRecord {
  id: number;
  account_id: string;
  idempotency_key: string;
  chat_key: string;
  target: string;
  text: string;
  file: string | null;
  source: OutboxRow['source'];
  envelope_id: string | null;
  state: OutboxState;
  attempts: number;
  last_attempt_at: number | null;
  next_attempt_at: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  sent_rowid: number | null;
  sent_guid: string | null;
  attempt_id: string | null;
  reply_to: string | null;
  action: string | null;
}

export function toRow(r: OutboxRecord): OutboxRow {
  return {
    id: r.id,
    accountId: r.account_id,
    idempotencyKey: r.idempotency_key,
    chatKey: r.chat_key,
    target: r.target,
    text: r.text,
    file: r.file,
    source: r.source,
    envelopeId: r.envelope_id,
    state: r.state,
    attempts: r.attempts,
    lastAttemptAt: r.last_attempt_at,
    nextAttemptAt: r.next_attempt_at,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    sentRowid: r.sent_rowid,
    sentGuid: r.sent_guid,
    attemptId: r.attempt_id,
    replyTo: r.reply_to ?? null,
    action: r.action ?? null,
  };
}

export const UNSETTLED = `('queued', 'sending', 'unknown')`;

export class OutboxQueries {
  private readonly insertRow: Statement<
    [string, string, string, string, string, string | null, string, string | null, number, number, string | null, string | null]
  >;
  private readonly selectIdByKey: Statement<[string], number>;
  private readonly selectById: Statement<[number], OutboxRecord>;
  private readonly selectStateById: Statement<[number], OutboxState>;
  private readonly selectPending: Statement<[string, number], OutboxRecord>;
  private readonly selectFailed: Statement<[string, number], OutboxRecord>;
  private readonly selectStats: Statement<
    [string],
    { depth: number; oldest: number | null; failed: number; unknown: number }
  >;
  private readonly selectMaxId: Statement<[], number>;
  private readonly selectClaimed: Statement<[string, number, string | null], number>;
  private readonly updateSending: Statement<[number, string | null, number, number]>;
  private readonly updateSent: Statement<[number | null, string | null, number, number]>;
  private readonly updateUnknown: Statement<[string, number, number]>;
  private readonly updateRetry: Statement<[number, string, number, number]>;
  private readonly updateFailed: Statement<[string, number, number]>;
  private readonly deleteSettled: Statement<[number]>;

  constructor(db: SqliteDatabase) {
    this.insertRow = db.prepare(
      `INSERT INTO outbox
         (account_id, idempotency_key, chat_key, target, text, file, source, envelope_id, created_at, updated_at, reply_to, action)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    this.selectIdByKey = db
      .prepare<[string], number>('SELECT id FROM outbox WHERE idempotency_key = ?')
      .pluck();
    this.selectById = db.prepare('SELECT * FROM outbox WHERE id = ?');
    this.selectStateById = db.prepare<[number], OutboxState>('SELECT state FROM outbox WHERE id = ?').pluck();
    this.selectPending = db.prepare(
      `SELECT * FROM outbox WHERE account_id = ? AND state IN ${UNSETTLED} ORDER BY id LIMIT ?`,
    );
    this.selectFailed = db.prepare(
      `SELECT * FROM outbox WHERE account_id = ? AND state = 'failed' ORDER BY id DESC LIMIT ?`,
    );
    this.selectStats = db.prepare(
      `SELECT
         COUNT(*) FILTER (WHERE state IN ${UNSETTLED}) AS depth,
         MIN(created_at) FILTER (WHERE state IN ${UNSETTLED}) AS oldest,
         COUNT(*) FILTER (WHERE state = 'failed') AS failed,
         COUNT(*) FILTER (WHERE state = 'unknown') AS unknown
       FROM outbox WHERE account_id = ?`,
    );
    // sqlite_sequence keeps the highest id ever issued, even after prune deleted the row.
    this.selectMaxId = db
      .prepare<[], number>(
        `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
                    COALESCE((SELECT MAX(id) FROM outbox), 0))`,
      )
      .pluck();
    this.selectClaimed = db
      .prepare<[string, number, string | null], number>(
        'SELECT COUNT(*) FROM outbox WHERE account_id = ? AND (sent_rowid = ? OR sent_guid = ?)',
      )
      .pluck();
    this.updateSending = db.prepare(
      `UPDATE outbox SET state = 'sending', attempts = attempts + 1, last_attempt_at = ?1, next_attempt_at = NULL,
         attempt_id = ?2, updated_at = ?3 WHERE id = ?4`,
    );
    this.updateSent = db.prepare(
      `UPDATE outbox SET state = 'sent', sent_rowid = COALESCE(?, sent_rowid), sent_guid = COALESCE(?, sent_guid),
         next_attempt_at = NULL, updated_at = ? WHERE id = ?`,
    );
    this.updateUnknown = db.prepare(
      `UPDATE outbox SET state = 'unknown', error = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?`,
    );
    this.updateRetry = db.prepare(
      `UPDATE outbox SET state = 'queued', next_attempt_at = ?, error = ?, updated_at = ? WHERE id = ?`,
    );
    this.updateFailed = db.prepare(
      `UPDATE outbox SET state = 'failed', error = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?`,
    );
    // Failed rows are dead letters, kept for their own retention (dead-letter-queries.ts).
    this.deleteSettled = db.prepare(`DELETE FROM outbox WHERE state = 'sent' AND updated_at < ?`);
  }

  /**
   * Inserts unless the idempotency key exists; returns the row's id either way. Call inside a
   * write transaction. The key is looked up first: an ignored INSERT would still burn an
   * AUTOINCREMENT id, leaving gaps and a maxId that moves without a new row.
   */
  insert(row: OutboxInsert, now: number): { id: number; inserted: boolean } {
    const existing = this.selectIdByKey.get(row.idempotencyKey);
    if (existing !== undefined) return { id: existing, inserted: false };
    const result = this.insertRow.run(
      row.accountId,
      row.idempotencyKey,
      row.chatKey,
      row.target,
      row.text,
      row.file ?? null,
      row.source,
      row.envelopeId ?? null,
      now,
      now,
      row.replyTo ?? null,
      row.action ?? null,
    );
    if (result.changes === 1) return { id: Number(result.lastInsertRowid), inserted: true };
    const id = this.selectIdByKey.get(row.idempotencyKey);
    if (id === undefined) throw new Error(`outbox insert for key ${row.idempotencyKey} neither inserted nor found`);
    return { id, inserted: false };
  }

  get(id: number): OutboxRow | undefined {
    const record = this.selectById.get(id);
    return record === undefined ? undefined : toRow(record);
  }

  state(id: number): OutboxState | undefined {
    return this.selectStateById.get(id);
  }

  pending(accountId: string, limit: number): OutboxRow[] {
    return this.selectPending.all(accountId, limit).map(toRow);
  }

  failed(accountId: string, limit: number): OutboxRow[] {
    return this.selectFailed.all(accountId, limit).map(toRow);
  }

  stats(accountId: string): OutboxStats {
    const s = this.selectStats.get(accountId);
    return { depth: s?.depth ?? 0, oldestQueuedAt: s?.oldest ?? null, failed: s?.failed ?? 0, unknown: s?.unknown ?? 0 };
  }

  maxId(): number {
    return this.selectMaxId.get() ?? 0;
  }

  /** True if a chat.db row (by row id, or by guid when given) is already recorded as the delivery of some outbox row. */
  claimed(accountId: string, rowid: number, guid: string | null = null): boolean {
    return (this.selectClaimed.get(accountId, rowid, guid) ?? 0) > 0;
  }

  /** `attemptId`: a tracked send's UUID, stored with the state change; null for a plain send (clears it). */
  sending(id: number, now: number, attemptId: string | null = null): void {
    this.updateSending.run(now, attemptId, now, id);
  }

  sent(id: number, rowid: number | null, guid: string | null, now: number): void {
    this.updateSent.run(rowid, guid, now, id);
  }

  unknown(id: number, error: string, now: number): void {
    this.updateUnknown.run(error, now, id);
  }

  retry(id: number, nextAttemptAt: number, error: string, now: number): void {
    this.updateRetry.run(nextAttemptAt, error, now, id);
  }

  fail(id: number, reason: string, now: number): void {
    this.updateFailed.run(reason, now, id);
  }

  prune(olderThan: number): number {
    return this.deleteSettled.run(olderThan).changes;
  }
}
