/** What the account machine keeps of an error: plain data in the shared vocabulary, safe to show in status and logs. */
import { PermissionDeniedError, RpcError } from '../imsg/errors.js';
import { isTypedError, type TypedError } from '../util/typed-error.js';

export interface AccountErrorInfo extends TypedError {
  message: string;
  /** The error class: full-disk-access, automation, exited, deadline, spawn, ... or internal. */
  kind: string;
  at: number;
}

export function toErrorInfo(error: unknown, at: number): AccountErrorInfo {
  if (isTypedError(error)) {
    return { message: error.message, kind: error.kind, recovery: error.recovery, remediation: error.remediation, at };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message, kind: 'internal', recovery: 'retry', remediation: 'The gateway retries with backoff.', at };
}

/** imsg 0.14+ reported the database unavailable and stays up: re-check the same child, never respawn. */
export function keepsChild(error: unknown): boolean {
  return error instanceof PermissionDeniedError && error.keepsChild;
}

/** The child answered with a JSON-RPC error (busy, a peer error): it is up and serving. */
export function childAnswered(error: unknown): boolean {
  return error instanceof RpcError;
}
