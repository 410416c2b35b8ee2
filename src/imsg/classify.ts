/**
 * Pure classification of what imsg (or the wrapper in front of it) said into typed errors.
 * Kept apart from the client so the texts of every imsg version can be unit-tested.
 */
import {
  AutomationDeniedError,
  type ImsgError,
  PermissionDeniedError,
  ProcessExitedError,
  RpcError,
  SshError,
  UnsupportedImsgError,
} from './errors.js';

export interface ClassifyContext {
  /** The executable the operator must grant (cliPath as configured). */
  binary: string;
  dbPath: string | undefined;
}

const PERMISSION_MARKERS = [
  /permission error/i,
  /full disk access/i,
  /permissionDenied\(/,
  /authorization denied/i,
  /unable to open database/i,
];
const AUTOMATION_MARKERS = [/-1743/, /not authori[sz]ed to send apple events/i];
const UNSUPPORTED_MARKERS = [/unknown (command|subcommand)/i, /unrecognized (command|subcommand)/i, /invalid command/i];
const SSH_MARKERS: Array<[RegExp, 'ssh-host-key' | 'ssh-auth' | 'ssh-unreachable']> = [
  [/host key verification failed/i, 'ssh-host-key'],
  [/remote host identification has changed/i, 'ssh-host-key'],
  [/no .*host key is known/i, 'ssh-host-key'],
  [/permission denied \((publickey|password|keyboard-interactive)/i, 'ssh-auth'],
  [/could not resolve hostname/i, 'ssh-unreachable'],
  [/connection (refused|timed out|closed by|reset)/i, 'ssh-unreachable'],
  [/no route to host/i, 'ssh-unreachable'],
  [/operation timed out/i, 'ssh-unreachable'],
];

const firstLine = (text: string): string => text.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';

export function isPermissionText(text: string): boolean {
  return PERMISSION_MARKERS.some((re) => re.test(text));
}

export function isAutomationText(text: string): boolean {
  return AUTOMATION_MARKERS.some((re) => re.test(text));
}

/** imsg 0.14+: Database unavailable; the child stays up and recovers in place. */
export const DATABASE_UNAVAILABLE = -32002;

/**
 * The error codes imsg 0.8–0.15.10 answers with (imsg-rpc-current.md §5): JSON-RPC's own and
 * 0.14's -32000…-32004. Any other code is still an RpcError for its request, but the account logs
 * it once (bad input, issue 12): a newer or forked imsg speaks a code this gateway does not know.
 */
export const KNOWN_ERROR_CODES: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602, -32603, -32000, -32001, -32002, -32003, -32004]);

export function isKnownErrorCode(code: number): boolean {
  return KNOWN_ERROR_CODES.has(code);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A JSON-RPC error answer. imsg 0.8.2–0.13 reports a startup permission failure as -32603 with the
 * banner in a string `data`; 0.14+ as -32002 with an object `data` {path, detail, retryable}.
 * `data` may be a string, an object, or absent (imsg-rpc-current.md §5).
 */
export function classifyRpcError(
  method: string,
  code: number,
  message: string,
  data: unknown,
  ctx: ClassifyContext,
): ImsgError {
  const object = isRecord(data) ? data : undefined;
  if (code === DATABASE_UNAVAILABLE) {
    const path = typeof object?.path === 'string' ? object.path : ctx.dbPath;
    const detail = typeof object?.detail === 'string' ? object.detail : typeof data === 'string' ? data : message;
    return new PermissionDeniedError('v1', ctx.binary, path, detail);
  }
  if (object) {
    const detail = typeof object.detail === 'string' ? object.detail : JSON.stringify(object);
    return new RpcError(method, code, message, detail, object);
  }
  const text = typeof data === 'string' ? data : '';
  if (code === -32603 && isPermissionText(text)) {
    return new PermissionDeniedError('json', ctx.binary, ctx.dbPath, firstLine(text));
  }
  if (code === -32603 && isAutomationText(text)) {
    return new AutomationDeniedError(ctx.binary, firstLine(text));
  }
  return new RpcError(method, code, message, typeof data === 'string' ? data : undefined);
}

/**
 * The child exited. `output` is what it wrote that was not JSON (older imsg prints its startup
 * error as plain text on stdout and exits 1) plus the tail of stderr (ssh writes there).
 */
export function classifyExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  output: string,
  ctx: ClassifyContext,
): ImsgError {
  if (isPermissionText(output)) {
    return new PermissionDeniedError('text', ctx.binary, ctx.dbPath, firstLine(output));
  }
  for (const [re, kind] of SSH_MARKERS) {
    const match = output.split('\n').find((line) => re.test(line));
    if (match) return new SshError(kind, match.trim());
  }
  if (UNSUPPORTED_MARKERS.some((re) => re.test(output)) && /\brpc\b/.test(output)) {
    return new UnsupportedImsgError(firstLine(output));
  }
  return new ProcessExitedError(code, signal, output.trim());
}
