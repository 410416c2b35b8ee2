/**
 * Prepared statements for the echo-loop breaker and the fair outbox scheduler: the breaker's
 * per-chat state (`breaker_chats`, schema v4) and the outbox reads they need. No transactions
 * here: the store composes them.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import { type OutboxRecord, toRow, UNSETTLED } from './outbox-queries.js';
import type { OutboxRow } from './types.js';

/** What the breaker keeps of a chat across restarts. */
export interface BreakerChatRow {
  chatKey: string;
  /** Reply turns sent since the last message from someone else that paid for them. */
  unpaid: number;
  /** When the chat was paused (ms), or null. */
  pausedAt: number | null;
}

/** The oldest unsettled row of one chat, and whether it is the first row of its reply turn. */
export interface OutboxHead {
  row: OutboxRow;
  /**
   * True unless the row continues a reply turn (same envelope id) whose first row came before it:
   * the rows of one agent turn (all its chunks and files) count as one send for the breaker.
   */
  startsTurn: boolean;
}

/** A reply recently sent into a chat (to recognise it when it comes back as inbound). */
export interface SentReplyText {
  chatKey: string;
  text: string;
  at: number;
}

type HeadRecord = OutboxRecord & { starts_turn: number };

export class BreakerQueries {
  private readonly selectChats: Statement<[string], { chat_key: string; unpaid: number; paused_at: number | null }>;
  private readonly upsertChat: Statement<[string, string, number, number | null, number]>;
  private readonly deleteChat: Statement<[string, string]>;
  private readonly selectHeads: Statement<[string], HeadRecord>;
  private readonly selectRecentSent: Statement<[string, number], { chat_key: string; text: string; at: number }>;
  private readonly selectUnstarted: Statement<[string], { chat_key: string; turns: number }>;

  constructor(db: SqliteDatabase) {
    this.selectChats = db.prepare('SELECT chat_key, unpaid, paused_at FROM breaker_chats WHERE account_id = ? ORDER BY chat_key');
    this.upsertChat = db.prepare(
      `INSERT INTO breaker_chats (account_id, chat_key, unpaid, paused_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, chat_key) DO UPDATE
         SET unpaid = excluded.unpaid, paused_at = excluded.paused_at, updated_at = excluded.updated_at`,
    );
    this.deleteChat = db.prepare('DELETE FROM breaker_chats WHERE account_id = ? AND chat_key = ?');
    // One row per chat: the lowest unsettled id (index outbox_unsettled_chat), never a window of
    // the oldest N rows, so a chat with thousands of queued chunks cannot hide the others.
    this.selectHeads = db.prepare(
      `SELECT o.*,
         (o.envelope_id IS NULL OR o.source != 'reply'
          OR o.id = (SELECT MIN(e.id) FROM outbox e WHERE e.envelope_id = o.envelope_id)) AS starts_turn
       FROM outbox o
       WHERE o.id IN (SELECT MIN(id) FROM outbox WHERE account_id = ? AND state IN ${UNSETTLED} GROUP BY chat_key)
       ORDER BY o.id`,
    );
    this.selectRecentSent = db.prepare(
      `SELECT chat_key, text, updated_at AS at FROM outbox
       WHERE account_id = ? AND state = 'sent' AND source = 'reply' AND updated_at >= ? ORDER BY id`,
    );
    // Reply turns not yet counted (their first row is not sent): each came from a message that
    // was recorded, and paid for its turn, before the last stop.
    this.selectUnstarted = db.prepare(
      `SELECT o.chat_key, COUNT(*) AS turns FROM outbox o
       WHERE o.account_id = ? AND o.source = 'reply' AND o.envelope_id IS NOT NULL
         AND o.state IN ${UNSETTLED}
         AND o.id = (SELECT MIN(e.id) FROM outbox e WHERE e.envelope_id = o.envelope_id)
       GROUP BY o.chat_key ORDER BY o.chat_key`,
    );
  }

  chats(accountId: string): BreakerChatRow[] {
    return this.selectChats.all(accountId).map((r) => ({ chatKey: r.chat_key, unpaid: r.unpaid, pausedAt: r.paused_at }));
  }

  /** Stores a chat's state; a chat with nothing unpaid and no pause has no row. */
  save(accountId: string, chat: BreakerChatRow, now: number): void {
    if (chat.unpaid === 0 && chat.pausedAt === null) this.deleteChat.run(accountId, chat.chatKey);
    else this.upsertChat.run(accountId, chat.chatKey, chat.unpaid, chat.pausedAt, now);
  }

  heads(accountId: string): OutboxHead[] {
    return this.selectHeads.all(accountId).map((r) => ({ row: toRow(r), startsTurn: r.starts_turn !== 0 }));
  }

  recentSent(accountId: string, since: number): SentReplyText[] {
    return this.selectRecentSent.all(accountId, since).map((r) => ({ chatKey: r.chat_key, text: r.text, at: r.at }));
  }

  unstartedTurns(accountId: string): Map<string, number> {
    return new Map(this.selectUnstarted.all(accountId).map((r) => [r.chat_key, r.turns]));
  }
}
