import { invalidParams, invalidRequest, JSON_PARSE_DATA, parseError, type RpcError } from './rpc-errors.js';

export type V1Line =
  /** `respond` false: a notification with bad params, never answered. */
  | { kind: 'error'; id: unknown; respond: boolean; error: RpcError }
  | { kind: 'request'; hasId: boolean; id: unknown; method: string; params: Record<string, unknown> };

/** Top-level params keys whose JSON literal was a float (`1.0`), which v1 rejects as non-integer. */
const floatKeys = new WeakMap<object, Set<string>>();

export function isFloatLiteral(params: object, key: string): boolean {
  return floatKeys.get(params)?.has(key) ?? false;
}

/** JSON.parse that remembers float literals (source text access, Node 22+). */
function parseJson(line: string): unknown {
  return JSON.parse(line, function (this: object, key: string, value: unknown, ctx?: { source?: string }) {
    if (typeof value === 'number' && ctx?.source !== undefined && /[.eE]/.test(ctx.source)) {
      let set = floatKeys.get(this);
      if (!set) floatKeys.set(this, (set = new Set()));
      set.add(key);
    }
    return value;
  } as (key: string, value: unknown) => unknown);
}

function validId(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number';
}

/**
 * Strict v1 framing (imsg 0.14+, current spec section 3.1). Envelope errors are always answered
 * (id echoed when valid); `hasId` false on a request means a notification: never answered.
 */
export function parseV1Line(line: string): V1Line {
  let json: unknown;
  try {
    json = parseJson(line);
  } catch {
    return { kind: 'error', id: null, respond: true, error: parseError(JSON_PARSE_DATA) };
  }
  // JSONSerialization without fragmentsAllowed: a top-level scalar is a parse error.
  if (json === null || typeof json !== 'object') {
    return { kind: 'error', id: null, respond: true, error: parseError(JSON_PARSE_DATA) };
  }
  if (Array.isArray(json)) {
    return { kind: 'error', id: null, respond: true, error: invalidRequest('request must be an object') };
  }
  const req = json as Record<string, unknown>;
  const hasId = Object.prototype.hasOwnProperty.call(req, 'id');
  const rawId = req['id'];
  if (hasId && !validId(rawId)) {
    return { kind: 'error', id: null, respond: true, error: invalidRequest('id must be a string, number, or null') };
  }
  const id = hasId ? rawId : null;
  if (req['jsonrpc'] !== '2.0') {
    return { kind: 'error', id, respond: true, error: invalidRequest('jsonrpc must be exactly 2.0') };
  }
  const method = req['method'];
  if (typeof method !== 'string' || method === '') {
    return { kind: 'error', id, respond: true, error: invalidRequest('method is required') };
  }
  if (Object.prototype.hasOwnProperty.call(req, 'params')) {
    const p = req['params'];
    if (p === null || typeof p !== 'object' || Array.isArray(p)) {
      return { kind: 'error', id, respond: hasId, error: invalidParams('params must be an object when present') };
    }
    return { kind: 'request', hasId, id, method, params: p as Record<string, unknown> };
  }
  return { kind: 'request', hasId, id, method, params: {} };
}
