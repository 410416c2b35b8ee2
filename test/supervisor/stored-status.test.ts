/**
 * Issue 15 (idle CPU): the store's part of an account's status is read once per store commit. On a
 * real store file, with a spy counting the store's reads: an unchanged store answers twice with
 * one set of queries; a commit (of any account) makes the next status read again and see it; a
 * vanished file is never answered from what was kept.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { StoredStatus, type StoredStatusStore } from '../../src/supervisor/stored-status.js';
import { accepted, manualClock, reply, tempHome } from '../store/store-helpers.js';

describe('StoredStatus', () => {
  let home: ReturnType<typeof tempHome>;
  let store: GatewayStore;
  let reads: string[];
  let counted: StoredStatusStore;

  beforeEach(() => {
    home = tempHome();
    const clock = manualClock(1_000_000);
    store = GatewayStore.open(home.dbPath, { now: clock.now });
    reads = [];
    const read = <K extends 'getCursor' | 'cursorGeneration' | 'outboxStats' | 'journalLag'>(name: K) =>
      ((accountId: string) => {
        reads.push(name);
        return (store[name] as (id: string) => unknown).call(store, accountId);
      }) as GatewayStore[K];
    counted = {
      commitStats: () => store.commitStats(),
      get vanished() {
        return store.vanished;
      },
      getCursor: read('getCursor'),
      cursorGeneration: read('cursorGeneration'),
      outboxStats: read('outboxStats'),
      journalLag: read('journalLag'),
    };
  });
  afterEach(() => {
    store.close();
    home.cleanup();
  });

  it('answers an unchanged store twice with one set of queries', () => {
    store.recordInbound('acct', [accepted('g1', 5)], 5);
    const stored = new StoredStatus(counted, 'acct');
    const first = stored.read();
    expect(reads).toEqual(['getCursor', 'cursorGeneration', 'outboxStats', 'journalLag']);
    expect(first).toMatchObject({ cursor: 5, generation: { generation: 1 }, durable: { journalLag: 1, outbox: { depth: 0 } } });
    reads = [];
    expect(stored.read()).toEqual(first);
    expect(stored.read()).toEqual(first);
    expect(reads).toEqual([]);
  });

  it('reads again after any commit and shows what it wrote', () => {
    const stored = new StoredStatus(counted, 'acct');
    expect(stored.read()).toMatchObject({ cursor: undefined, generation: null, durable: { journalLag: 0, outbox: { depth: 0 } } });
    store.enqueueOutbox(reply('r1'));
    reads = [];
    expect(stored.read()).toMatchObject({ durable: { outbox: { depth: 1 } } });
    expect(reads).toHaveLength(4);
    // A commit of another account also counts: the view is read again (and is the same).
    store.recordInbound('other', [accepted('g2', 9)], 9);
    reads = [];
    expect(stored.read()).toMatchObject({ cursor: undefined, durable: { outbox: { depth: 1 } } });
    expect(reads).toHaveLength(4);
    reads = [];
    stored.read();
    expect(reads).toEqual([]);
  });

  it('keeps nothing once the store file vanished: the store cannot say, and is asked again each time', () => {
    store.recordInbound('acct', [accepted('g1', 5)], 5);
    const stored = new StoredStatus(counted, 'acct');
    expect(stored.read().cursor).toBe(5);
    rmSync(home.dbPath);
    expect(store.fileProblem()?.kind).toBe('vanished');
    reads = [];
    const asked = ['getCursor', 'cursorGeneration', 'outboxStats']; // each refused (journalLag is not reached)
    expect(stored.read()).toEqual({ cursor: undefined, generation: null, durable: undefined });
    expect(reads).toEqual(asked);
    reads = [];
    stored.read();
    expect(reads).toEqual(asked);
  });
});
