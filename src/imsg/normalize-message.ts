/**
 * Turns a `message` notification payload into an ImsgMessage the gateway can rely on. imsg omits
 * optional keys and older versions lack some fields; a payload without a numeric id cannot be
 * cursored or deduplicated and is rejected (the caller logs it).
 */
import type { ImsgAttachment, ImsgMessage, ImsgReaction } from './types.js';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const bool = (v: unknown): boolean => v === true || v === 1;
const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export type NormalizeResult = { ok: true; message: ImsgMessage } | { ok: false; problem: string };

export function normalizeMessage(raw: unknown): NormalizeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problem: 'message is not an object' };
  }
  const m = raw as Record<string, unknown>;
  if (typeof m.id !== 'number' || !Number.isInteger(m.id)) {
    return { ok: false, problem: 'message has no integer id' };
  }
  const message: ImsgMessage = {
    id: m.id,
    chat_id: num(m.chat_id),
    guid: str(m.guid),
    sender: str(m.sender),
    is_from_me: bool(m.is_from_me),
    text: str(m.text),
    created_at: str(m.created_at),
    attachments: arr<ImsgAttachment>(m.attachments),
    reactions: arr<ImsgReaction>(m.reactions),
    chat_identifier: str(m.chat_identifier),
    chat_guid: str(m.chat_guid),
    chat_name: str(m.chat_name),
    participants: arr<unknown>(m.participants).map(str).filter((p) => p.length > 0),
    is_group: bool(m.is_group),
  };
  const optional = [
    'reply_to_guid',
    'thread_originator_guid',
    'reply_to_text',
    'reply_to_sender',
    'sender_name',
    'destination_caller_id',
    'reaction_type',
    'reaction_emoji',
    'reacted_to_guid',
  ] as const;
  for (const key of optional) {
    const value = optStr(m[key]);
    if (value !== undefined) message[key] = value;
  }
  if (m.is_reaction === true) message.is_reaction = true;
  if (typeof m.is_reaction_add === 'boolean') message.is_reaction_add = m.is_reaction_add;
  return { ok: true, message };
}
