/**
 * Where a brand-new account (no stored cursor) starts reading. "From now" by default: after the
 * newest message imsg can show. With imessage.catchUp set, from the oldest message of that window
 * instead. Computed once through imsg itself (the database may be on another Mac) and then stored,
 * so a crash before the first message does not move the starting point.
 */
import type { ImsgRpcClient } from '../imsg/rpc-client.js';
import type { ImsgChat, ImsgMessage } from '../imsg/types.js';

const CATCH_UP_CHATS = 200;
const CATCH_UP_MESSAGES_PER_CHAT = 1000;

export async function initialCursor(client: Pick<ImsgRpcClient, 'request'>, catchUpMs: number | null, now: number): Promise<number> {
  if (catchUpMs !== null) {
    const since = now - catchUpMs;
    const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit: CATCH_UP_CHATS });
    let oldest: number | undefined;
    for (const chat of chats) {
      if (Date.parse(chat.last_message_at) < since) continue;
      const { messages } = await client.request<{ messages: ImsgMessage[] }>('messages.history', {
        chat_id: chat.id,
        start: new Date(since).toISOString(),
        limit: CATCH_UP_MESSAGES_PER_CHAT,
      });
      for (const m of messages) oldest = Math.min(oldest ?? m.id, m.id);
    }
    if (oldest !== undefined) return oldest - 1;
  }
  const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit: 1 });
  const newest = chats[0];
  if (!newest) return 0;
  const { messages } = await client.request<{ messages: ImsgMessage[] }>('messages.history', { chat_id: newest.id, limit: 1 });
  return messages[0]?.id ?? 0;
}

/** The watch.subscribe `since_rowid` for a stored cursor: 0 means "everything" (imsg's -1). */
export function sinceRowidFor(cursor: number): number {
  return cursor > 0 ? cursor : -1;
}
