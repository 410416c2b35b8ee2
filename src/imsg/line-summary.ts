/**
 * What may be logged about an imsg stdout line the client could not use (issue 11, item 10): a
 * non-JSON line, a JSON-RPC object of no known shape, a message notification that did not
 * validate. Such a line may hold message text (a `text` field, a line cut in two by a stray
 * newline), and the 10k-line fuzz once logged 819 of them. So nothing taken from the line's values
 * is ever logged; only:
 *
 * - its length in bytes, and a keyed digest (HMAC-SHA256 under a key drawn at random for each
 *   process): it tells repeats of one line apart, and cannot be reversed or checked against
 *   guesses without the key, which never leaves the process;
 * - its shape (an object, an array, another JSON value, JSON cut short, plain text) and, when it is
 *   not JSON, the class of the parse error;
 * - the keys present, as paths (`params.message.text`), but only names on a fixed list of
 *   JSON-RPC and imsg field names, never a key spelled by the peer; the rest are only counted;
 * - the JSON-RPC id, a known method name, and the message id, when they are plain integers.
 */
import { createHmac, randomBytes } from 'node:crypto';

export type LineShape = 'object' | 'array' | 'scalar' | 'truncated-json' | 'text';

export interface LineSummary {
  bytes: number;
  /** 16 hex digits of HMAC-SHA256(processKey, line). */
  digest: string;
  shape: LineShape;
  /** The class of the JSON parse error (e.g. "SyntaxError"), when it is not JSON. */
  parseError?: string;
  /** Known field names present, as paths: "method", "params.message.text". */
  keys?: string[];
  /** How many other keys (names not on the list) were present; never their names. */
  otherKeys?: number;
  /** The JSON-RPC id, when it is a safe integer. */
  id?: number;
  /** The method, when it is a JSON-RPC method imsg is known to use; "(other)" otherwise. */
  method?: string;
  /** params.message.id, when it is a safe integer. */
  messageId?: number;
}

const PROCESS_KEY = randomBytes(32);

const KNOWN_METHODS = new Set([
  'message',
  'error',
  'initialize',
  'watch.subscribe',
  'watch.unsubscribe',
  'watch.overflow',
  'chats.list',
  'messages.history',
  'send',
  'typing',
]);

const RPC_KEYS = ['jsonrpc', 'id', 'method', 'params', 'result', 'error', 'code', 'message', 'data', 'subscription'];
const MESSAGE_KEYS = [
  'id', 'chat_id', 'guid', 'sender', 'is_from_me', 'text', 'created_at', 'attachments', 'reactions',
  'chat_identifier', 'chat_guid', 'chat_name', 'participants', 'is_group', 'reply_to_guid',
  'thread_originator_guid', 'reply_to_text', 'reply_to_sender', 'sender_name', 'destination_caller_id',
  'reaction_type', 'reaction_emoji', 'reacted_to_guid', 'is_reaction', 'is_reaction_add', 'service',
  'contact_name', 'filename', 'original_path', 'mime_type', 'uti', 'transfer_name', 'total_bytes',
  'is_sticker', 'missing', 'converted_path', 'converted_mime_type', 'emoji', 'identifier', 'name',
  'last_message_at', 'type', 'transport', 'ok',
];
const KNOWN_KEYS = new Set([...RPC_KEYS, ...MESSAGE_KEYS]);
/** Walk at most this deep: the root, params / error / result, params.message. */
const MAX_DEPTH = 3;
const MAX_KEYS = 64;

export function summarizeLine(line: string): LineSummary {
  const summary: LineSummary = {
    bytes: Buffer.byteLength(line, 'utf8'),
    digest: createHmac('sha256', PROCESS_KEY).update(line, 'utf8').digest('hex').slice(0, 16),
    shape: 'text',
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    summary.parseError = err instanceof Error ? err.name : 'Error';
    if (/^\s*[[{]/.test(line)) summary.shape = 'truncated-json';
    return summary;
  }
  if (Array.isArray(parsed)) summary.shape = 'array';
  else if (isObject(parsed)) summary.shape = 'object';
  else summary.shape = 'scalar';
  if (!isObject(parsed)) return summary;

  const keys: string[] = [];
  let otherKeys = 0;
  const visit = (obj: Record<string, unknown>, prefix: string, depth: number): void => {
    for (const key of Object.keys(obj)) {
      if (!KNOWN_KEYS.has(key)) {
        otherKeys++;
        continue;
      }
      const path = prefix + key;
      if (keys.length < MAX_KEYS) keys.push(path);
      const value = obj[key];
      if (depth + 1 < MAX_DEPTH && isObject(value)) visit(value, `${path}.`, depth + 1);
    }
  };
  visit(parsed, '', 0);
  summary.keys = keys;
  if (otherKeys > 0) summary.otherKeys = otherKeys;

  if (Number.isSafeInteger(parsed.id)) summary.id = parsed.id as number;
  if (typeof parsed.method === 'string') summary.method = KNOWN_METHODS.has(parsed.method) ? parsed.method : '(other)';
  const message = isObject(parsed.params) && isObject(parsed.params.message) ? parsed.params.message : undefined;
  if (message && Number.isSafeInteger(message.id)) summary.messageId = message.id as number;
  return summary;
}

/** A one-line stand-in for a line that must not be kept verbatim (e.g. in an exit diagnostic). */
export function describeSummary(s: LineSummary): string {
  return `[imsg stdout: ${s.shape}, ${s.bytes} bytes, digest ${s.digest}${s.messageId !== undefined ? `, message id ${s.messageId}` : ''}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
