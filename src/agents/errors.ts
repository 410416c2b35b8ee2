/** Errors raised by agent handlers. Never fatal for an account: the caller logs them and moves on. */

export type AgentErrorKind = 'timeout' | 'exit' | 'spawn' | 'http' | 'invalid-reply' | 'aborted';

export interface AgentErrorDetails {
  cause?: unknown;
  /** Command agents: exit code of the process (null when it was killed by a signal). */
  exitCode?: number | null;
  /** Command agents: the signal that ended the process, if any. */
  signal?: NodeJS.Signals | null;
  /** Command agents: the last characters the process wrote to stderr. */
  stderrTail?: string;
  /** HTTP agents: the response status code. */
  status?: number;
}

/** How much of stderr goes into an error message. */
export const STDERR_TAIL_CHARS = 500;

export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly kind: AgentErrorKind;
  readonly agentId: string;
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stderrTail?: string;
  readonly status?: number;

  /** `message` should say what happened; the agent id is prefixed here. */
  constructor(kind: AgentErrorKind, agentId: string, message: string, details: AgentErrorDetails = {}) {
    super(`agent "${agentId}": ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.agentId = agentId;
    if (details.exitCode !== undefined) this.exitCode = details.exitCode;
    if (details.signal !== undefined) this.signal = details.signal;
    if (details.stderrTail !== undefined) this.stderrTail = details.stderrTail;
    if (details.status !== undefined) this.status = details.status;
  }
}

export function isAgentError(value: unknown): value is AgentError {
  return value instanceof AgentError;
}

/** The last STDERR_TAIL_CHARS characters of `stderr`, trimmed, for an error message. */
export function stderrTailOf(stderr: string): string {
  const trimmed = stderr.trimEnd();
  return trimmed.length > STDERR_TAIL_CHARS ? `…${trimmed.slice(-STDERR_TAIL_CHARS)}` : trimmed;
}

/** Formats "; stderr: ..." for a message, or '' when stderr was empty. */
export function stderrSuffix(stderrTail: string): string {
  return stderrTail === '' ? '' : `; stderr (last ${STDERR_TAIL_CHARS} chars):\n${stderrTail}`;
}
