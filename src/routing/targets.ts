/**
 * Delivery targets as operators write them (`imessage-gateway send --to`): `chat_id:123`,
 * `chat_guid:…`, `chat_identifier:…`, `imessage:+1555…`, `sms:+1555…`, or a bare phone number or
 * email. Prefixes are case-insensitive. Anything else is rejected with the accepted forms.
 */
import type { ReplyTarget } from './envelope.js';
import type { TypedError } from '../util/typed-error.js';

export const TARGET_FORMS =
  'chat_id:123, chat_guid:iMessage;+;chat123…, chat_identifier:chat123…, imessage:+15551234567, sms:+15551234567, +15551234567 or user@example.com';

/** A reply target that cannot be read: that request is refused (`fatal`), the remediation lists the forms. */
export class TargetError extends Error implements TypedError {
  readonly kind = 'invalid-target';
  readonly recovery = 'fatal';
  readonly remediation = `write the target in one of the accepted forms: ${TARGET_FORMS}`;
  constructor(raw: string, problem: string) {
    super(`invalid target ${JSON.stringify(raw)}: ${problem}`);
    this.name = 'TargetError';
  }
}

const HANDLE = /^(\+?[0-9][0-9 ().-]{1,30}|[^\s@]+@[^\s@]+\.[^\s@]+)$/;

export function parseTarget(raw: string): ReplyTarget {
  const value = raw.trim();
  if (value === '') throw new TargetError(raw, 'it is empty');
  const colon = value.indexOf(':');
  const prefix = colon > 0 ? value.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? value.slice(colon + 1).trim() : value;
  switch (prefix) {
    case 'chat_id': {
      if (!/^[1-9][0-9]*$/.test(rest)) throw new TargetError(raw, 'chat_id must be a positive whole number');
      const chatId = Number(rest);
      return { to: `chat_id:${chatId}`, chatId };
    }
    case 'chat_guid':
      if (rest === '') throw new TargetError(raw, 'chat_guid is empty');
      return { to: `chat_guid:${rest}`, chatGuid: rest };
    case 'chat_identifier':
      if (rest === '') throw new TargetError(raw, 'chat_identifier is empty');
      return { to: `chat_identifier:${rest}`, chatIdentifier: rest };
    case 'imessage':
    case 'sms': {
      const handle = normalizeHandleText(rest);
      if (!HANDLE.test(handle)) throw new TargetError(raw, `"${rest}" is not a phone number or email`);
      return { to: `${prefix}:${handle}`, handle, service: prefix };
    }
    default: {
      const handle = normalizeHandleText(value);
      if (!HANDLE.test(handle)) throw new TargetError(raw, 'not a phone number, an email or a chat_* target');
      return { to: handle, handle };
    }
  }
}

function normalizeHandleText(text: string): string {
  const t = text.trim();
  return t.includes('@') ? t.toLowerCase() : t.replace(/[\s().-]/g, '');
}
