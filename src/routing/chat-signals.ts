/**
 * Pure decisions of the chat signals (issue 17, items 1–2): which chat a `typing` / `read` call
 * names, and whether typing is shown in a chat (account `typingIndicator`, overridden per group by
 * `groups.<chat_id>.typingIndicator`, then `groups."*"`).
 */
import type { GroupConfig } from '../config/types.js';
import type { Envelope } from './envelope.js';

/**
 * The selector of a `typing` / `read` request: the chat guid when imsg gave one (it works without
 * the database), else the group's chat_id, else the sender's handle (with the DM's service).
 */
export function signalTargetOf(envelope: Pick<Envelope, 'chat' | 'replyTarget'>): Record<string, unknown> {
  if (envelope.chat.guid !== '') return { chat_guid: envelope.chat.guid };
  const t = envelope.replyTarget;
  if (t.chatId !== undefined && t.chatId > 0) return { chat_id: t.chatId };
  if (t.chatGuid !== undefined) return { chat_guid: t.chatGuid };
  if (t.chatIdentifier !== undefined) return { chat_identifier: t.chatIdentifier };
  return { to: t.handle ?? t.to, ...(t.service && t.service !== 'auto' ? { service: t.service } : {}) };
}

export interface TypingSettings {
  typingIndicator: boolean;
  groups: Record<string, GroupConfig>;
}

/** Whether typing is shown while the agent works on a message of this chat. */
export function typingWanted(settings: TypingSettings, chat: Pick<Envelope['chat'], 'kind' | 'chatId'>): boolean {
  if (chat.kind === 'group') {
    const own = settings.groups[String(chat.chatId)]?.typingIndicator;
    if (own !== undefined) return own;
    const all = settings.groups['*']?.typingIndicator;
    if (all !== undefined) return all;
  }
  return settings.typingIndicator;
}
