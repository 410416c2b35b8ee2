import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { manualClock, reply, tempHome } from './store-helpers.js';

describe('breaker state and fair-scheduling reads (schema v4)', () => {
  let home: ReturnType<typeof tempHome>;
  let clock: ReturnType<typeof manualClock>;
  let store: GatewayStore;
  beforeEach(() => {
    home = tempHome();
    clock = manualClock(10_000);
    store = GatewayStore.open(home.dbPath, { now: clock.now });
  });
  afterEach(() => {
    store.close();
    home.cleanup();
  });

  test('a chat with unpaid turns or a pause survives reopening; a settled chat leaves no row', () => {
    store.saveBreakerChat('acct', { chatKey: 'chat:1', unpaid: 3, pausedAt: 9000 });
    store.saveBreakerChat('acct', { chatKey: 'chat:2', unpaid: 1, pausedAt: null });
    store.saveBreakerChat('other', { chatKey: 'chat:1', unpaid: 2, pausedAt: null });
    store.saveBreakerChat('acct', { chatKey: 'chat:2', unpaid: 0, pausedAt: null });
    store.close();
    store = GatewayStore.open(home.dbPath, { now: clock.now });
    expect(store.breakerChats('acct')).toEqual([{ chatKey: 'chat:1', unpaid: 3, pausedAt: 9000 }]);
    expect(store.breakerChats('other')).toEqual([{ chatKey: 'chat:1', unpaid: 2, pausedAt: null }]);
  });

  test('heads: the oldest unsettled row of every chat, however many rows one chat has queued', () => {
    for (let i = 0; i < 600; i++) store.enqueueOutbox(reply(`big:${i}`, { chatKey: 'chat:big', envelopeId: 'env-big' }));
    const small = store.enqueueOutbox(reply('small', { chatKey: 'chat:small', envelopeId: 'env-small' })).id;
    store.enqueueOutbox(reply('elsewhere', { accountId: 'other', chatKey: 'chat:x' }));
    const heads = store.outboxHeads('acct');
    expect(heads.map((h) => [h.row.chatKey, h.row.idempotencyKey, h.startsTurn])).toEqual([
      ['chat:big', 'big:0', true],
      ['chat:small', 'small', true],
    ]);
    expect(heads[1]?.row.id).toBe(small);
    // The oldest 500 unsettled rows (the old drain window) would not have shown chat:small at all.
    expect(store.pendingOutbox('acct', 500).some((r) => r.chatKey === 'chat:small')).toBe(false);
  });

  test('a row that continues a reply turn does not start one; settled rows are not heads', () => {
    const ids = [0, 1, 2].map((j) => store.enqueueOutbox(reply(`env-a:reply:0:${j}`, { envelopeId: 'env-a' })).id);
    store.enqueueOutbox(reply('cli-1', { source: 'cli' }));
    store.markSending(ids[0]!);
    store.markSent(ids[0]!);
    expect(store.outboxHeads('acct').map((h) => [h.row.id, h.startsTurn])).toEqual([[ids[1], false]]);
    store.markSending(ids[1]!);
    store.markUnknown(ids[1]!, 'deadline');
    expect(store.outboxHeads('acct').map((h) => [h.row.id, h.row.state, h.startsTurn])).toEqual([[ids[1], 'unknown', false]]);
  });

  test('reply turns not yet counted (first row not sent) are counted per chat', () => {
    store.enqueueOutbox(reply('e1:0', { envelopeId: 'e1' }));
    store.enqueueOutbox(reply('e1:1', { envelopeId: 'e1' }));
    store.enqueueOutbox(reply('e2:0', { envelopeId: 'e2' }));
    const begun = store.enqueueOutbox(reply('e3:0', { envelopeId: 'e3' })).id;
    store.enqueueOutbox(reply('e3:1', { envelopeId: 'e3' }));
    store.enqueueOutbox(reply('e4:0', { envelopeId: 'e4', chatKey: 'chat:2' }));
    store.enqueueOutbox(reply('cli', { source: 'cli', chatKey: 'chat:3' }));
    const inFlight = store.enqueueOutbox(reply('e5:0', { envelopeId: 'e5' })).id;
    store.markSending(begun);
    store.markSent(begun);
    store.markSending(inFlight);
    expect([...store.unstartedReplyTurns('acct')]).toEqual([
      ['chat:1', 3],
      ['chat:2', 1],
    ]);
  });

  test('recently sent reply texts, oldest first, from the given time on', () => {
    const a = store.enqueueOutbox(reply('a', { text: 'old' })).id;
    const b = store.enqueueOutbox(reply('b', { text: 'new' })).id;
    const c = store.enqueueOutbox(reply('c', { text: 'from the cli', source: 'cli' })).id;
    store.markSent(a);
    clock.advance(60_000);
    store.markSent(b);
    store.markSent(c);
    expect(store.recentSentReplies('acct', 10_001)).toEqual([{ chatKey: 'chat:1', text: 'new', at: 70_000 }]);
  });
});
