/**
 * The common case of message-schema.ts, checked without zod: true only when zod would accept the
 * payload too, so that normalize-message.ts can read it as it is. Anything this check does not
 * recognise (a wrong type, an unusual but valid shape) returns false and goes through zod, which
 * decides and names the problem. It never accepts more than the schema: test/imsg/
 * message-fast-check.test.ts checks that against zod on generated payloads.
 *
 * Why: zod built about 27 result objects per message (one per field, each with its issues array),
 * 3.8 KB of the gateway's 10 KB of allocation per message in a burst and, with the transforms it
 * had then, 8.6% of the main thread's time (docs/performance.md).
 */

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown): boolean => v === undefined || v === null;
/** z.string().nullish() */
const str = (v: unknown): boolean => absent(v) || typeof v === 'string';
/** z.int() (a safe integer), .min(0) when `min0`. */
const int = (v: unknown, min0: boolean): boolean => Number.isSafeInteger(v) && (!min0 || (v as number) >= 0);
/** z.int().nullish() */
const optInt = (v: unknown, min0: boolean): boolean => absent(v) || int(v, min0);
/** z.union([z.boolean(), z.literal(0), z.literal(1)]).nullish() */
const flagValue = (v: unknown): boolean => absent(v) || typeof v === 'boolean' || v === 0 || v === 1;
/** z.boolean().nullish() */
const optBool = (v: unknown): boolean => absent(v) || typeof v === 'boolean';

const MESSAGE_STRINGS = [
  'guid',
  'reply_to_guid',
  'thread_originator_guid',
  'reply_to_text',
  'reply_to_sender',
  'sender',
  'sender_name',
  'text',
  'created_at',
  'destination_caller_id',
  'reaction_type',
  'reaction_emoji',
  'reacted_to_guid',
  'chat_identifier',
  'chat_guid',
  'chat_name',
] as const;
const ATTACHMENT_STRINGS = ['filename', 'transfer_name', 'uti', 'mime_type', 'original_path', 'converted_path', 'converted_mime_type'] as const;
const REACTION_STRINGS = ['type', 'emoji', 'sender', 'created_at', 'sender_name'] as const;

function attachment(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key of ATTACHMENT_STRINGS) if (!str(v[key])) return false;
  return optInt(v.total_bytes, true) && flagValue(v.is_sticker) && flagValue(v.missing);
}

function reaction(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key of REACTION_STRINGS) if (!str(v[key])) return false;
  return optInt(v.id, false) && flagValue(v.is_from_me);
}

function listOf(v: unknown, item: (x: unknown) => boolean): boolean {
  if (absent(v)) return true;
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!item(x)) return false;
  return true;
}

const participant = (v: unknown): boolean => v === null || typeof v === 'string';

function urlPreview(v: unknown): boolean {
  return absent(v) || (isObject(v) && int(v.id, true) && str(v.guid));
}

/** True when messageSchema accepts `m` (an object); false when it might not (zod decides then). */
export function passesMessageFastCheck(m: Loose): boolean {
  if (!int(m.id, true)) return false;
  for (const key of MESSAGE_STRINGS) if (!str(m[key])) return false;
  return (
    optInt(m.chat_id, false) &&
    flagValue(m.is_from_me) &&
    flagValue(m.is_group) &&
    optBool(m.is_reaction) &&
    optBool(m.is_reaction_add) &&
    optInt(m.cursor, true) &&
    urlPreview(m.url_preview) &&
    listOf(m.attachments, attachment) &&
    listOf(m.reactions, reaction) &&
    listOf(m.participants, participant)
  );
}
