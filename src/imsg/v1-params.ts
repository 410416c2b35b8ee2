/**
 * The keys the gateway may send, per method and protocol (imsg-rpc-current.md §3.3, §3.4), with
 * their strict JSON types. A v1 imsg rejects unknown keys, nulls, numeric strings and floats with
 * -32602; a legacy one ignores unknown keys silently. Pure: shapeParams() keeps the allowed keys,
 * drops `undefined`/`null` (omitted means "unset"), and reports what it dropped or found mistyped
 * so the caller can refuse a request before it reaches imsg.
 */
import type { ImsgProtocol } from './server-info.js';

type KeyType = 'int' | 'posint' | 'nonneg' | 'bool' | 'string' | 'strings' | 'objects';

type Spec = Record<string, KeyType>;

/** watch.subscribe keys every version takes; v1 adds `buffer_limit`. */
const WATCH_COMMON: Spec = {
  chat_id: 'posint',
  since_rowid: 'int',
  participants: 'strings',
  start: 'string',
  end: 'string',
  attachments: 'bool',
  include_reactions: 'bool',
  debounce_ms: 'nonneg',
};

/** send keys: the same on every version. */
const SEND: Spec = {
  to: 'string',
  chat_id: 'posint',
  chat_identifier: 'string',
  chat_guid: 'string',
  text: 'string',
  file: 'string',
  service: 'string',
  region: 'string',
  transport: 'string',
};

/** v1 send adds what only the bridge renders: a threaded reply's parent, formatting ranges (§3.3). */
const SEND_V1: Spec = { ...SEND, reply_to: 'string', text_formatting: 'objects' };

/** v1 (0.14+): exactly the keys of §3.3 that the gateway uses, with their types. */
const V1: Record<string, Spec> = {
  initialize: { protocol_version: 'int' },
  status: {},
  'chats.list': { limit: 'posint' },
  'messages.history': { chat_id: 'posint', limit: 'posint', participants: 'strings', start: 'string', end: 'string', attachments: 'bool' },
  'messages.after': { since_rowid: 'nonneg', chat_id: 'posint', limit: 'posint', attachments: 'bool', include_reactions: 'bool' },
  'watch.subscribe': { ...WATCH_COMMON, buffer_limit: 'posint' },
  'watch.unsubscribe': { subscription: 'posint' },
  send: SEND_V1,
  'send.tracked': { ...SEND_V1, attempt_id: 'string' },
  'message.send_status': { guid: 'string' },
  // Bridge message action (rpc.md "Bridge Message Actions"): one chat selector, the target, a kind or an emoji.
  tapback: { chat_id: 'posint', chat_identifier: 'string', chat_guid: 'string', message_id: 'string', reaction: 'string', emoji: 'string' },
  typing: { typing: 'bool', to: 'string', chat_id: 'posint', chat_identifier: 'string', chat_guid: 'string', service: 'string' },
  read: { to: 'string', chat_id: 'posint', chat_identifier: 'string', chat_guid: 'string' },
};

/** Legacy (≤0.13): the keys safe on every version (§3.4), sent with the same strict types. */
const LEGACY: Record<string, Spec> = {
  'chats.list': { limit: 'posint' },
  'messages.history': V1['messages.history']!,
  'watch.subscribe': WATCH_COMMON,
  'watch.unsubscribe': { subscription: 'posint' },
  send: SEND,
};

export interface ShapedParams {
  params: Record<string, unknown>;
  /** Keys this version does not accept, left out (a v1 imsg would refuse the whole request). */
  dropped: string[];
  /** Keys whose value has the wrong JSON type (`key: expected`); the request must not be sent. */
  invalid: string[];
}

function typeOk(type: KeyType, v: unknown): boolean {
  switch (type) {
    case 'int':
      return Number.isSafeInteger(v);
    case 'posint':
      return Number.isSafeInteger(v) && (v as number) > 0;
    case 'nonneg':
      return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'objects':
      return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
  }
}

/** The key set for a method, or undefined when the gateway has no list for it (sent as given). */
export function acceptedKeys(method: string, protocol: ImsgProtocol): readonly string[] | undefined {
  const spec = (protocol === 'v1' ? V1 : LEGACY)[method];
  return spec ? Object.keys(spec) : undefined;
}

export function shapeParams(method: string, params: Record<string, unknown>, protocol: ImsgProtocol): ShapedParams {
  const spec = (protocol === 'v1' ? V1 : LEGACY)[method];
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  const invalid: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (!spec) {
      out[key] = value;
      continue;
    }
    const type = spec[key];
    if (type === undefined) {
      dropped.push(key);
      continue;
    }
    if (!typeOk(type, value)) {
      invalid.push(`${key}: ${type}`);
      continue;
    }
    out[key] = value;
  }
  return { params: out, dropped, invalid };
}
