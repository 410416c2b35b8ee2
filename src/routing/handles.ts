/**
 * Handle normalisation: the one place that decides whether two ways of writing a sender or an
 * allowlist entry are the same identity.
 *
 * - phone numbers → E.164 via libphonenumber-js, national numbers read in the account's region;
 * - emails → lower-cased;
 * - `chat_id:<n>`, `chat_guid:<guid>`, `chat_identifier:<id>` → chat entries (prefix
 *   case-insensitive; the guid/identifier keep their case, chat_id is a positive whole number);
 * - service prefixes `imessage:`, `sms:`, `auto:` are stripped (case-insensitive, repeatedly);
 * - anything else is `other`: the trimmed text, case-folded. It only ever equals the identical
 *   `other` handle. (The reference turned every such value into "+", so ["foo"] admitted "bar".)
 *
 * Compare handles with `handleKey` (kind and value), never by value alone.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export type HandleKind = 'phone' | 'email' | 'chat_id' | 'chat_guid' | 'chat_identifier' | 'other';

export type NormalizedHandle =
  | { kind: 'phone'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'chat_id'; value: string }
  | { kind: 'chat_guid'; value: string }
  | { kind: 'chat_identifier'; value: string }
  | { kind: 'other'; value: string };

export const DEFAULT_REGION = 'US';

const SERVICE_PREFIX = /^(?:imessage|sms|auto):/i;
const CHAT_PREFIX = /^(chat_id|chat_guid|chat_identifier):/i;
/** Digits with the usual separators; letters (vanity numbers, "ext") never make a phone number. */
const PHONE_TEXT = /^\+?[\s(]*[0-9][0-9\s().\-/]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeHandle(raw: string, region: string = DEFAULT_REGION): NormalizedHandle {
  let text = raw.trim();
  while (SERVICE_PREFIX.test(text)) text = text.replace(SERVICE_PREFIX, '').trim();

  const chat = CHAT_PREFIX.exec(text);
  if (chat) {
    const kind = (chat[1] ?? '').toLowerCase() as 'chat_id' | 'chat_guid' | 'chat_identifier';
    const value = text.slice(chat[0].length).trim();
    if (kind === 'chat_id') {
      if (/^[0-9]+$/.test(value) && Number(value) > 0 && Number.isSafeInteger(Number(value))) {
        return { kind, value: String(Number(value)) };
      }
      return other(text); // "chat_id:abc", "chat_id:0": not a chat; matches only itself
    }
    if (value !== '') return { kind, value };
    return other(text);
  }

  if (text.includes('@')) {
    const lower = text.toLowerCase();
    return EMAIL.test(lower) ? { kind: 'email', value: lower } : other(text);
  }

  const phone = toE164(text, region);
  if (phone !== undefined) return { kind: 'phone', value: phone };
  return other(text);
}

/** The identity of a handle: equal keys ⇔ the same sender or chat. */
export function handleKey(handle: NormalizedHandle): string {
  return `${handle.kind}:${handle.value}`;
}

/** True for the kinds that name a chat rather than a sender. */
export function isChatHandle(handle: NormalizedHandle): handle is Extract<NormalizedHandle, { kind: `chat_${string}` }> {
  return handle.kind === 'chat_id' || handle.kind === 'chat_guid' || handle.kind === 'chat_identifier';
}

const CACHE_LIMIT = 10_000;
const cache = new Map<string, NormalizedHandle>();

/**
 * normalizeHandle with a bounded memo (libphonenumber parsing costs microseconds; the same few
 * senders write again and again). The returned object is shared: do not mutate it.
 */
export function normalizeHandleCached(raw: string, region: string = DEFAULT_REGION): NormalizedHandle {
  const key = `${region}\u0000${raw}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    hit = Object.freeze(normalizeHandle(raw, region));
    cache.set(key, hit);
  }
  return hit;
}

function other(text: string): NormalizedHandle {
  return { kind: 'other', value: text.normalize('NFC').toLowerCase() };
}

function toE164(text: string, region: string): string | undefined {
  if (!PHONE_TEXT.test(text)) return undefined;
  const country = region.trim().toUpperCase();
  const defaultCountry = isSupportedCountry(country) ? (country as CountryCode) : undefined;
  if (!text.startsWith('+') && defaultCountry === undefined) return undefined;
  try {
    const parsed = parsePhoneNumberFromString(text, defaultCountry);
    if (!parsed || parsed.ext || !parsed.isPossible()) return undefined;
    return parsed.number;
  } catch {
    return undefined;
  }
}
