/**
 * Allowlists (allowFrom, groupAllowFrom): compiled once, matched per message.
 *
 * Fails closed: an empty list admits nobody; "*" admits everyone. Entries are handles (phone,
 * email, anything else verbatim) or chat entries (`chat_id:42`, `chat_guid:…`, `chat_identifier:…`)
 * that admit every sender of that chat. A sender is admitted by a handle entry only when both
 * normalise to the same kind and value (see handles.ts); a sender that itself looks like a chat
 * entry is never admitted by one (chat entries match the chat the message came from, not text).
 */
import { DEFAULT_REGION, handleKey, isChatHandle, normalizeHandle, normalizeHandleCached, type NormalizedHandle } from './handles.js';

export interface ChatRef {
  /** chat.db ROWID of the chat; 0 or less = unknown (never matches a chat_id entry). */
  chatId: number;
  guid: string;
  identifier: string;
}

export interface Allowlist {
  /** Contains "*": admits everyone. */
  readonly isWildcard: boolean;
  /** No usable entry and no "*": admits nobody. */
  readonly isEmpty: boolean;
  /** The normalised entries (without "*"). */
  readonly entries: readonly NormalizedHandle[];
  /** Is this sender, writing in this chat, admitted? */
  admits(sender: string, chat: ChatRef): boolean;
  /** Is this sender admitted by a handle entry (chat entries ignored)? */
  admitsHandle(sender: string): boolean;
}

export function compileAllowlist(entries: readonly string[], region: string = DEFAULT_REGION): Allowlist {
  let isWildcard = false;
  const handles = new Set<string>();
  const chatIds = new Set<number>();
  const chatGuids = new Set<string>();
  const chatIdentifiers = new Set<string>();
  const normalized: NormalizedHandle[] = [];
  for (const raw of entries) {
    const text = String(raw).trim();
    if (text === '') continue; // an empty entry names nobody
    if (text === '*') {
      isWildcard = true;
      continue;
    }
    const h = normalizeHandle(text, region);
    normalized.push(h);
    switch (h.kind) {
      case 'chat_id':
        chatIds.add(Number(h.value));
        break;
      case 'chat_guid':
        chatGuids.add(h.value);
        break;
      case 'chat_identifier':
        chatIdentifiers.add(h.value);
        break;
      default:
        handles.add(handleKey(h));
    }
  }
  const hasChats = chatIds.size + chatGuids.size + chatIdentifiers.size > 0;

  const admitsHandle = (sender: string): boolean => {
    if (isWildcard) return true;
    if (handles.size === 0) return false;
    const h = normalizeHandleCached(sender, region);
    if (h.value === '' || isChatHandle(h)) return false;
    return handles.has(handleKey(h));
  };

  return {
    isWildcard,
    isEmpty: !isWildcard && normalized.length === 0,
    entries: normalized,
    admitsHandle,
    admits(sender: string, chat: ChatRef): boolean {
      if (isWildcard) return true;
      if (hasChats) {
        if (chat.chatId > 0 && chatIds.has(chat.chatId)) return true;
        if (chat.guid !== '' && chatGuids.has(chat.guid)) return true;
        if (chat.identifier !== '' && chatIdentifiers.has(chat.identifier)) return true;
      }
      return admitsHandle(sender);
    },
  };
}

/** The chat part of an ImsgMessage, for `admits`. */
export function chatRefOf(message: { chat_id: number; chat_guid: string; chat_identifier: string }): ChatRef {
  return { chatId: message.chat_id, guid: message.chat_guid, identifier: message.chat_identifier };
}
