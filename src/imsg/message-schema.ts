/**
 * The zod schema of an imsg `message` payload (imsg-rpc-protocol.md 6.2-6.4). Every field the
 * gateway reads is checked; unknown fields are tolerated (newer imsg versions add keys).
 *
 * Rules:
 * - Numbers must be integers JavaScript and SQLite hold exactly: safe integers (|n| ≤ 2^53 - 1).
 *   An id of 2^63 or 1e300 is invalid input, not something to round and store.
 * - A field imsg always sends but an older imsg lacks (absent, or null) gets its default (applied
 *   by normalize-message.ts with `text`, `optText` and `flag`); a field that is present with the
 *   wrong type is invalid.
 * - Problems are described by the field's path and zod's issue code only, never by the value
 *   received (message text must not reach a log): see `describeIssues`.
 */
import { z } from 'zod';

/** A safe integer (zod 4's `z.int()` refuses anything outside ±(2^53 - 1)). */
const safeInt = z.int();
const rowid = z.int().min(0);

// The schema only checks: it has no transforms (each one is a zod pipe, and they doubled the cost
// of every message of a burst). The defaults (`text`, `flag`, ... below) are applied by
// normalize-message.ts, through the helpers exported here.
const str = z.string().nullish();
const flagValue = z.union([z.boolean(), z.literal(0), z.literal(1)]).nullish();
const list = <T extends z.ZodType>(item: T) => z.array(item).nullish();

/** A string imsg always sends: '' when absent or null. */
export const text = (v: string | null | undefined, fallback = ''): string => v ?? fallback;
/** An optional string: undefined when absent, null or empty. */
export const optText = (v: string | null | undefined): string | undefined =>
  v === null || v === undefined || v.length === 0 ? undefined : v;
/** A boolean imsg may send as 0/1: true only for true or 1. */
export const flag = (v: boolean | 0 | 1 | null | undefined): boolean => v === true || v === 1;

export const attachmentSchema = z.looseObject({
  filename: str,
  transfer_name: str,
  uti: str,
  mime_type: str,
  total_bytes: z.int().min(0).nullish(),
  is_sticker: flagValue,
  original_path: str,
  missing: flagValue,
  converted_path: str,
  converted_mime_type: str,
});

export const reactionSchema = z.looseObject({
  id: safeInt.nullish(),
  type: str,
  emoji: str,
  sender: str,
  is_from_me: flagValue,
  created_at: str,
  sender_name: str,
});

/** imsg 0.11.1+: the URL-preview row folded into a text message (§6.6); its id counts for the resume point. */
export const urlPreviewSchema = z.looseObject({
  id: rowid,
  guid: str,
});

export const messageSchema = z.looseObject({
  id: rowid,
  chat_id: safeInt.nullish(),
  guid: str,
  reply_to_guid: str,
  thread_originator_guid: str,
  reply_to_text: str,
  reply_to_sender: str,
  sender: str,
  sender_name: str,
  is_from_me: flagValue,
  text: str,
  created_at: str,
  attachments: list(attachmentSchema),
  reactions: list(reactionSchema),
  destination_caller_id: str,
  is_reaction: z.boolean().nullish(),
  reaction_type: str,
  reaction_emoji: str,
  is_reaction_add: z.boolean().nullish(),
  reacted_to_guid: str,
  chat_identifier: str,
  chat_guid: str,
  chat_name: str,
  participants: list(z.string().nullable()),
  is_group: flagValue,
  /** Live watch only, on imsg builds that send it (§6.7): the exclusive resume cursor so far. */
  cursor: rowid.nullish(),
  url_preview: urlPreviewSchema.nullish(),
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
