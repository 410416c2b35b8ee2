/**
 * Turns a `message` notification payload into an ImsgMessage the gateway can rely on, through the
 * zod schema in message-schema.ts: every field is checked, unknown fields are ignored, numbers must
 * be safe integers. A payload that fails is rejected with a problem made of field paths and issue
 * codes only (never a received value); the caller counts, logs and quarantines it.
 */
import { describeIssues, fieldIssues, type FieldIssue, messageSchema, type ParsedMessage } from './message-schema.js';
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

function toMessage(p: ParsedMessage): ImsgMessage {
  const message: ImsgMessage = {
    id: p.id,
    chat_id: p.chat_id,
    guid: p.guid,
    sender: p.sender,
    is_from_me: p.is_from_me,
    text: p.text,
    created_at: p.created_at,
    attachments: p.attachments.map(
      (a): ImsgAttachment => ({
        filename: a.filename,
        transfer_name: a.transfer_name,
        uti: a.uti,
        mime_type: a.mime_type,
        total_bytes: a.total_bytes,
        is_sticker: a.is_sticker,
        original_path: a.original_path,
        missing: a.missing,
        ...(a.converted_path !== undefined ? { converted_path: a.converted_path } : {}),
        ...(a.converted_mime_type !== undefined ? { converted_mime_type: a.converted_mime_type } : {}),
      }),
    ),
    reactions: p.reactions.map(
      (r): ImsgReaction => ({
        id: r.id,
        type: r.type,
        emoji: r.emoji,
        sender: r.sender,
        is_from_me: r.is_from_me,
        created_at: r.created_at,
        ...(r.sender_name !== undefined ? { sender_name: r.sender_name } : {}),
      }),
    ),
    chat_identifier: p.chat_identifier,
    chat_guid: p.chat_guid,
    chat_name: p.chat_name,
    participants: p.participants,
    is_group: p.is_group,
  };
  for (const key of OPTIONAL_STRINGS) {
    const value = p[key];
    if (value !== undefined) message[key] = value;
  }
  if (p.cursor !== undefined) message.cursor = p.cursor;
  if (p.url_preview !== undefined) {
    message.url_preview = { id: p.url_preview.id, ...(p.url_preview.guid !== undefined ? { guid: p.url_preview.guid } : {}) };
  }
  if (p.is_reaction === true) message.is_reaction = true;
  if (typeof p.is_reaction_add === 'boolean') message.is_reaction_add = p.is_reaction_add;
  return message;
}
