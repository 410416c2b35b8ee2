/** The facts of one message the access policy reads: pure functions of the message (and the time given). */
import type { ImsgMessage } from '../imsg/types.js';

/** Zero-width, bidi-control, word-joiner, BOM and soft-hyphen characters cannot hide a mention. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;
const OBJECT_REPLACEMENT = /\uFFFC/g;

export function isMentioned(text: string, patterns: readonly RegExp[]): boolean {
  if (patterns.length === 0) return false;
  const clean = text.replace(INVISIBLE, '');
  return patterns.some((re) => {
    re.lastIndex = 0;
    return re.test(clean);
  });
}

/** True when the message's own date is older than the fence allows at `now`. */
export function isBacklog(createdAt: string, now: number, maxAgeMs: number | null | undefined): boolean {
  if (maxAgeMs === null || maxAgeMs === undefined) return false;
  const at = Date.parse(createdAt);
  return Number.isFinite(at) && now - at > maxAgeMs;
}

/** True for a promoted group-ish thread: is_group false, but its chat_id is configured under groups. */
export function isGroupish(message: Pick<ImsgMessage, 'is_group' | 'chat_id'>, groups: Readonly<Record<string, unknown>>): boolean {
  return !message.is_group && message.chat_id > 0 && Object.hasOwn(groups, String(message.chat_id));
}

/** No attachment, and no text once U+FFFC placeholders and blanks are taken out. */
export function isEmptyMessage(message: Pick<ImsgMessage, 'text' | 'attachments'>): boolean {
  return message.attachments.length === 0 && message.text.replace(OBJECT_REPLACEMENT, '').trim() === '';
}
