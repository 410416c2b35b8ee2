/** Delivery in the status: overdue, unknown and dead-lettered sends make an account degraded, with the counts. */
import { expect, test } from 'vitest';
import { withDelivery } from '../../src/supervisor/delivery-health.js';
import { accountStatus } from '../web/stand-in-backend.js';

test('nothing pending, unknown or dead: the account keeps its health; the counts are there', () => {
  const a = withDelivery(accountStatus('main'), { pendingOverdue: 0, unknown: 0, deadLetters: 0 }, 600_000);
  expect(a.health).toBe('ok');
  expect(a.degradedReasons).toEqual([]);
  expect(a.delivery).toEqual({ pendingOverdue: 0, unknown: 0, deadLetters: 0, overdueAfterMs: 600_000 });
});

test('each of overdue, unknown and dead letters is a degraded reason of its own, after the ones already there', () => {
  const before = { ...accountStatus('main'), health: 'degraded' as const, degradedReasons: [{ code: 'chat-paused' as const, message: 'paused' }] };
  const a = withDelivery(before, { pendingOverdue: 2, unknown: 1, deadLetters: 3 }, 90_000);
  expect(a.health).toBe('degraded');
  expect(a.degradedReasons.map((r) => r.code)).toEqual(['chat-paused', 'sends-overdue', 'sends-unknown', 'dead-letters']);
  expect(a.degradedReasons[1]?.message).toBe('2 sends pending for more than 90 s (gateway.delivery.overdueAfter)');
  expect(a.degradedReasons[2]?.message).toContain('1 send whose outcome is unknown');
  expect(a.degradedReasons[3]?.message).toContain('3 dead letters');
  expect(withDelivery(accountStatus('main'), { pendingOverdue: 1, unknown: 0, deadLetters: 0 }, 1000).health).toBe('degraded');
});
