import { invalidRequest, JSON_PARSE_DATA, parseError, type RpcError } from './rpc-errors.js';

export type ParsedLine =
  | { kind: 'error'; id: unknown; error: RpcError }
  | { kind: 'request'; hasId: boolean; id: unknown; method: string; params: Record<string, unknown> };

/** Parses one trimmed, non-empty line exactly as imsg's RPC server does (protocol section 2). */
export function parseRequestLine(line: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'error', id: null, error: parseError(JSON_PARSE_DATA) };
  }
  // JSONSerialization without fragmentsAllowed: only an object or array is a document.
  if (json === null || typeof json !== 'object') {
    return { kind: 'error', id: null, error: parseError(JSON_PARSE_DATA) };
  }
  if (Array.isArray(json)) return { kind: 'error', id: null, error: invalidRequest('request must be an object') };
  const req = json as Record<string, unknown>;
  const hasId = Object.prototype.hasOwnProperty.call(req, 'id');
  const id = hasId ? req['id'] : null;
  const jsonrpc = req['jsonrpc'];
  if (typeof jsonrpc === 'string' && jsonrpc !== '2.0') {
    return { kind: 'error', id, error: invalidRequest('jsonrpc must be 2.0') };
  }
  const method = req['method'];
  if (typeof method !== 'string' || method === '') {
    return { kind: 'error', id, error: invalidRequest('method is required') };
  }
  const rawParams = req['params'];
  const params =
    rawParams !== null && typeof rawParams === 'object' && !Array.isArray(rawParams)
      ? (rawParams as Record<string, unknown>)
      : {};
  return { kind: 'request', hasId, id, method, params };
}
