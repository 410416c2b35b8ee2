/**
 * 0.15 profile delivery faults for `send` (current spec sections 4.3, 5.1, 8.2, 8.3): which fault,
 * if any, the Nth valid send of this process gets, and the errors imsg answers with.
 */
import type { FaultConfig } from './faults.js';
import { DELIVERY_UNKNOWN, INTERNAL_ERROR, MUTATION_BLOCKED, RpcError } from './rpc-errors.js';

export type SendFault = 'in-flight' | 'unknown' | 'not-started';

export const NO_RECEIPT_DETAIL =
  'Messages automation returned success, but no matching outgoing text row was observed within 8 seconds.';
export const IN_FLIGHT_DETAIL = 'Messages automation did not finish; the send may still execute.';
export const NOT_STARTED_DETAIL = 'Messages could not resolve the send target before the send began.';

const hits = (every: number | undefined, n: number): boolean => every !== undefined && every > 0 && n % every === 0;

/** The fault for the Nth send (1-based); when several switches hit the same send, in-flight wins, then unknown. */
export function sendFaultFor(n: number, faults: FaultConfig): SendFault | undefined {
  if (hits(faults.sendInFlightEvery, n)) return 'in-flight';
  if (hits(faults.sendUnknownEvery, n)) return 'unknown';
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

/** The error a send with this fault answers (after its row was written, for the -32001 ones). */
export function sendFaultError(fault: SendFault): RpcError {
  const base = { transport: 'applescript', operation: 'send' };
  switch (fault) {
    case 'not-started':
      return new RpcError(
        INTERNAL_ERROR,
        { retry_safe: true, disposition: 'not_started', ...base, detail: NOT_STARTED_DETAIL },
        'Delivery failed before dispatch',
      );
    case 'unknown':
      return new RpcError(DELIVERY_UNKNOWN, { retry_safe: false, disposition: 'may_have_completed', ...base, detail: NO_RECEIPT_DETAIL });
    case 'in-flight':
      return new RpcError(DELIVERY_UNKNOWN, { retry_safe: false, disposition: 'still_in_flight', ...base, detail: IN_FLIGHT_DETAIL });
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
