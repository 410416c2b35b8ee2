/**
 * Errors raised by agent handlers, in the shared vocabulary (src/util/typed-error.ts). Never fatal
 * for an account: the inbound pipeline retries a `retry` one a few times, then drops that message
 * and moves on; a `fatal` one (a reply that does not parse, an abort) is not tried again.
 */
import type { Recovery, TypedError } from '../util/typed-error.js';
import { scrubSecrets } from '../util/scrub-secrets.js';

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

const RECOVERY: Record<AgentErrorKind, Extract<Recovery, 'fatal' | 'retry'>> = {
  timeout: 'retry',
  exit: 'retry',
  spawn: 'retry',
  http: 'retry',
  'invalid-reply': 'fatal',
  aborted: 'fatal',
};

export class AgentError extends Error implements TypedError {
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

  get recovery(): Extract<Recovery, 'fatal' | 'retry'> {
    return RECOVERY[this.kind];
  }

  get remediation(): string {
    const agent = `agent "${this.agentId}"`;
    switch (this.kind) {
      case 'timeout':
        return `make ${agent} answer within its timeoutMs, or raise timeoutMs in its handler config; the gateway tries the message again a few times.`;
      case 'exit':
        return `${agent}'s command must exit 0 after writing its reply (its stderr is in the message); the gateway tries the message again a few times.`;
      case 'spawn':
        return `check the command of ${agent} (its path, that it is executable, its cwd); the gateway tries the message again a few times.`;
      case 'http':
        return `check that ${agent}'s URL is up and answers 2xx; the gateway tries the message again a few times.`;
      case 'invalid-reply':
        return `make ${agent} reply in the format docs/agents.md describes; this message is not tried again.`;
      case 'aborted':
        return 'none: the gateway was stopping or reloading while the agent ran.';
    }
  }
}

export function isAgentError(value: unknown): value is AgentError {
  return value instanceof AgentError;
}

/** The last STDERR_TAIL_CHARS characters of `stderr`, trimmed and with secrets masked, for an error message. */
export function stderrTailOf(stderr: string): string {
  const trimmed = scrubSecrets(stderr).trimEnd();
  return trimmed.length > STDERR_TAIL_CHARS ? `…${trimmed.slice(-STDERR_TAIL_CHARS)}` : trimmed;
}

/** Formats "; stderr: ..." for a message, or '' when stderr was empty. */
export function stderrSuffix(stderrTail: string): string {
  return stderrTail === '' ? '' : `; stderr (last ${STDERR_TAIL_CHARS} chars):\n${stderrTail}`;
}
