import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GatewayStore, type InboundEntry } from '../../src/store/index.js';
import { accepted, dropped, tempHome } from './store-helpers.js';

describe('recordInbound (property)', () => {
  let home: ReturnType<typeof tempHome>;
  let store: GatewayStore;
  let run = 0;
  beforeAll(() => {
    home = tempHome();
    store = GatewayStore.open(home.dbPath);
  });
  afterAll(() => {
    store.close();
    home.cleanup();
  });

  const entryArb = fc.record({
    guid: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
    rowid: fc.integer({ min: 1, max: 10_000 }),
    drop: fc.boolean(),
  });
  const batchArb = fc.record({
    entries: fc.array(entryArb, { maxLength: 6 }),
    extraCursor: fc.integer({ min: 0, max: 10_000 }),
  });

  test('each guid is recorded once, first sighting wins, and the cursor is the max row id passed', () => {
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 12 }), (batches) => {
        const account = `acct-${run++}`; // a fresh account per run: guids are keyed by account
        const seen = new Map<string, number>();
        let maxCursor = 0;
        for (const batch of batches) {
          const entries: InboundEntry[] = batch.entries.map((e) =>
            e.drop ? dropped(e.guid, e.rowid, 'not-allowed') : accepted(e.guid, e.rowid),
          );
          // The cursor passed is at least every row id of the batch, as the gateway does.
          const cursor = Math.max(batch.extraCursor, ...batch.entries.map((e) => e.rowid));
          const fresh = store.recordInbound(account, entries, cursor);
          const expected = batch.entries.map((e) => {
            if (seen.has(e.guid)) return false;
            seen.set(e.guid, e.drop ? -1 : e.rowid);
            return true;
          });
          expect(fresh).toEqual(expected);
          maxCursor = Math.max(maxCursor, cursor);
          expect(store.getCursor(account)).toBe(maxCursor);
        }
        const pending = store.pendingInbound(account);
        const acceptedFirst = [...seen.entries()].filter(([, rowid]) => rowid !== -1);
        expect(pending.map((p) => p.guid).sort()).toEqual(acceptedFirst.map(([g]) => g).sort());
        for (const p of pending) expect(p.rowid).toBe(seen.get(p.guid));
        const droppedCount = [...seen.values()].filter((r) => r === -1).length;
        expect(store.dropCounts(account)).toEqual(droppedCount > 0 ? { 'not-allowed': droppedCount } : {});
        expect(store.journalLag(account)).toBe(acceptedFirst.length);
      }),
      { numRuns: 150 },
    );
  });
});
