import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { accepted, dropped, manualClock, reply, tempHome } from './store-helpers.js';

describe('cursor and inbound journal', () => {
  let home: ReturnType<typeof tempHome>;
  let store: GatewayStore;
  beforeEach(() => {
    home = tempHome();
    store = GatewayStore.open(home.dbPath);
  });
  afterEach(() => {
    store.close();
    home.cleanup();
  });

  test('a new account has no cursor; the cursor never moves backwards', () => {
    expect(store.getCursor('acct')).toBeUndefined();
    store.setCursor('acct', 100);
    store.setCursor('acct', 50);
    expect(store.getCursor('acct')).toBe(100);
    store.setCursor('acct', 101);
    expect(store.getCursor('acct')).toBe(101);
    expect(store.getCursor('other')).toBeUndefined();
  });

  test('recordInbound advances the cursor with the batch and never backwards', () => {
    expect(store.recordInbound('acct', [accepted('a', 10), accepted('b', 11)], 11)).toEqual([true, true]);
    expect(store.getCursor('acct')).toBe(11);
    store.recordInbound('acct', [accepted('c', 5)], 5);
    expect(store.getCursor('acct')).toBe(11);
    // An empty batch still moves the cursor (rows imsg emitted that the gateway skips entirely).
    store.recordInbound('acct', [], 20);
    expect(store.getCursor('acct')).toBe(20);
  });

  test('a guid seen again is a duplicate whatever its row id, within a batch and across batches', () => {
    expect(store.recordInbound('acct', [accepted('a', 1), accepted('a', 2)], 2)).toEqual([true, false]);
    expect(store.recordInbound('acct', [accepted('b', 3), accepted('a', 99)], 99)).toEqual([true, false]);
    expect(store.pendingInbound('acct').map((r) => [r.guid, r.rowid])).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    // The same guid on another account is a different message.
    expect(store.recordInbound('other', [accepted('a', 1)], 1)).toEqual([true]);
  });

  test('dedupe survives a reopen', () => {
    store.recordInbound('acct', [accepted('a', 1)], 1);
    store.close();
    store = GatewayStore.open(home.dbPath);
    expect(store.recordInbound('acct', [accepted('a', 7), accepted('b', 8)], 8)).toEqual([false, true]);
  });

  test('the batch is one transaction: a failing entry rolls back the whole batch and the cursor', () => {
    store.recordInbound('acct', [accepted('a', 1)], 1);
    const bad = { ...accepted('c', 3), chatId: 'not a number' as unknown as number };
    expect(() => store.recordInbound('acct', [accepted('b', 2), bad], 3)).toThrow();
    expect(store.getCursor('acct')).toBe(1);
    expect(store.pendingInbound('acct').map((r) => r.guid)).toEqual(['a']);
  });

  test('an accepted entry without an envelope is refused before anything is written', () => {
    const { envelope: _drop, ...noEnvelope } = accepted('a', 1);
    expect(() => store.recordInbound('acct', [noEnvelope], 1)).toThrow(/envelope/);
    expect(store.getCursor('acct')).toBeUndefined();
  });

  test('pendingInbound returns only accepted rows, lowest row id first', () => {
    store.recordInbound('acct', [accepted('c', 30), dropped('x', 31, 'not-allowed'), accepted('a', 10)], 31);
    store.recordInbound('acct', [accepted('b', 20)], 20);
    expect(store.pendingInbound('acct')).toEqual([
      { guid: 'a', rowid: 10, envelope: accepted('a', 10).envelope },
      { guid: 'b', rowid: 20, envelope: accepted('b', 20).envelope },
      { guid: 'c', rowid: 30, envelope: accepted('c', 30).envelope },
    ]);
    expect(store.journalLag('acct')).toBe(3);
  });

  test('completeDispatch moves accepted → dispatched and queues the replies, idempotently', () => {
    store.recordInbound('acct', [accepted('a', 1), accepted('b', 2)], 2);
    const ids = store.completeDispatch('acct', 'a', [reply('a:0'), reply('a:1')]);
    expect(ids).toHaveLength(2);
    expect(store.pendingInbound('acct').map((r) => r.guid)).toEqual(['b']);
    expect(store.journalLag('acct')).toBe(1);
    expect(store.pendingOutbox('acct').map((r) => r.idempotencyKey)).toEqual(['a:0', 'a:1']);

    const again = store.completeDispatch('acct', 'a', [reply('a:0'), reply('a:1')]);
    expect(again).toEqual(ids);
    expect(store.pendingOutbox('acct')).toHaveLength(2);
    expect(store.maxOutboxId()).toBe(Math.max(...ids));
  });

  test('completeDispatch with no replies just settles the row', () => {
    store.recordInbound('acct', [accepted('a', 1)], 1);
    expect(store.completeDispatch('acct', 'a', [])).toEqual([]);
    expect(store.journalLag('acct')).toBe(0);
  });

  test('completeDispatch is atomic: a bad reply leaves the message accepted and nothing queued', () => {
    store.recordInbound('acct', [accepted('a', 1)], 1);
    const bad = { ...reply('a:1'), text: null as unknown as string };
    expect(() => store.completeDispatch('acct', 'a', [reply('a:0'), bad])).toThrow();
    expect(store.journalLag('acct')).toBe(1);
    expect(store.pendingOutbox('acct')).toEqual([]);
  });

  test('completeDispatch and dropInbound refuse a message that was never journalled', () => {
    expect(() => store.completeDispatch('acct', 'nope', [reply('x')])).toThrow(/no inbound journal row/);
    expect(() => store.dropInbound('acct', 'nope', 'agent-failed')).toThrow(/no inbound journal row/);
    expect(store.pendingOutbox('acct')).toEqual([]);
  });

  test('dropInbound moves accepted → dropped; dropCounts counts by reason', () => {
    store.recordInbound(
      'acct',
      [accepted('a', 1), dropped('b', 2, 'not-allowed'), dropped('c', 3, 'not-allowed'), dropped('d', 4, 'backlog')],
      4,
    );
    store.dropInbound('acct', 'a', 'agent-failed');
    expect(store.journalLag('acct')).toBe(0);
    expect(store.dropCounts('acct')).toEqual({ 'not-allowed': 2, backlog: 1, 'agent-failed': 1 });
    expect(store.dropCounts('other')).toEqual({});
  });

  test('a dispatched row is not dropped afterwards, nor a dropped one dispatched', () => {
    store.recordInbound('acct', [accepted('a', 1), accepted('b', 2)], 2);
    store.completeDispatch('acct', 'a', []);
    store.dropInbound('acct', 'a', 'late');
    store.dropInbound('acct', 'b', 'agent-failed');
    store.completeDispatch('acct', 'b', []);
    expect(store.dropCounts('acct')).toEqual({ 'agent-failed': 1 });
  });

  test('a dropped entry without a reason is counted as unspecified', () => {
    store.recordInbound('acct', [{ ...dropped('a', 1, 'x'), reason: undefined }], 1);
    expect(store.dropCounts('acct')).toEqual({ unspecified: 1 });
  });
});

describe('prune of the journal', () => {
  test('deletes dispatched and dropped rows settled before the cutoff, never accepted ones', () => {
    const home = tempHome();
    const clock = manualClock(1_000);
    const store = GatewayStore.open(home.dbPath, { now: clock.now });
    store.recordInbound('acct', [accepted('a', 1), accepted('b', 2), dropped('c', 3, 'x'), accepted('d', 4)], 4);
    store.completeDispatch('acct', 'a', []);
    clock.set(5_000);
    store.completeDispatch('acct', 'b', []);
    expect(store.prune(2_000)).toEqual({ journal: 2, outbox: 0 }); // a and c
    expect(store.pendingInbound('acct').map((r) => r.guid)).toEqual(['d']);
    expect(store.prune(10_000)).toEqual({ journal: 1, outbox: 0 }); // b
    expect(store.journalLag('acct')).toBe(1);
    expect(store.getCursor('acct')).toBe(4);
    store.close();
    home.cleanup();
  });
});
