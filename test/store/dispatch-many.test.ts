import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { accepted, reply, tempHome } from './store-helpers.js';

describe('completeDispatchMany (group commit of finished agent turns)', () => {
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

  test('settles several messages and queues their replies in one call, idempotently', () => {
    store.recordInbound('acct', [accepted('a', 1), accepted('b', 2), accepted('c', 3)], 3);
    const ids = store.completeDispatchMany('acct', [
      { guid: 'a', replies: [reply('a:0')] },
      { guid: 'b', replies: [] },
      { guid: 'c', replies: [reply('c:0'), reply('c:1')] },
    ]);
    expect(ids.map((x) => x.length)).toEqual([1, 0, 2]);
    expect(store.journalLag('acct')).toBe(0);
    expect(store.outboxStats('acct').depth).toBe(3);
    expect(store.completeDispatchMany('acct', [{ guid: 'a', replies: [reply('a:0')] }])).toEqual([ids[0]]);
    expect(store.outboxStats('acct').depth).toBe(3);
  });

  test('a batch of 100 finished turns is one commit', () => {
    store.recordInbound('acct', Array.from({ length: 100 }, (_, i) => accepted(`m${i}`, i + 1)), 100);
    const before = store.commitStats().commits;
    store.completeDispatchMany('acct', Array.from({ length: 100 }, (_, i) => ({ guid: `m${i}`, replies: i % 10 === 0 ? [reply(`m${i}:0`)] : [] })));
    expect(store.commitStats().commits - before).toBe(1);
    expect(store.journalLag('acct')).toBe(0);
    expect(store.outboxStats('acct').depth).toBe(10);
  });

  test('is all or nothing: one unknown message rolls the whole batch back', () => {
    store.recordInbound('acct', [accepted('a', 1)], 1);
    expect(() =>
      store.completeDispatchMany('acct', [
        { guid: 'a', replies: [reply('a:0')] },
        { guid: 'never-journalled', replies: [] },
      ]),
    ).toThrow(/no inbound journal row/);
    expect(store.journalLag('acct')).toBe(1);
    expect(store.outboxStats('acct').depth).toBe(0);
  });
});

describe('replaceInboundEnvelope', () => {
  test('updates the envelope of an accepted message only, so a re-dispatch carries what it gained', () => {
    const home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    try {
      store.recordInbound('acct', [accepted('a', 1), accepted('b', 2)], 2);
      expect(store.replaceInboundEnvelope('acct', 'a', '{"id":"acct:a","history":[{"text":"earlier"}]}')).toBe(true);
      expect(store.pendingInbound('acct').find((r) => r.guid === 'a')?.envelope).toContain('earlier');
      store.completeDispatch('acct', 'b', []);
      expect(store.replaceInboundEnvelope('acct', 'b', '{}')).toBe(false);
      expect(store.replaceInboundEnvelope('acct', 'missing', '{}')).toBe(false);
    } finally {
      store.close();
      home.cleanup();
    }
  });
});
