/**
 * 0.15 profile delivery faults for `send` (current spec sections 4.3, 5.1, 8.2, 8.3): which fault,
 * if any, the Nth valid send of this process gets, and the errors imsg answers with.
 */
import type { FaultConfig } from './faults.js';
import { DELIVERY_UNKNOWN, INTERNAL_ERROR, MUTATION_BLOCKED, RpcError } from './rpc-errors.js';

export type SendFault = 'in-flight' | 'unknown' | 'not-started' | 'ghost-row' | 'no-row' | 'attachment-ambiguous';

export const NO_RECEIPT_DETAIL =
  'Messages automation returned success, but no matching outgoing text row was observed within 8 seconds.';
export const NO_ATTACHMENT_RECEIPT_DETAIL =
  'Messages automation returned success, but no matching outgoing attachment row was observed within 8 seconds.';
export const TRACKED_NO_ECHO_DETAIL = 'Bridge dispatched the tracked send but did not echo its exact message GUID.';
export const TRACKED_NO_ANSWER_DETAIL = 'The bridge did not answer the tracked send in time; it may have completed.';
export const ghostRowDetail = (rowid: number): string =>
  `Messages accepted the chat send but wrote an unjoined empty outgoing row (${rowid}); delivery to the target chat was not confirmed`;
export const IN_FLIGHT_DETAIL = 'Messages automation did not finish; the send may still execute.';
export const NOT_STARTED_DETAIL = 'Messages could not resolve the send target before the send began.';

const hits = (every: number | undefined, n: number): boolean => every !== undefined && every > 0 && n % every === 0;

/**
 * The fault for the Nth send (1-based; `fileOnlyN`: its number among file-only sends, when it is
 * one). When several switches hit the same send: in-flight, unknown, ghost row, no row, attachment
 * ambiguous, not started, in that order.
 */
export function sendFaultFor(n: number, faults: FaultConfig, fileOnlyN?: number): SendFault | undefined {
  if (hits(faults.sendInFlightEvery, n)) return 'in-flight';
  if (hits(faults.sendUnknownEvery, n)) return 'unknown';
  if (hits(faults.sendGhostRowEvery, n)) return 'ghost-row';
  if (hits(faults.sendNoRowEvery, n)) return 'no-row';
  if (fileOnlyN !== undefined && hits(faults.sendAttachmentAmbiguousEvery, fileOnlyN)) return 'attachment-ambiguous';
  if (hits(faults.sendNotStartedEvery, n)) return 'not-started';
  return undefined;
}

export type DeliveryObject = {
  retry_safe: boolean;
  disposition: 'not_started' | 'may_have_completed' | 'still_in_flight';
  transport: string;
  operation: string;
  detail: string;
};

export interface FaultErrorOptions {
  /** `bridge_v2` for send.tracked; `applescript` (default) for send. */
  transport?: 'applescript' | 'bridge_v2';
  /** A file-only send: a missed receipt names the attachment row. */
  fileOnly?: boolean;
  /** The ghost row's ROWID (ghost-row fault). */
  ghostRowid?: number;
}

const unknownOutcome = (base: object, detail: string): RpcError =>
  new RpcError(DELIVERY_UNKNOWN, { retry_safe: false, disposition: 'may_have_completed', ...base, detail });

/** The error a send with this fault answers (after its rows were written, for the -32001 ones). */
export function sendFaultError(fault: SendFault, opts: FaultErrorOptions = {}): RpcError {
  const bridge = opts.transport === 'bridge_v2';
  const base = { transport: opts.transport ?? 'applescript', operation: 'send' };
  const missed = opts.fileOnly ? NO_ATTACHMENT_RECEIPT_DETAIL : NO_RECEIPT_DETAIL;
  switch (fault) {
    case 'not-started':
      return new RpcError(
        INTERNAL_ERROR,
        { retry_safe: true, disposition: 'not_started', ...base, detail: NOT_STARTED_DETAIL },
        'Delivery failed before dispatch',
      );
    case 'unknown':
      return unknownOutcome(base, bridge ? TRACKED_NO_ECHO_DETAIL : missed);
    case 'in-flight':
      return new RpcError(DELIVERY_UNKNOWN, { retry_safe: false, disposition: 'still_in_flight', ...base, detail: IN_FLIGHT_DETAIL });
    case 'ghost-row':
      return unknownOutcome(base, ghostRowDetail(opts.ghostRowid ?? 0));
    case 'no-row':
      return unknownOutcome(base, bridge ? TRACKED_NO_ANSWER_DETAIL : missed);
    case 'attachment-ambiguous':
      return unknownOutcome(base, NO_ATTACHMENT_RECEIPT_DETAIL);
  }
}

/** The delivery object of a failure that poisons the mutation lane (disposition still_in_flight), if it is one. */
export function poisoningObject(err: unknown): DeliveryObject | undefined {
  if (!(err instanceof RpcError) || err.code !== DELIVERY_UNKNOWN || typeof err.data !== 'object') return undefined;
  const d = err.data as Partial<DeliveryObject>;
  return d.disposition === 'still_in_flight' ? (d as DeliveryObject) : undefined;
}

/** -32004 for a mutation after the lane was poisoned: the poisoning object, detail replaced (section 5.2). */
export function laneBlocked(poison: DeliveryObject): RpcError {
  return new RpcError(MUTATION_BLOCKED, {
    ...poison,
    detail: `A prior ${poison.operation} remains in flight. Restart the RPC child before sending another mutation.`,
  });
}
