/**
 * The one send-failure rule (issue 13, item 1; imsg-rpc-current.md §5, §8.3): what a failed `send`
 * means for the outbox row and for the account. Pure: it looks only at the error the client raised.
 *
 * | what imsg said                                            | outcome       |
 * |-----------------------------------------------------------|---------------|
 * | `not_started` "attempt_id already identifies a message"   | `delivered`   |
 * | delivery object `not_started` / `retry_safe: true`        | `retry`       |
 * | -32000 Server busy                                         | `retry`       |
 * | -32001, `may_have_completed`, a deadline, the child died   | `unknown`     |
 * | `still_in_flight` (-32001)                                 | `unknown`, lane poisoned |
 * | -32004 Mutation lane blocked (this request never ran)      | `blocked`, lane poisoned |
 * | Automation denied, -32602 (invalid target or params)       | `failed`      |
 * | -32603 with a string (imsg ≤0.13: an AppleScript failure)  | `unknown`     |
 * | any other code                                             | `unknown`     |
 *
 * `delivered` is the answer to a re-submitted `send.tracked` whose first attempt landed (§8.4):
 * the message is already in the chat under that attempt id, so it counts as sent.
 * `unknown` means: reconcile against the chat before anything else, never resend blindly.
 * `poisonsLane` means: stop submitting sends for this account, reconcile, restart the child, resume.
 */
import { AutomationDeniedError, ClientStoppedError, DeadlineError, ImsgError, ProcessExitedError, RpcError } from './errors.js';

export type SendOutcome =
  /** A tracked send's attempt id already names a message: an earlier attempt landed (§8.4). */
  | { kind: 'delivered'; reason: string }
  /** Proven not sent: back off and send again. */
  | { kind: 'retry'; reason: string }
  /** May have been sent: reconcile with the chat before any resend. */
  | { kind: 'unknown'; reason: string; poisonsLane: boolean; childGone: boolean }
  /** This send never ran because an earlier one is still in flight: queue it again once the child restarted. */
  | { kind: 'blocked'; reason: string; poisonsLane: true }
  /** Will not succeed as it is: failed for good, with what the operator should do. */
  | { kind: 'failed'; reason: string; remediation: string; errorClass: string };

export type Disposition = 'not_started' | 'may_have_completed' | 'still_in_flight';

export interface DeliveryInfo {
  disposition: Disposition | undefined;
  retrySafe: boolean | undefined;
}

const SERVER_BUSY = -32000;
const DELIVERY_UNKNOWN = -32001;
const MUTATION_BLOCKED = -32004;
const INVALID_PARAMS = -32602;

/** The detail of imsg's refusal of an attempt id that already names a message (send.tracked rule 5, §3.3). */
export const ATTEMPT_ALREADY_USED = 'attempt_id already identifies a message';

const DISPOSITIONS: ReadonlySet<string> = new Set(['not_started', 'may_have_completed', 'still_in_flight']);

/** The §5.1 delivery object of an error, when `error.data` was one; a string `data` has none. */
export function deliveryInfo(err: RpcError): DeliveryInfo {
  const d = err.dataObject;
  const disposition = typeof d?.disposition === 'string' && DISPOSITIONS.has(d.disposition) ? (d.disposition as Disposition) : undefined;
  const retrySafe = typeof d?.retry_safe === 'boolean' ? d.retry_safe : undefined;
  return { disposition, retrySafe };
}

/** The failure's own words (its remediation is a field of the outcome). */
const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function classifySendFailure(err: unknown): SendOutcome {
  const reason = reasonOf(err);
  if (err instanceof AutomationDeniedError) return { kind: 'failed', reason, remediation: err.remediation, errorClass: err.kind };
  if (err instanceof RpcError) return classifyRpc(err, reason);
  if (err instanceof DeadlineError) return { kind: 'unknown', reason, poisonsLane: false, childGone: true };
  if (err instanceof ProcessExitedError || err instanceof ClientStoppedError) {
    return { kind: 'unknown', reason, poisonsLane: false, childGone: true };
  }
  // Anything else (a spawn or SSH error surfacing mid-send, a bug): we cannot tell; never resend blindly.
  return { kind: 'unknown', reason, poisonsLane: false, childGone: err instanceof ImsgError };
}

function classifyRpc(err: RpcError, reason: string): SendOutcome {
  const { disposition, retrySafe } = deliveryInfo(err);
  // -32004 first: its embedded retry_safe:false describes the earlier send, not this one (§5.2).
  if (err.code === MUTATION_BLOCKED) return { kind: 'blocked', reason, poisonsLane: true };
  if (disposition === 'still_in_flight') return { kind: 'unknown', reason, poisonsLane: true, childGone: false };
  if (err.code === DELIVERY_UNKNOWN || disposition === 'may_have_completed') {
    return { kind: 'unknown', reason, poisonsLane: false, childGone: false };
  }
  if (disposition === 'not_started' && typeof err.dataObject?.detail === 'string' && err.dataObject.detail.startsWith(ATTEMPT_ALREADY_USED)) {
    return { kind: 'delivered', reason };
  }
  // retry_safe is the single source of truth when the object is there (§5.3).
  if (disposition === 'not_started' || retrySafe === true) return { kind: 'retry', reason };
  if (err.code === SERVER_BUSY) return { kind: 'retry', reason };
  if (err.code === INVALID_PARAMS) return { kind: 'failed', reason, remediation: err.remediation, errorClass: err.kind };
  return { kind: 'unknown', reason, poisonsLane: false, childGone: false };
}
