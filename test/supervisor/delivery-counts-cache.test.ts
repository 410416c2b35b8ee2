/**
 * Issue 15 (idle CPU): the status's delivery counts are read once per change. On a real store
 * file, with a spy counting the store's count reads: nothing is read again while nothing is
 * written and no pending send becomes overdue; a queued send turns overdue at exactly the time
 * its age passes the threshold, without any commit; a commit, another account list or another
 * threshold read again; accounts no longer configured keep showing their dead letters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { DeliveryCountsCache, type DeliveryCountsStore } from '../../src/supervisor/delivery-counts-cache.js';
import { manualClock, reply, tempHome } from '../store/store-helpers.js';

const OVERDUE_MS = 60_000;

describe('DeliveryCountsCache', () => {
  let home: ReturnType<typeof tempHome>;
  let store: GatewayStore;
  let clock: ReturnType<typeof manualClock>;
  let reads: number;
  let cache: DeliveryCountsCache;

  beforeEach(() => {
    home = tempHome();
    clock = manualClock(1_000_000);
    store = GatewayStore.open(home.dbPath, { now: clock.now });
    reads = 0;
    const counted: DeliveryCountsStore = {
      commitStats: () => store.commitStats(),
      get vanished() {
        return store.vanished;
      },
      deliveryCountsAt: (id, before) => (reads++, store.deliveryCountsAt(id, before)),
      deadLetterAccounts: () => (reads++, store.deadLetterAccounts()),
    };
    cache = new DeliveryCountsCache(counted);
  });
  afterEach(() => {
    store.close();
    home.cleanup();
  });

  const read = (ids = ['acct']) => cache.read(ids, clock.now(), OVERDUE_MS);

  it('turns a queued send overdue at the right time without a commit, and reads nothing in between', () => {
    store.enqueueOutbox(reply('r1')); // created at 1,000,000
    clock.advance(5_000);
    store.enqueueOutbox(reply('r2')); // created at 1,005,000
    reads = 0;
    expect(read().counts.get('acct')).toEqual({ pendingOverdue: 0, unknown: 0, deadLetters: 0 });
    expect(reads).toBe(2);

    const commits = store.commitStats().commits;
    reads = 0;
    // Up to the moment r1 is exactly OVERDUE_MS old it is not overdue (created_at < cutoff), and nothing is read.
    for (const t of [1_010_000, 1_030_000, 1_060_000]) {
      clock.set(t);
      expect(read().counts.get('acct')?.pendingOverdue).toBe(0);
    }
    expect(reads).toBe(0);
    clock.set(1_060_001);
    expect(read().counts.get('acct')?.pendingOverdue).toBe(1);
    expect(reads).toBe(2);
    // Then held again until r2's turn.
    reads = 0;
    clock.set(1_065_000);
    expect(read().counts.get('acct')?.pendingOverdue).toBe(1);
    expect(reads).toBe(0);
    clock.set(1_065_001);
    expect(read().counts.get('acct')?.pendingOverdue).toBe(2);
    expect(reads).toBe(2);
    // Nothing left to become overdue: held for good.
    reads = 0;
    clock.advance(3_600_000);
    expect(read().counts.get('acct')?.pendingOverdue).toBe(2);
    expect(reads).toBe(0);
    expect(store.commitStats().commits).toBe(commits);
  });

  it('reads again after a commit, for another account list and for another threshold', () => {
    read();
    reads = 0;
    read();
    expect(reads).toBe(0);

    const { id } = store.enqueueOutbox(reply('r1'));
    store.markSending(id);
    store.markFailed(id, 'no such chat');
    expect(read().counts.get('acct')).toEqual({ pendingOverdue: 0, unknown: 0, deadLetters: 1 });
    expect(reads).toBeGreaterThan(0);

    reads = 0;
    expect([...read(['acct', 'b']).counts.keys()]).toEqual(['acct', 'b']);
    expect(reads).toBe(3);
    reads = 0;
    cache.read(['acct', 'b'], clock.now(), OVERDUE_MS * 2);
    expect(reads).toBe(3);
  });

  it('shows the dead letters of an account no longer configured, and holds them too', () => {
    const { id } = store.enqueueOutbox(reply('r1', { accountId: 'gone' }));
    store.markSending(id);
    store.markUnknown(id, 'timed out');
    expect(read().removed).toEqual([{ id: 'gone', deadLetters: 0, unknown: 1 }]);
    reads = 0;
    expect(read().removed).toEqual([{ id: 'gone', deadLetters: 0, unknown: 1 }]);
    expect(reads).toBe(0);
  });
});
