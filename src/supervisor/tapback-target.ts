/**
 * Finds the message an agent's tapback targeted, to settle a tapback whose outcome is unknown
 * (a gateway killed while imsg held it; outbox-sender.ts): is the gateway's reaction on it or not.
 * Bounded, read lane only:
 * 1. the chat's newest TARGET_PAGE messages (`messages.history`);
 * 2. when the gateway journalled the target (its chat.db row id is known) and imsg has
 *    `messages.after` (0.14+): the one message of the chat after the row before it;
 * 3. otherwise older pages of history, each ending just after the oldest message seen
 *    (`end` is exclusive; messages seen twice are skipped), up to TARGET_SEARCH_PAGES pages in all,
 *    and not past a page that brings nothing new.
 * Undefined when the target is not found within that bound: the caller then does not send the
 * tapback again (a second tapback is worse than none).
 */
import type { ImsgRpcClient } from '../imsg/rpc-client.js';
import type { ImsgMessage } from '../imsg/types.js';

export const TARGET_PAGE = 100;
/** Pages of history read at most (TARGET_PAGE each): 1,000 messages back. */
export const TARGET_SEARCH_PAGES = 10;

export interface TargetQuery {
  chatId: number;
  guid: string;
  /** The target's chat.db row id, when the gateway journalled it (it may be of an older database). */
  rowid?: number;
}

/** The `end` of the next older page: just after the oldest message of this one (same-millisecond neighbours are kept). */
export function olderPageEnd(page: readonly Pick<ImsgMessage, 'created_at'>[]): string | undefined {
  let oldest: number | undefined;
  for (const m of page) {
    const t = Date.parse(m.created_at);
    if (Number.isFinite(t) && (oldest === undefined || t < oldest)) oldest = t;
  }
  return oldest === undefined ? undefined : new Date(oldest + 1).toISOString();
}

export async function findTapbackTarget(client: ImsgRpcClient, q: TargetQuery, pages = TARGET_SEARCH_PAGES): Promise<ImsgMessage | undefined> {
  const history = async (end?: string): Promise<ImsgMessage[]> =>
    (await client.request<{ messages: ImsgMessage[] }>('messages.history', { chat_id: q.chatId, limit: TARGET_PAGE, ...(end ? { end } : {}) })).messages;
  let page = await history();
  const hit = (msgs: ImsgMessage[]) => msgs.find((m) => m.guid === q.guid);
  const first = hit(page);
  if (first) return first;
  if (q.rowid !== undefined && q.rowid > 0 && client.server?.methods?.includes('messages.after')) {
    const { messages } = await client.request<{ messages: ImsgMessage[] }>('messages.after', { since_rowid: q.rowid - 1, chat_id: q.chatId, limit: 1 });
    const byRow = hit(messages);
    if (byRow) return byRow;
  }
  const seen = new Set(page.map((m) => m.guid));
  for (let read = 1; read < pages; read++) {
    const end = olderPageEnd(page);
    if (end === undefined) return undefined;
    page = (await history(end)).filter((m) => !seen.has(m.guid));
    if (page.length === 0) return undefined;
    const found = hit(page);
    if (found) return found;
    for (const m of page) seen.add(m.guid);
  }
  return undefined;
}
