/**
 * Issue 11, item 2 (poison-row finding): one row SQLite refused made the whole batch retry
 * forever (115 held, the account frozen). Now the poison row is quarantined alone and the rest of
 * its batch is written; a disk failure still holds everything and retries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { type CommitHold, GatewayStore, type InboundEntry } from '../../src/store/index.js';
import { InboundRecorder, type JournalRiders, RECORD_RETRY_MS, type RecordedEntry } from '../../src/supervisor/inbound-recorder.js';
import { waitUntil } from '../helpers/sim-db.js';
import { silentLogger } from '../../src/util/logger.js';
import { accepted, tempHome } from '../store/store-helpers.js';

const homes: Array<{ cleanup(): void }> = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.cleanup();
});

function setup(store?: GatewayStore, riders?: () => JournalRiders | undefined) {
  const home = tempHome();
  homes.push(home);
  const s = store ?? GatewayStore.open(home.dbPath);
  const clock = new SimulatedClock();
  const recorded: Array<RecordedEntry<string>> = [];
  const poison: Array<{ entry: InboundEntry; err: unknown }> = [];
  const recorder = new InboundRecorder<string>({
    accountId: 'acct',
    store: s,
    clock,
    logger: silentLogger,
    onRecorded: (batch) => recorded.push(...batch),
    onPoison: (entry, _payload, err) => poison.push({ entry, err }),
    ...(riders ? { riders } : {}),
  });
  return { store: s, clock, recorder, recorded, poison };
}

describe('InboundRecorder', () => {
  it('quarantines a row SQLite refuses on its own and writes the rest of its batch', () => {
    const { store, recorder, recorded, poison } = setup();
    recorder.add(accepted('a', 1), 'a');
    recorder.add(accepted('bad', 2 ** 63), 'bad'); // node:sqlite refuses integers beyond ±2^63
    recorder.add(accepted('c', 3), 'c');
    expect(recorder.flush()).toBe(true);
    expect(recorded.map((r) => r.entry.guid)).toEqual(['a', 'c']);
    expect(poison.map((p) => p.entry.guid)).toEqual(['bad']);
    expect(recorder.pending).toBe(0);
    expect(recorder.failing).toBeUndefined();
    expect(store.getCursor('acct')).toBe(3);
    store.close();
  });

  it('holds the batch when the disk refuses it, retries, and leaves no timer after close()', () => {
    const { store, clock, recorder, recorded, poison } = setup();
    const real = store.recordInbound.bind(store);
    let diskFull = true;
    store.recordInbound = (...args) => {
      if (diskFull) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return real(...args);
    };
    recorder.add(accepted('a', 1), 'a');
    recorder.add(accepted('b', 2), 'b');
    expect(recorder.flush()).toBe(false);
    expect(recorder.pending).toBe(2);
    expect(recorder.failing?.error).toContain('full');
    expect(poison).toEqual([]);
    clock.increment(RECORD_RETRY_MS);
    expect(recorder.pending).toBe(2);
    diskFull = false;
    clock.increment(RECORD_RETRY_MS);
    expect(recorded.map((r) => r.entry.guid)).toEqual(['a', 'b']);
    expect(recorder.failing).toBeUndefined();

    diskFull = true;
    recorder.add(accepted('c', 3), 'c');
    recorder.flush();
    recorder.close();
    diskFull = false;
    clock.increment(RECORD_RETRY_MS * 5);
    expect(recorder.heldRowids()).toEqual([3]);
    expect(store.getCursor('acct')).toBe(2);
    store.close();
  });

  it('moves the cursor to what each message vouches for (§6.7): imsg cursor, else id or URL-preview row, never backwards', () => {
    const { store, recorder } = setup();
    recorder.add(accepted('a', 10), 'a', 11); // a folded URL-preview row 11
    expect(recorder.flush()).toBe(true);
    expect(store.getCursor('acct')).toBe(11);
    recorder.add(accepted('early', 15), 'early', 11); // out of order: imsg repeats its cursor
    expect(recorder.flush()).toBe(true);
    expect(store.getCursor('acct')).toBe(11);
    recorder.add(accepted('late', 12), 'late', 15); // the frontier completes
    recorder.add(accepted('next', 16), 'next'); // no resume given: its row id
    expect(recorder.flush()).toBe(true);
    expect(store.getCursor('acct')).toBe(16);
    store.close();
  });

  it('waits while a WAL wrap holds the commits, then writes what gathered in one chunk; a shutdown flush does not wait', async () => {
    const home = tempHome();
    homes.push(home);
    const store = GatewayStore.open(home.dbPath);
    let isHeld = true;
    const waiting: Array<() => void> = [];
    const hold: CommitHold = { held: () => isHeld, afterHold: (fn) => void waiting.push(fn) };
    const batches: string[][] = [];
    const recorder = new InboundRecorder<string>({
      accountId: 'acct',
      store,
      clock: new SimulatedClock(),
      logger: silentLogger,
      hold,
      onRecorded: (batch) => batches.push(batch.map((r) => r.entry.guid)),
      onPoison: () => undefined,
    });
    recorder.add(accepted('a', 1), 'a');
    recorder.add(accepted('b', 2), 'b');
    await waitUntil(() => waiting.length === 1, 'the commit slice to find the hold', 10_000, 5);
    recorder.add(accepted('c', 3), 'c');
    expect(batches).toEqual([]);
    expect(store.getCursor('acct')).toBeUndefined();
    expect(waiting).toHaveLength(1); // one wait, whatever arrives meanwhile
    isHeld = false;
    waiting.shift()!();
    await waitUntil(() => batches.length > 0, 'the chunk after the hold', 10_000, 5);
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(store.getCursor('acct')).toBe(3);

    isHeld = true;
    recorder.add(accepted('d', 4), 'd');
    expect(recorder.flush()).toBe(true); // shutdown: written at once, held or not
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
    expect(store.getCursor('acct')).toBe(4);
    recorder.close();
    store.close();
  });
  it('settles the riders (finished turns) in the chunk\'s own transaction; hands them back when it fails', () => {
    const outcomes: string[] = [];
    let next: string[] = [];
    const riders = (): JournalRiders | undefined => {
      if (next.length === 0) return undefined;
      const guids = next;
      next = [];
      return {
        items: guids.map((guid) => ({ guid, replies: [] })),
        committed: () => outcomes.push(`committed ${guids.join(',')}`),
        returned: () => outcomes.push(`returned ${guids.join(',')}`),
      };
    };
    const { store, recorder, recorded, poison } = setup(undefined, riders);
    expect(recorder.commitNow()).toBe(false); // nothing waits
    recorder.add(accepted('a', 1), 'a');
    recorder.add(accepted('b', 2), 'b');
    expect(recorder.flush()).toBe(true);

    // One commit: c journalled, a and b settled.
    next = ['a', 'b'];
    recorder.add(accepted('c', 3), 'c');
    const before = store.commitStats().commits;
    expect(recorder.commitNow()).toBe(true);
    expect(store.commitStats().commits - before).toBe(1);
    expect(outcomes).toEqual(['committed a,b']);
    expect(store.pendingInbound('acct').map((p) => p.guid)).toEqual(['c']);
    expect(store.inboundDecisions('a', 'acct')[0]?.state).toBe('dispatched');

    // A rider the store cannot settle (never journalled) fails the transaction: it is handed back
    // unwritten, and the entry is written alone, not taken for poison.
    next = ['ghost'];
    recorder.add(accepted('d', 4), 'd');
    expect(recorder.commitNow()).toBe(true);
    expect(outcomes).toEqual(['committed a,b', 'returned ghost']);
    expect(recorded.map((r) => r.entry.guid)).toEqual(['a', 'b', 'c', 'd']);
    expect(poison).toEqual([]);
    expect(recorder.pending).toBe(0);
    expect(store.pendingInbound('acct').map((p) => p.guid)).toEqual(['c', 'd']);
    expect(store.getCursor('acct')).toBe(4);
    store.close();
  });
});
