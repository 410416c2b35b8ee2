/**
 * Which outbox state each transition may start from. The store refuses the rest, because each
 * refused move would risk a reply sent twice (retrying a sent row) or lost (failing a sent row).
 * `sending` left behind by a crash is treated like `unknown`: reconcile before any retry.
 */
import type { OutboxState } from './types.js';

export type OutboxTransition = 'markSending' | 'markSent' | 'markUnknown' | 'scheduleRetry' | 'markFailed';

export const ALLOWED_FROM: Record<OutboxTransition, readonly OutboxState[]> = {
  /** Only a queued row is attempted; an unknown one is reconciled (then sent, or rescheduled) first. */
  markSending: ['queued'],
  /** Evidence that it was delivered wins from any state (a late reconcile may find a failed row sent). */
  markSent: ['queued', 'sending', 'unknown', 'sent', 'failed'],
  markUnknown: ['sending', 'unknown'],
  scheduleRetry: ['queued', 'sending', 'unknown'],
  markFailed: ['queued', 'sending', 'unknown', 'failed'],
};

export function transitionAllowed(transition: OutboxTransition, from: OutboxState): boolean {
  return ALLOWED_FROM[transition].includes(from);
}

export class OutboxTransitionError extends Error {
  constructor(
    readonly id: number,
    readonly transition: OutboxTransition,
    readonly from: OutboxState | undefined,
  ) {
    super(
      from === undefined
        ? `outbox row ${id} does not exist (${transition})`
        : `outbox row ${id} is ${from}: ${transition} is only allowed from ${ALLOWED_FROM[transition].join(', ')}`,
    );
    this.name = 'OutboxTransitionError';
  }
}
