import type { Statement } from '../sqlite/index.js';
import type { Generation } from './db-resource.js';
import { MESSAGE_COLUMNS, NOT_REACTION, type MessageRow, type ReadStore } from './queries.js';
import { invalidParams } from './rpc-errors.js';
import type { V1Params } from './v1-params.js';

export const AFTER_DEFAULT_LIMIT = 100;
export const AFTER_MAX_LIMIT = 500;

export interface AfterQuery {
  sinceRowid: number;
  chatId?: number | undefined;
  limit: number;
  attachments: boolean;
  includeReactions: boolean;
}

/** Semantic checks of `messages.after` (current spec section 3.3), before the DB is needed. */
export function afterQuery(p: V1Params): AfterQuery {
  const since = p.int('since_rowid');
  // 0.14.0 text; a later revision accepts a negative cursor as 0 (the sim follows 0.14.0).
  if (since === undefined || since < 0) throw invalidParams('since_rowid must be a non-negative integer');
  const chatId = p.int('chat_id');
  if (chatId !== undefined && chatId <= 0) throw invalidParams('chat_id must be a positive integer');
  const limit = p.int('limit') ?? AFTER_DEFAULT_LIMIT;
  if (limit < 1 || limit > AFTER_MAX_LIMIT) throw invalidParams('limit must be an integer between 1 and 500');
  return {
    sinceRowid: since,
    chatId,
    limit,
    attachments: p.bool('attachments') ?? false,
    includeReactions: p.bool('include_reactions') ?? false,
  };
}

const stmts = new WeakMap<ReadStore, Map<string, Statement>>();

function rowsAfter(store: ReadStore, q: AfterQuery, take: number): MessageRow[] {
  let cache = stmts.get(store);
  if (!cache) stmts.set(store, (cache = new Map()));
  const key = `${q.chatId === undefined ? 'all' : 'chat'}:${q.includeReactions ? 'r' : 'n'}`;
  let stmt = cache.get(key);
  if (!stmt) {
    // Without a chat filter each physical message appears once, with its lowest chat_id.
    const join =
      q.chatId === undefined
        ? `LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID
             AND cmj.chat_id = (SELECT MIN(j.chat_id) FROM chat_message_join j WHERE j.message_id = m.ROWID)`
        : 'JOIN chat_message_join cmj ON cmj.message_id = m.ROWID AND cmj.chat_id = @chat';
    const where = ['m.ROWID > @since'];
    if (!q.includeReactions) where.push(NOT_REACTION);
    stmt = store.db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM message m ${join}
       LEFT JOIN handle h ON h.ROWID = m.handle_id
       WHERE ${where.join(' AND ')} ORDER BY m.ROWID ASC LIMIT @take`,
    );
    cache.set(key, stmt);
  }
  const args: Record<string, number> = { since: q.sinceRowid, take };
  if (q.chatId !== undefined) args['chat'] = q.chatId;
  return stmt.all(args) as MessageRow[];
}

/**
 * `messages.after` (section 9.1): rows by ROWID ascending after an exclusive cursor; `next_rowid`
 * is the physical scan cursor (the since_rowid itself when nothing is left); `has_more` says
 * whether another page exists. URL-preview coalescing is not emulated (see docs/imsg-sim.md).
 */
export function messagesAfter(gen: Generation, q: AfterQuery): unknown {
  const rows = rowsAfter(gen.store, q, q.limit + 1);
  const hasMore = rows.length > q.limit;
  const page = hasMore ? rows.slice(0, q.limit) : rows;
  const opts = { attachments: q.attachments, reactions: true, chatFields: true, reactionEvent: q.includeReactions };
  return {
    messages: page.map((row) => gen.payloads.message(row, opts)),
    next_rowid: page.length > 0 ? page[page.length - 1]!.id : q.sinceRowid,
    has_more: hasMore,
  };
}
