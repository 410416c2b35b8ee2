import { invalidParams } from './rpc-errors.js';
import { isFloatLiteral } from './v1-framing.js';

/** Strict v1 parameter validation (imsg 0.14+, current spec section 3.2). */
export type ParamType = 'string' | 'int' | 'bool' | 'strings' | 'objects';

export interface KeySpec {
  type: ParamType;
  aliases?: string[];
  /** Replaces `<name> must be an integer` etc. for this key (e.g. messages.after's texts). */
  typeError?: string;
}

export type MethodSpec = Record<string, KeySpec>;

const INT64_MAX = 9223372036854775807;

const TYPE_TEXT: Record<ParamType, string> = {
  string: 'must be a string',
  int: 'must be an integer',
  bool: 'must be a boolean',
  strings: 'must be an array of strings',
  objects: 'must be an array of objects',
};

function hasType(params: object, key: string, v: unknown, t: ParamType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= INT64_MAX && !isFloatLiteral(params, key);
    case 'bool':
      return typeof v === 'boolean';
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'objects':
      return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
  }
}

/** Validated params, read by canonical name whatever spelling the client used. */
export class V1Params {
  constructor(private readonly values: Map<string, unknown>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  str(name: string): string | undefined {
    return this.values.get(name) as string | undefined;
  }
  int(name: string): number | undefined {
    return this.values.get(name) as number | undefined;
  }
  bool(name: string): boolean | undefined {
    return this.values.get(name) as boolean | undefined;
  }
  strings(name: string): string[] | undefined {
    return this.values.get(name) as string[] | undefined;
  }
  objects(name: string): Array<Record<string, unknown>> | undefined {
    return this.values.get(name) as Array<Record<string, unknown>> | undefined;
  }
}

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Checks, first failure wins: an unknown key (sorted order), then per key in spec order an alias
 * conflict, an explicit null, a wrong type. All are -32602 with the exact v1 texts.
 */
export function validateParams(method: string, params: Record<string, unknown>, spec: MethodSpec): V1Params {
  const accepted = new Set<string>();
  for (const [name, k] of Object.entries(spec)) {
    accepted.add(name);
    for (const a of k.aliases ?? []) accepted.add(a);
  }
  for (const key of Object.keys(params).sort()) {
    if (!accepted.has(key)) throw invalidParams(`unknown ${method} param: ${key}`);
  }
  const values = new Map<string, unknown>();
  for (const [name, k] of Object.entries(spec)) {
    const spellings = [name, ...(k.aliases ?? [])];
    const used = spellings.filter((s) => own(params, s));
    if (used.length === 0) continue;
    if (used.length > 1) throw invalidParams(`use only one of ${spellings.join(', ')}`);
    const key = used[0]!;
    const v = params[key];
    if (v === null) throw invalidParams(`${key} must not be null`);
    if (!hasType(params, key, v, k.type)) throw invalidParams(k.typeError ?? `${key} ${TYPE_TEXT[k.type]}`);
    values.set(name, v);
  }
  return new V1Params(values);
}

const S = (aliases?: string[]): KeySpec => (aliases ? { type: 'string', aliases } : { type: 'string' });
const I = (typeError?: string): KeySpec => (typeError ? { type: 'int', typeError } : { type: 'int' });
const B = (aliases?: string[]): KeySpec => (aliases ? { type: 'bool', aliases } : { type: 'bool' });

/** The accepted keys of the methods the simulator implements in the 0.15 profile (section 3.3). */
export const METHOD_SPECS: Record<string, MethodSpec> = {
  initialize: { protocol_version: I() },
  status: {},
  'chats.list': { limit: I(), unread_only: B(['unreadOnly']) },
  'messages.history': {
    chat_id: I(),
    limit: I(),
    participants: { type: 'strings' },
    start: S(),
    end: S(),
    attachments: B(),
    convert_attachments: B(),
  },
  'messages.after': {
    since_rowid: I('since_rowid must be a non-negative integer'),
    chat_id: I('chat_id must be a positive integer'),
    limit: I('limit must be an integer between 1 and 500'),
    attachments: B(),
    convert_attachments: B(),
    include_reactions: B(),
  },
  'watch.subscribe': {
    chat_id: I(),
    since_rowid: I(),
    participants: { type: 'strings' },
    start: S(),
    end: S(),
    attachments: B(),
    convert_attachments: B(),
    include_reactions: B(),
    debounce_ms: { type: 'int', aliases: ['debounceMs'] },
    buffer_limit: { type: 'int', aliases: ['bufferLimit'], typeError: 'buffer_limit must be an integer between 1 and 4096' },
  },
  'watch.unsubscribe': { subscription: I() },
  send: {
    to: S(),
    chat_id: I(),
    chat_identifier: S(),
    chat_guid: S(),
    text: S(),
    file: S(),
    text_formatting: { type: 'objects', aliases: ['textFormatting', 'formatting'] },
    reply_to: S(['replyTo', 'reply_to_guid', 'message_guid']),
    service: S(),
    transport: S(),
    region: S(),
    allow_sms_fallback: B(['allowSMSFallback']),
    attempt_id: S(),
  },
  'message.send_status': { guid: S() },
  tapback: {
    chat_id: I(),
    chat_identifier: S(),
    chat_guid: S(),
    message_id: S(['messageId', 'message_guid', 'messageGuid', 'message']),
    reaction: S(['kind']),
    emoji: S(),
    remove: B(),
    part_index: { type: 'int', aliases: ['partIndex'] },
  },
  typing: { typing: B(), to: S(), chat_id: I(), chat_identifier: S(), chat_guid: S(), service: S() },
  read: { to: S(), chat_id: I(), chat_identifier: S(), chat_guid: S() },
};
// send.tracked accepts the same keys as send; its unknown-key text names send.tracked (section 3.3).
METHOD_SPECS['send.tracked'] = METHOD_SPECS['send']!;
