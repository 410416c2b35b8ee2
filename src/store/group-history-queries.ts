/** Prepared statements over `group_history`. No transactions here: the store composes them. */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import type { GroupHistoryEntry } from './types.js';

export class GroupHistoryQueries {
  private readonly insertEntry: Statement<[string, number, string | null, string, string, string, number]>;
  private readonly trimChat: Statement<[string, number, string, number, number]>;
  private readonly selectChat: Statement<[string, number], GroupHistoryEntry>;
  private readonly deleteChat: Statement<[string, number]>;
  private readonly countChat: Statement<[string, number], number>;

  constructor(db: SqliteDatabase) {
    this.insertEntry = db.prepare(
      `INSERT INTO group_history (account_id, chat_id, guid, sender, text, at, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, chat_id, guid) DO NOTHING`,
    );
    // Keep the newest `limit` rows of the chat: delete everything at or below the (limit+1)-th newest id.
    this.trimChat = db.prepare(
      `DELETE FROM group_history WHERE account_id = ? AND chat_id = ? AND id <= (
         SELECT id FROM group_history WHERE account_id = ? AND chat_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?
       )`,
    );
    this.selectChat = db.prepare(
      'SELECT sender, text, at FROM group_history WHERE account_id = ? AND chat_id = ? ORDER BY id',
    );
    this.deleteChat = db.prepare('DELETE FROM group_history WHERE account_id = ? AND chat_id = ?');
    this.countChat = db
      .prepare<[string, number], number>('SELECT COUNT(*) FROM group_history WHERE account_id = ? AND chat_id = ?')
      .pluck();
  }

  /** True when a row was added (false: the guid was already kept). */
  insert(accountId: string, chatId: number, e: GroupHistoryEntry & { guid?: string }, now: number): boolean {
    return this.insertEntry.run(accountId, chatId, e.guid ?? null, e.sender, e.text, e.at, now).changes === 1;
  }

  trim(accountId: string, chatId: number, limit: number): void {
    this.trimChat.run(accountId, chatId, accountId, chatId, limit);
  }

  read(accountId: string, chatId: number): GroupHistoryEntry[] {
    return this.selectChat.all(accountId, chatId);
  }

  clear(accountId: string, chatId: number): void {
    this.deleteChat.run(accountId, chatId);
  }

  count(accountId: string, chatId: number): number {
    return this.countChat.get(accountId, chatId) ?? 0;
  }
}
