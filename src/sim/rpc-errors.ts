import { sqliteErrorName } from '../sqlite/index.js';

/** JSON-RPC error codes and the fixed messages imsg uses (protocol section 3.1). */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** imsg 0.14+ (protocol v1) codes, current spec section 5.2. */
export const SERVER_BUSY = -32000;
export const DELIVERY_UNKNOWN = -32001;
export const DATABASE_UNAVAILABLE = -32002;
export const BRIDGE_UNAVAILABLE = -32003;
export const MUTATION_BLOCKED = -32004;

/** `data` is a string, or (v1 only) an object such as the -32002 `{path, detail, retryable}`. */
export type ErrorData = string | Record<string, unknown>;

const MESSAGES: Record<number, string> = {
  [SERVER_BUSY]: 'Server busy',
  [DELIVERY_UNKNOWN]: 'Delivery outcome unknown',
  [DATABASE_UNAVAILABLE]: 'Database unavailable',
  [BRIDGE_UNAVAILABLE]: 'Bridge unavailable',
  [MUTATION_BLOCKED]: 'Mutation lane blocked',
  [PARSE_ERROR]: 'Parse error',
  [INVALID_REQUEST]: 'Invalid Request',
  [METHOD_NOT_FOUND]: 'Method not found',
  [INVALID_PARAMS]: 'Invalid params',
  [INTERNAL_ERROR]: 'Internal error',
};

export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly data: ErrorData,
    /** Overrides the code's fixed message (v1 `Delivery failed before dispatch`). */
    readonly messageText?: string,
  ) {
    super(typeof data === 'string' ? data : JSON.stringify(data));
  }

  toJSON(): { code: number; message: string; data: ErrorData } {
    return { code: this.code, message: this.messageText ?? MESSAGES[this.code] ?? 'Internal error', data: this.data };
  }
}

export const parseError = (data: string): RpcError => new RpcError(PARSE_ERROR, data);
export const invalidRequest = (data: string): RpcError => new RpcError(INVALID_REQUEST, data);
export const methodNotFound = (method: string): RpcError => new RpcError(METHOD_NOT_FOUND, method);
export const invalidParams = (data: string): RpcError => new RpcError(INVALID_PARAMS, data);
export const internalError = (data: string): RpcError => new RpcError(INTERNAL_ERROR, data);

/** JSONSerialization's localizedDescription for malformed input (curly apostrophe). */
export const JSON_PARSE_DATA = 'The data couldn’t be read because it isn’t in the correct format.';

/** Text of the SIP refusal every bridge-backed method gets on a stock Mac (section 3.2). */
export const SIP_TEXT =
  'System Integrity Protection (SIP) is enabled. Refusing to inject into Messages.app. Disable SIP in Recovery mode before using `imsg launch`.';

/** Automation (Apple Events) denial, as osascript reports it (section 3.3). */
export const AUTOMATION_DENIED_TEXT =
  'AppleScript failed: 12:34: execution error: Not authorized to send Apple events to Messages. (-1743)';

/** Generic Foundation text for non-LocalizedError failures such as SQLite errors in queries. */
export const GENERIC_SQLITE_TEXT = 'The operation couldn’t be completed. (SQLite.Result error 0.)';

const SQLITE_CODES: Record<string, number> = {
  SQLITE_ERROR: 1,
  SQLITE_INTERNAL: 2,
  SQLITE_PERM: 3,
  SQLITE_ABORT: 4,
  SQLITE_BUSY: 5,
  SQLITE_LOCKED: 6,
  SQLITE_NOMEM: 7,
  SQLITE_READONLY: 8,
  SQLITE_IOERR: 10,
  SQLITE_CORRUPT: 11,
  SQLITE_FULL: 13,
  SQLITE_CANTOPEN: 14,
  SQLITE_SCHEMA: 17,
  SQLITE_NOTADB: 26,
};

/** SQLite.swift's `Result.description`: `<message> (code: <n>)`. */
export function describeSqliteError(err: unknown): string {
  if (err instanceof Error) {
    const raw = sqliteErrorName(err) ?? (err as { code?: unknown }).code;
    const primary = typeof raw === 'string' ? raw.split('_').slice(0, 2).join('_') : '';
    const code = SQLITE_CODES[primary] ?? 1;
    return `${err.message} (code: ${code})`;
  }
  return String(err);
}
