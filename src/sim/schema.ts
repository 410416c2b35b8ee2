import fs from 'node:fs';
import path from 'node:path';
import { SqliteDatabase } from '../sqlite/index.js';

/**
 * The chat.db subset of protocol section 8.3 (real column names, AUTOINCREMENT row ids so
 * ROWIDs are never reused), plus a few indexes that real chat.db also has in some form.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, service TEXT);
CREATE TABLE IF NOT EXISTS chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER,
  chat_identifier TEXT, service_name TEXT, display_name TEXT,
  account_id TEXT, account_login TEXT, last_addressed_handle TEXT);
CREATE TABLE IF NOT EXISTS message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT,
  handle_id INTEGER DEFAULT 0, service TEXT, date INTEGER, is_from_me INTEGER DEFAULT 0,
  attributedBody BLOB, associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0,
  balloon_bundle_id TEXT, thread_originator_guid TEXT, destination_caller_id TEXT,
  is_audio_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, is_delivered INTEGER DEFAULT 0,
  is_finished INTEGER DEFAULT 0, error INTEGER DEFAULT 0, date_delivered INTEGER DEFAULT 0, date_read INTEGER DEFAULT 0,
  is_delayed INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_pending_satellite_send INTEGER DEFAULT 0,
  was_downgraded INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
CREATE TABLE IF NOT EXISTS chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER DEFAULT 0,
  PRIMARY KEY (chat_id, message_id));
CREATE TABLE IF NOT EXISTS attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
  filename TEXT, uti TEXT, mime_type TEXT, transfer_name TEXT, total_bytes INTEGER DEFAULT 0,
  is_sticker INTEGER DEFAULT 0, user_info BLOB);
CREATE TABLE IF NOT EXISTS message_attachment_join (message_id INTEGER, attachment_id INTEGER,
  UNIQUE(message_id, attachment_id));
CREATE INDEX IF NOT EXISTS handle_idx_id ON handle(id, service);
CREATE INDEX IF NOT EXISTS chat_message_join_idx_message_id ON chat_message_join(message_id);
CREATE INDEX IF NOT EXISTS chat_message_join_idx_chat_date ON chat_message_join(chat_id, message_date);
CREATE INDEX IF NOT EXISTS message_idx_associated_type ON message(associated_message_type);
CREATE INDEX IF NOT EXISTS message_idx_date ON message(date);
`;

/** The send-status columns of `message` (current spec section 8.5), added in place to older simulator files. */
export const STATUS_COLUMNS = [
  'is_sent',
  'is_delivered',
  'is_finished',
  'error',
  'date_delivered',
  'date_read',
  'is_delayed',
  'is_prepared',
  'is_pending_satellite_send',
  'was_downgraded',
] as const;

/** Whether `message` has every send-status column (a file made by an older simulator may not). */
export function hasStatusColumns(db: SqliteDatabase): boolean {
  const cols = new Set((db.prepare('PRAGMA table_info(message)').all() as { name: string }[]).map((c) => c.name));
  return STATUS_COLUMNS.every((c) => cols.has(c));
}

/**
 * Creates (or upgrades in place) a simulator chat.db: parent directories, file mode 0600,
 * WAL journal mode. Safe to call on an existing database.
 */
export function initSimDb(dbPath: string): void {
  const abs = path.resolve(dbPath);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const fd = fs.openSync(abs, 'a', 0o600);
  fs.closeSync(fd);
  fs.chmodSync(abs, 0o600);
  const db = new SqliteDatabase(abs);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_SQL);
    const cols = new Set((db.prepare('PRAGMA table_info(message)').all() as { name: string }[]).map((c) => c.name));
    for (const c of STATUS_COLUMNS) if (!cols.has(c)) db.exec(`ALTER TABLE message ADD COLUMN ${c} INTEGER DEFAULT 0`);
  } finally {
    db.close();
  }
}
