/**
 * The one error vocabulary (issue 12, item 7). Every typed error of the gateway (imsg client,
 * state store, config, agents, workers, pairing, the home's lock) carries the same three fields:
 *
 * - `kind`: a stable string naming the error class (`full-disk-access`, `corrupt`, `timeout`, ...);
 *   logs carry it as `errorClass`, status as `lastErrorClass`.
 * - `recovery`: what happens next, one of
 *   - `retry`: transient; retried with backoff by the gateway, on its own;
 *   - `permission`: a macOS privacy grant is missing; the gateway waits and re-checks slowly, never
 *     restart-loops;
 *   - `operator`: the setup is wrong; the part affected waits for the operator's fix and re-checks
 *     slowly, the rest of the gateway runs on;
 *   - `fatal`: the operation (at start-up: the gateway) cannot go on and is not retried; fix it
 *     and run it again.
 * - `remediation`: the fix, in words, for the operator.
 *
 * The fatal-or-retry rule is `recoveryOfError` (an error that is not typed is retried: the caller's
 * backoff and cap keep it from spinning); `errorText` is the one rendering of an error for logs,
 * the CLI and status.
 */

export type Recovery = 'fatal' | 'retry' | 'operator' | 'permission';

export const RECOVERIES: readonly Recovery[] = ['fatal', 'retry', 'operator', 'permission'];

/** The shape every typed error satisfies (and the plain data status keeps of one). */
export interface TypedError {
  readonly message: string;
  readonly kind: string;
  readonly recovery: Recovery;
  readonly remediation: string;
}

export function isRecovery(value: unknown): value is Recovery {
  return typeof value === 'string' && (RECOVERIES as readonly string[]).includes(value);
}

/** True for an Error (or plain error data) that carries the whole vocabulary. */
export function isTypedError(value: unknown): value is TypedError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof TypedError, unknown>>;
  return (
    typeof v.message === 'string' &&
    typeof v.kind === 'string' &&
    v.kind !== '' &&
    isRecovery(v.recovery) &&
    typeof v.remediation === 'string' &&
    v.remediation !== ''
  );
}

/** The fatal-or-retry rule: a typed error says how it recovers; anything else is retried. */
export function recoveryOfError(error: unknown): Recovery {
  return isTypedError(error) ? error.recovery : 'retry';
}

/** Whether the caller may try the same thing again (after its backoff). */
export function isRetried(error: unknown): boolean {
  return recoveryOfError(error) === 'retry';
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/**
 * An error as the operator reads it: its message, then the fix when it carries one (a typed error,
 * or plain data with a `remediation`): `<message>. To fix: <remediation>`. `lines` puts the fix on
 * its own line (the CLI's stderr).
 */
export function errorText(error: unknown, layout: 'line' | 'lines' = 'line'): string {
  const message = messageOf(error);
  const remediation = remediationOf(error);
  if (remediation === undefined) return message;
  if (layout === 'lines') return `${message}\nTo fix: ${remediation}`;
  const stop = /[.!?]$/.test(message) ? '' : '.';
  return `${message}${stop} To fix: ${remediation}`;
}

function remediationOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const remediation = (error as { remediation?: unknown }).remediation;
  return typeof remediation === 'string' && remediation !== '' ? remediation : undefined;
}
