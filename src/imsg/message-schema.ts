/**
 * The zod schema of an imsg `message` payload (imsg-rpc-protocol.md 6.2-6.4). Every field the
 * gateway reads is checked; unknown fields are tolerated (newer imsg versions add keys).
 *
 * Rules:
 * - Numbers must be integers JavaScript and SQLite hold exactly: safe integers (|n| ≤ 2^53 - 1).
 *   An id of 2^63 or 1e300 is invalid input, not something to round and store.
 * - A field imsg always sends but an older imsg lacks (absent, or null) gets its default; a field
 *   that is present with the wrong type is invalid.
 * - Problems are described by the field's path and zod's issue code only, never by the value
 *   received (message text must not reach a log): see `describeIssues`.
 */
import { z } from 'zod';

/** A safe integer (zod 4's `z.int()` refuses anything outside ±(2^53 - 1)). */
const safeInt = z.int();
const rowid = z.int().min(0);

const text = (fallback = '') => z.string().nullish().transform((v) => v ?? fallback);
const optText = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v.length === 0 ? undefined : v));
const flag = z
  .union([z.boolean(), z.literal(0), z.literal(1)])
  .nullish()
  .transform((v) => v === true || v === 1);
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

export const attachmentSchema = z.looseObject({
  filename: text(),
  transfer_name: text(),
  uti: text(),
  mime_type: text(),
  total_bytes: z.int().min(0).nullish().transform((v) => v ?? 0),
  is_sticker: flag,
  original_path: text(),
  missing: flag,
  converted_path: optText,
  converted_mime_type: optText,
});

export const reactionSchema = z.looseObject({
  id: safeInt.nullish().transform((v) => v ?? 0),
  type: text(),
  emoji: text(),
  sender: text(),
  is_from_me: flag,
  created_at: text(),
  sender_name: optText,
});

/** imsg 0.11.1+: the URL-preview row folded into a text message (§6.6); its id counts for the resume point. */
export const urlPreviewSchema = z.looseObject({
  id: rowid,
  guid: optText,
});

export const messageSchema = z.looseObject({
  id: rowid,
  chat_id: safeInt.nullish().transform((v) => v ?? 0),
  guid: text(),
  reply_to_guid: optText,
  thread_originator_guid: optText,
  reply_to_text: optText,
  reply_to_sender: optText,
  sender: text(),
  sender_name: optText,
  is_from_me: flag,
  text: text(),
  created_at: text(),
  attachments: list(attachmentSchema),
  reactions: list(reactionSchema),
  destination_caller_id: optText,
  is_reaction: z.boolean().nullish(),
  reaction_type: optText,
  reaction_emoji: optText,
  is_reaction_add: z.boolean().nullish(),
  reacted_to_guid: optText,
  chat_identifier: text(),
  chat_guid: text(),
  chat_name: text(),
  participants: list(z.string().nullable()).transform((v) => v.filter((p): p is string => typeof p === 'string' && p.length > 0)),
  is_group: flag,
  /** Live watch only, on imsg builds that send it (§6.7): the exclusive resume cursor so far. */
  cursor: rowid.nullish().transform((v) => v ?? undefined),
  url_preview: urlPreviewSchema.nullish().transform((v) => v ?? undefined),
});

export type ParsedMessage = z.output<typeof messageSchema>;

/** A schema problem as path and code only (safe to log: it never carries a received value). */
export interface FieldIssue {
  path: string;
  code: string;
}

/** `attachments[0].total_bytes`: keys are the schema's own (unknown keys never raise issues). */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(message)' : out;
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), code: issue.code }));
}

/** One line for the log: `invalid message field attachments[0] (invalid_type)`, at most 3 fields named. */
export function describeIssues(issues: readonly FieldIssue[]): string {
  const shown = issues.slice(0, 3).map((i) => `${i.path} (${i.code})`);
  const more = issues.length > 3 ? ` and ${issues.length - 3} more` : '';
  return `invalid message field${issues.length > 1 ? 's' : ''} ${shown.join(', ')}${more}`;
}
