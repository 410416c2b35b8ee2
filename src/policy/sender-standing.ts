/**
 * Where one sender stands with one account, as the per-message decision reads it. The caller reads
 * it from the store (PairingService.standing) before deciding; the decision itself reads nothing.
 */

/** The states of a sender's lifecycle (see sender-machine.ts). */
export type SenderStatus = 'stranger' | 'pending' | 'expired' | 'approved' | 'denied' | 'revoked' | 'turned-away';

export const SENDER_STATUSES: readonly SenderStatus[] = ['stranger', 'pending', 'expired', 'approved', 'denied', 'revoked', 'turned-away'];

export interface SenderStanding {
  status: SenderStatus;
  /** pending: when the code expires; denied / revoked: when the denial ends (ms since epoch). */
  until?: number | undefined;
  /** Other senders of the account hold the maximum of unexpired codes: no new code can be issued now. */
  capReached: boolean;
}

/** A sender the store knows nothing about, with codes still available. */
export const STRANGER: SenderStanding = Object.freeze({ status: 'stranger', capReached: false });

/** The status at `now`: a pending code past its expiry is expired; a denial past its end is over. */
export function statusAt(standing: SenderStanding, now: number): SenderStatus {
  const over = standing.until !== undefined && standing.until <= now;
  if (standing.status === 'pending' && over) return 'expired';
  if ((standing.status === 'denied' || standing.status === 'revoked') && over) return 'stranger';
  return standing.status;
}
