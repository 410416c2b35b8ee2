/** What the outbox does with a tracked row whose outcome was unknown (issue 13, item 2): the pure decision. */
import { describe, expect, it } from 'vitest';
import { decideTracked, TRACKED_PENDING_MS, TRACKED_POLL_MS } from '../../src/supervisor/tracked-send.js';

const T0 = 1_000_000;

describe('decideTracked', () => {
  it('a message under the attempt id (sent, delivered, or failed after sending) is recorded as sent', () => {
    for (const state of ['sent', 'delivered', 'failed'] as const) {
      expect(decideTracked({ kind: 'exists', state }, T0 + 500, T0)).toEqual({ action: 'sent', state });
    }
  });

  it('none yet: polls every 2 s for 60 s after the attempt, then re-submits the same attempt id', () => {
    expect(TRACKED_POLL_MS).toBe(2000);
    expect(TRACKED_PENDING_MS).toBe(60_000);
    expect(decideTracked({ kind: 'pending' }, T0 + 8_000, T0)).toEqual({ action: 'poll', inMs: 2000 });
    expect(decideTracked({ kind: 'pending' }, T0 + 59_999, T0)).toEqual({ action: 'poll', inMs: 2000 });
    expect(decideTracked({ kind: 'pending' }, T0 + 60_000, T0)).toEqual({ action: 'resubmit' });
    expect(decideTracked({ kind: 'pending' }, T0 + 500, T0, 400, 100)).toEqual({ action: 'resubmit' });
    expect(decideTracked({ kind: 'pending' }, T0 + 300, T0, 400, 100)).toEqual({ action: 'poll', inMs: 100 });
  });

  it('a row never attempted (no lastAttemptAt) polls first', () => {
    expect(decideTracked({ kind: 'pending' }, T0, null)).toEqual({ action: 'poll', inMs: 2000 });
  });

  it('an unreadable answer is never a delivery and never a re-submission: ask again', () => {
    expect(decideTracked({ kind: 'unknown', reason: 'x' }, T0 + 120_000, T0)).toEqual({ action: 'unreadable', reason: 'x', inMs: 2000 });
  });
});
