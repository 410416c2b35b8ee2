/**
 * Delivery in the status (issue 13, item 4): per account, sends pending past
 * gateway.delivery.overdueAfter, sends whose outcome is unknown, and dead letters. Any of them
 * makes the account `degraded` (so `status` exits 4), with a reason that says what to run.
 * Pure: the counts come from the store, read by the caller.
 */
import type { DeliveryCounts } from '../store/index.js';
import type { AccountStatus } from './status.js';

export interface DeliveryStatus extends DeliveryCounts {
  /** The threshold in force (ms): a send queued longer than this is overdue. */
  overdueAfterMs: number;
}

export function withDelivery(account: AccountStatus, counts: DeliveryCounts, overdueAfterMs: number): AccountStatus {
  const reasons = [...account.degradedReasons];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (counts.pendingOverdue > 0) {
    reasons.push({
      code: 'sends-overdue',
      message: `${plural(counts.pendingOverdue, 'send')} pending for more than ${Math.round(overdueAfterMs / 1000)} s (gateway.delivery.overdueAfter)`,
    });
  }
  if (counts.unknown > 0) {
    reasons.push({
      code: 'sends-unknown',
      message: `${plural(counts.unknown, 'send')} whose outcome is unknown (\`imessage-gateway delivery list\`)`,
    });
  }
  if (counts.deadLetters > 0) {
    reasons.push({
      code: 'dead-letters',
      message: `${plural(counts.deadLetters, 'dead letter')}: failed sends or agent turns (\`imessage-gateway delivery list\`, then retry or purge)`,
    });
  }
  return {
    ...account,
    delivery: { ...counts, overdueAfterMs },
    health: reasons.length > 0 ? 'degraded' : account.health,
    degradedReasons: reasons,
  };
}
