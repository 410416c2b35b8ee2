import { SqliteDatabase } from '../sqlite/index.js';
import type { Statement } from '../sqlite/index.js';

/** One message row as the read paths select it (protocol section 8.1). */
export interface MessageRow {
  id: number;
  chat_id: number;
  guid: string | null;
  text: string | null;
  body: Buffer | null;
  handle: string | null;
  /** Apple-epoch nanoseconds as text: chat.db dates exceed 2^53, which node:sqlite will not read as a number. */
  date: string | null;
  is_from_me: number;
  amg: string | null;
  amt: number | null;
  tog: string | null;
  dci: string | null;
  bbid: string | null;
}

export interface ChatRow {
  id: number;
  identifier: string | null;
  guid: string | null;
  name: string | null;
  service: string | null;
  display_name?: string | null;
  account_id?: string | null;
  account_login?: string | null;
  last_addressed_handle?: string | null;
  last_date?: string | null;
}

export interface AttachmentRow {
  filename: string | null;
  transfer_name: string | null;
  uti: string | null;
  mime_type: string | null;
  total_bytes: number | null;
  is_sticker: number | null;
}

export interface ReactionRow {
  id: number;
  type: number;
  text: string | null;
  /** Apple-epoch nanoseconds as text: chat.db dates exceed 2^53, which node:sqlite will not read as a number. */
  date: string | null;
  is_from_me: number;
  handle: string | null;
  dci: string | null;
}

export interface ParentRow {
  text: string | null;
  body: Buffer | null;
  handle: string | null;
  dci: string | null;
}

export const MESSAGE_COLUMNS = `m.ROWID AS id, IFNULL(cmj.chat_id, 0) AS chat_id, m.guid AS guid, m.text AS text,
  CASE WHEN m.text IS NULL OR m.text = '' THEN m.attributedBody END AS body,
  h.id AS handle, CAST(m.date AS TEXT) AS date, m.is_from_me AS is_from_me,
  m.associated_message_guid AS amg, m.associated_message_type AS amt,
  m.thread_originator_guid AS tog, m.destination_caller_id AS dci, m.balloon_bundle_id AS bbid`;

export const NOT_REACTION =
  '(m.associated_message_type IS NULL OR m.associated_message_type < 2000 OR m.associated_message_type > 3006)';

export const WATCH_BATCH_LIMIT = 100;

export interface HistoryQuery {
  chatId: number;
  limit: number;
  participants: string[];
  startNs?: bigint | undefined;
  endNs?: bigint | undefined;
}

/**
 * The read-only view of chat.db that imsg has: opened read-only, prepared statements reused.
 */
export class ReadStore {
  readonly db: SqliteDatabase;
  private readonly watchStmts = new Map<string, Statement>();
  private readonly historyStmts = new Map<string, Statement>();
  private readonly maxRowidStmt: Statement;
  private readonly chatInfoStmt: Statement;
  private readonly participantsStmt: Statement;
  private readonly chatsStmt: Statement;
  private readonly attachmentsStmt: Statement;
  private readonly reactionsStmt: Statement;
  private readonly parentStmt: Statement;

  constructor(dbPath: string) {
    this.db = new SqliteDatabase(dbPath, { readonly: true, fileMustExist: true, timeout: 5000 });
    this.maxRowidStmt = this.db.prepare('SELECT IFNULL(MAX(ROWID), 0) AS max FROM message');
    this.chatInfoStmt = this.db.prepare(
      `SELECT ROWID AS id, chat_identifier AS identifier, guid, IFNULL(display_name, chat_identifier) AS name,
        service_name AS service FROM chat WHERE ROWID = ?`,
    );
    this.participantsStmt = this.db.prepare(
      `SELECT h.id AS id FROM chat_handle_join chj JOIN handle h ON h.ROWID = chj.handle_id WHERE chj.chat_id = ?`,
    );
    this.chatsStmt = this.db.prepare(
      `SELECT c.ROWID AS id, c.chat_identifier AS identifier, c.guid AS guid,
        IFNULL(c.display_name, c.chat_identifier) AS name, c.service_name AS service,
        c.display_name AS display_name, c.account_id AS account_id, c.account_login AS account_login,
        c.last_addressed_handle AS last_addressed_handle, CAST(MAX(cmj.message_date) AS TEXT) AS last_date
       FROM chat c JOIN chat_message_join cmj ON cmj.chat_id = c.ROWID
       GROUP BY c.ROWID ORDER BY MAX(cmj.message_date) DESC LIMIT ?`,
    );
    this.attachmentsStmt = this.db.prepare(
      `SELECT a.filename, a.transfer_name, a.uti, a.mime_type, a.total_bytes, a.is_sticker
       FROM message_attachment_join maj JOIN attachment a ON a.ROWID = maj.attachment_id
       WHERE maj.message_id = ? ORDER BY a.ROWID`,
    );
    this.reactionsStmt = this.db.prepare(
      `SELECT m.ROWID AS id, m.associated_message_type AS type, m.text AS text, CAST(m.date AS TEXT) AS date,
        m.is_from_me AS is_from_me, h.id AS handle, m.destination_caller_id AS dci
       FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id
       WHERE m.associated_message_type BETWEEN 2000 AND 3006
         AND (m.associated_message_guid = @g OR m.associated_message_guid LIKE '%/' || @g)
       ORDER BY m.date ASC, m.ROWID ASC`,
    );
    this.parentStmt = this.db.prepare(
      `SELECT m.text AS text, CASE WHEN m.text IS NULL OR m.text = '' THEN m.attributedBody END AS body,
        h.id AS handle, m.destination_caller_id AS dci
       FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id WHERE m.guid = ? LIMIT 1`,
    );
  }

  close(): void {
    this.db.close();
  }

  maxRowid(): number {
    return (this.maxRowidStmt.get() as { max: number }).max;
  }

  chatInfo(chatId: number): ChatRow | undefined {
    return this.chatInfoStmt.get(chatId) as ChatRow | undefined;
  }

  participants(chatId: number): string[] {
    const rows = this.participantsStmt.all(chatId) as { id: string | null }[];
    const set = new Set<string>();
    for (const r of rows) if (r.id) set.add(r.id);
    return [...set].sort();
  }

  listChats(limit: number): ChatRow[] {
    return this.chatsStmt.all(limit) as ChatRow[];
  }

  /** The watch poll: rows after the cursor in ROWID order, at most `limit`. */
  messagesAfter(cursor: number, chatId: number | undefined, includeReactions: boolean, limit: number): MessageRow[] {
    const key = `${chatId === undefined ? 'all' : 'chat'}:${includeReactions ? 'r' : 'n'}`;
    let stmt = this.watchStmts.get(key);
    if (!stmt) {
      const where = ['m.ROWID > ?'];
      if (!includeReactions) where.push(NOT_REACTION);
      if (chatId !== undefined) where.push('cmj.chat_id = ?');
      stmt = this.db.prepare(
        `SELECT ${MESSAGE_COLUMNS} FROM message m
         LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID
         LEFT JOIN handle h ON h.ROWID = m.handle_id
         WHERE ${where.join(' AND ')} ORDER BY m.ROWID ASC, cmj.chat_id ASC LIMIT ?`,
      );
      this.watchStmts.set(key, stmt);
    }
    const args: (number | bigint)[] = [cursor];
    if (chatId !== undefined) args.push(chatId);
    args.push(limit);
    return stmt.all(...args) as MessageRow[];
  }

  /** messages.history: newest first, reactions excluded, filters applied before the limit. */
  history(q: HistoryQuery): MessageRow[] {
    const key = `${q.participants.length}:${q.startNs !== undefined}:${q.endNs !== undefined}`;
    let stmt = this.historyStmts.get(key);
    if (!stmt) {
      const where = ['cmj.chat_id = ?', NOT_REACTION];
      if (q.participants.length > 0) {
        where.push(
          `COALESCE(NULLIF(h.id, ''), m.destination_caller_id) COLLATE NOCASE IN (${q.participants.map(() => '?').join(', ')})`,
        );
      }
      if (q.startNs !== undefined) where.push('m.date >= ?');
      if (q.endNs !== undefined) where.push('m.date < ?');
      // Newest first, ties by row id (imsg 0.15.1+: date DESC, ROWID DESC, stable before the limit).
      stmt = this.db.prepare(
        `SELECT ${MESSAGE_COLUMNS} FROM message m
         JOIN chat_message_join cmj ON cmj.message_id = m.ROWID
         LEFT JOIN handle h ON h.ROWID = m.handle_id
         WHERE ${where.join(' AND ')} ORDER BY m.date DESC, m.ROWID DESC LIMIT ?`,
      );
      this.historyStmts.set(key, stmt);
    }
    const args: (number | bigint | string)[] = [q.chatId, ...q.participants];
    if (q.startNs !== undefined) args.push(q.startNs);
    if (q.endNs !== undefined) args.push(q.endNs);
    args.push(q.limit);
    return stmt.all(...args) as MessageRow[];
  }

  attachments(messageId: number): AttachmentRow[] {
    return this.attachmentsStmt.all(messageId) as AttachmentRow[];
  }

  reactionRows(targetGuid: string): ReactionRow[] {
    return this.reactionsStmt.all({ g: targetGuid }) as ReactionRow[];
  }

  parent(guid: string): ParentRow | undefined {
    return this.parentStmt.get(guid) as ParentRow | undefined;
  }
}
