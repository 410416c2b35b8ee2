/**
 * Prepared statements over `quarantine` (schema v5): inbound messages set aside with the reason,
 * listed by `imessage-gateway quarantine list` and `GET /api/quarantine`. No transactions here:
 * the store composes them.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';

export type QuarantineStage = 'validation' | 'journal' | 'handling' | 'cursor-jump';

export interface QuarantineInsert {
  accountId: string;
  stage: QuarantineStage;
  /** Our own description (field paths, error class, the rule), never message text. */
  reason: string;
  /** Only a safe integer is stored; anything else is null. */
  rowid?: number;
  guid?: string;
  chatId?: number;
  /** The payload as received (JSON), for later inspection; may hold message text, never logged. */
  payload?: string;
}

export interface QuarantineRow {
  id: number;
  accountId: string;
  stage: QuarantineStage;
  reason: string;
  rowid: number | null;
  guid: string | null;
  chatId: number | null;
  payload: string | null;
  /** The size of the payload as received (it is cut at MAX_QUARANTINE_PAYLOAD_BYTES). */
  payloadBytes: number;
  quarantinedAt: number;
}

/** A payload larger than this is stored cut (its full size is kept in payloadBytes). */
export const MAX_QUARANTINE_PAYLOAD_BYTES = 64 * 1024;
/** Rows kept per account: a stream of bad input cannot fill the disk. */
export const MAX_QUARANTINE_ROWS = 10_000;

interface Record_ {
  id: number;
  account_id: string;
  stage: QuarantineStage;
  reason: string;
  msg_rowid: number | null;
  guid: string | null;
  chat_id: number | null;
  payload: string | null;
  payload_bytes: number;
  quarantined_at: number;
}

const safeOrNull = (n: number | undefined): number | null => (n !== undefined && Number.isSafeInteger(n) ? n : null);

export class QuarantineQueries {
  private readonly insertRow: Statement<
    [string, QuarantineStage, string, number | null, string | null, number | null, string | null, number, number]
  >;
  private readonly trimRows: Statement<[string, string, number]>;
  private readonly selectAll: Statement<[number], Record_>;
  private readonly selectAccount: Statement<[string, number], Record_>;
  private readonly countAccount: Statement<[string, number], number>;

  constructor(db: SqliteDatabase) {
    this.insertRow = db.prepare(
      `INSERT INTO quarantine (account_id, stage, reason, msg_rowid, guid, chat_id, payload, payload_bytes, quarantined_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.trimRows = db.prepare(
      `DELETE FROM quarantine WHERE account_id = ? AND id <= (
         SELECT id FROM quarantine WHERE account_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    );
    this.selectAll = db.prepare('SELECT * FROM quarantine ORDER BY id DESC LIMIT ?');
    this.selectAccount = db.prepare('SELECT * FROM quarantine WHERE account_id = ? ORDER BY id DESC LIMIT ?');
    this.countAccount = db
      .prepare<[string, number], number>('SELECT COUNT(*) FROM quarantine WHERE account_id = ? AND quarantined_at >= ?')
      .pluck();
  }

  insert(row: QuarantineInsert, now: number): number {
    const payload = row.payload ?? null;
    const bytes = payload === null ? 0 : Buffer.byteLength(payload);
    const kept = payload !== null && bytes > MAX_QUARANTINE_PAYLOAD_BYTES ? cut(payload, MAX_QUARANTINE_PAYLOAD_BYTES) : payload;
    const id = this.insertRow.run(
      row.accountId,
      row.stage,
      row.reason,
      safeOrNull(row.rowid),
      row.guid ?? null,
      safeOrNull(row.chatId),
      kept,
      bytes,
      now,
    ).lastInsertRowid;
    this.trimRows.run(row.accountId, row.accountId, MAX_QUARANTINE_ROWS);
    return id;
  }

  /** Newest first. limit < 0: all. */
  list(accountId: string | undefined, limit: number): QuarantineRow[] {
    const rows = accountId === undefined ? this.selectAll.all(limit) : this.selectAccount.all(accountId, limit);
    return rows.map(toRow);
  }

  countSince(accountId: string, since: number): number {
    return this.countAccount.get(accountId, since) ?? 0;
  }
}

function toRow(r: Record_): QuarantineRow {
  return {
    id: r.id,
    accountId: r.account_id,
    stage: r.stage,
    reason: r.reason,
    rowid: r.msg_rowid,
    guid: r.guid,
    chatId: r.chat_id,
    payload: r.payload,
    payloadBytes: r.payload_bytes,
    quarantinedAt: r.quarantined_at,
  };
}

/** The first `max` bytes, cut back to a whole UTF-8 character. */
function cut(text: string, max: number): string {
  const buf = Buffer.from(text, 'utf8').subarray(0, max);
  return buf.toString('utf8').replace(/\uFFFD$/u, '');
}
