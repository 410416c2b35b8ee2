/**
 * Turns a `message` notification payload into an ImsgMessage the gateway can rely on, through the
 * zod schema in message-schema.ts: every field is checked, unknown fields are ignored, numbers must
 * be safe integers. A payload that fails is rejected with a problem made of field paths and issue
 * codes only (never a received value); the caller counts, logs and quarantines it.
 */
import { describeIssues, fieldIssues, type FieldIssue, flag, messageSchema, optText, type ParsedMessage, text } from './message-schema.js';
import { passesMessageFastCheck } from './message-fast-check.js';
import type { ImsgAttachment, ImsgMessage, ImsgReaction } from './types.js';

export type NormalizeResult =
  | { ok: true; message: ImsgMessage }
  | {
      ok: false;
      problem: string;
      issues: FieldIssue[];
      /** The message's row id when it is a usable (safe, non-negative) integer. */
      rowid?: number;
      /** Its guid when it is a string. */
      guid?: string;
    };

const OPTIONAL_STRINGS = [
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

export function normalizeMessage(raw: unknown): NormalizeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problem: 'message is not an object', issues: [{ path: '(message)', code: 'invalid_type' }] };
  }
  const m = raw as Record<string, unknown>;
  // The common case without zod's result objects: the payload is read as it is (the check accepts
  // nothing the schema would refuse, and the schema has no transforms).
  if (passesMessageFastCheck(m)) return { ok: true, message: toMessage(m as ParsedMessage) };
  const parsed = messageSchema.safeParse(m);
  const identity = {
    ...(Number.isSafeInteger(m.id) && (m.id as number) >= 0 ? { rowid: m.id as number } : {}),
    ...(typeof m.guid === 'string' ? { guid: m.guid } : {}),
  };
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    const idIssue = issues.some((i) => i.path === 'id');
    const problem =
      idIssue && !(typeof m.id === 'number' && Number.isInteger(m.id))
        ? 'message has no integer id'
        : describeIssues(issues);
    return { ok: false, problem, issues, ...identity };
  }
  return { ok: true, message: toMessage(parsed.data) };
}

/** The message the gateway works with, from a payload the schema accepts (its output, or the payload itself). */
export function toMessage(p: ParsedMessage): ImsgMessage {
  const message: ImsgMessage = {
    id: p.id,
    chat_id: p.chat_id ?? 0,
    guid: text(p.guid),
    sender: text(p.sender),
    is_from_me: flag(p.is_from_me),
    text: text(p.text),
    created_at: text(p.created_at),
    attachments: (p.attachments ?? []).map((a): ImsgAttachment => {
      const attachment: ImsgAttachment = {
        filename: text(a.filename),
        transfer_name: text(a.transfer_name),
        uti: text(a.uti),
        mime_type: text(a.mime_type),
        total_bytes: a.total_bytes ?? 0,
        is_sticker: flag(a.is_sticker),
        original_path: text(a.original_path),
        missing: flag(a.missing),
      };
      const convertedPath = optText(a.converted_path);
      const convertedMime = optText(a.converted_mime_type);
      if (convertedPath !== undefined) attachment.converted_path = convertedPath;
      if (convertedMime !== undefined) attachment.converted_mime_type = convertedMime;
      return attachment;
    }),
    reactions: (p.reactions ?? []).map((r): ImsgReaction => {
      const reaction: ImsgReaction = {
        id: r.id ?? 0,
        type: text(r.type),
        emoji: text(r.emoji),
        sender: text(r.sender),
        is_from_me: flag(r.is_from_me),
        created_at: text(r.created_at),
      };
      const senderName = optText(r.sender_name);
      if (senderName !== undefined) reaction.sender_name = senderName;
      return reaction;
    }),
    chat_identifier: text(p.chat_identifier),
    chat_guid: text(p.chat_guid),
    chat_name: text(p.chat_name),
    participants: (p.participants ?? []).filter((h): h is string => typeof h === 'string' && h.length > 0),
    is_group: flag(p.is_group),
  };
  for (const key of OPTIONAL_STRINGS) {
    const value = optText(p[key]);
    if (value !== undefined) message[key] = value;
  }
  if (p.cursor !== null && p.cursor !== undefined) message.cursor = p.cursor;
  if (p.url_preview !== null && p.url_preview !== undefined) {
    const guid = optText(p.url_preview.guid);
    message.url_preview = { id: p.url_preview.id, ...(guid !== undefined ? { guid } : {}) };
  }
  if (p.is_reaction === true) message.is_reaction = true;
  if (typeof p.is_reaction_add === 'boolean') message.is_reaction_add = p.is_reaction_add;
  return message;
}
