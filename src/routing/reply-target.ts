/**
 * Where a reply goes: back to the same chat. Groups by chat_id; DMs to the sender's handle, over
 * the service the sender used when the chat guid tells it (`SMS;-;…` or `iMessage;-;…`).
 */
import type { ImsgMessage } from '../imsg/types.js';
import type { ReplyTarget } from './envelope.js';

export type Service = 'imessage' | 'sms' | 'auto';

const SMS_PREFIX = /^sms(?:;|$)/i;
const IMESSAGE_PREFIX = /^imessage(?:;|$)/i;

/** The service a chat guid's first field names (any case); per message on the hot path, so no split. */
export function serviceOfChatGuid(chatGuid: string): Service | undefined {
  if (SMS_PREFIX.test(chatGuid)) return 'sms';
  if (IMESSAGE_PREFIX.test(chatGuid)) return 'imessage';
  return undefined;
}

export function replyTargetFor(message: ImsgMessage, kind: 'dm' | 'group', fallbackService: Service): ReplyTarget {
  if (kind === 'group') return { to: `chat_id:${message.chat_id}`, chatId: message.chat_id };
  const service = serviceOfChatGuid(message.chat_guid) ?? fallbackService;
  return { to: message.sender, handle: message.sender, service };
}

/** The `send` params imsg takes for a target. */
export function sendParamsFor(target: ReplyTarget, region: string): Record<string, unknown> {
  if (target.chatId !== undefined) return { chat_id: target.chatId };
  if (target.chatGuid !== undefined) return { chat_guid: target.chatGuid };
  if (target.chatIdentifier !== undefined) return { chat_identifier: target.chatIdentifier };
  const params: Record<string, unknown> = { to: target.handle ?? target.to, region };
  if (target.service) params.service = target.service;
  return params;
}

/** Rows of one chat are sent in order: the key that groups them. */
export function chatKeyOf(target: ReplyTarget): string {
  if (target.chatId !== undefined) return `chat_id:${target.chatId}`;
  if (target.chatGuid !== undefined) return `chat_guid:${target.chatGuid}`;
  if (target.chatIdentifier !== undefined) return `chat_identifier:${target.chatIdentifier}`;
  return `handle:${(target.handle ?? target.to).toLowerCase()}`;
}
