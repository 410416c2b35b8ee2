import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore, OutboxTransitionError } from '../../src/store/index.js';
import { manualClock, reply, tempHome } from './store-helpers.js';

describe('outbox', () => {
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

  test('enqueue stores every field and starts queued', () => {
    const { id, inserted } = store.enqueueOutbox(
      reply('k1', { file: '/tmp/photo.jpg', envelopeId: 'acct:g1', source: 'cli', text: 'hello', replyTo: 'PARENT-GUID', action: '{"kind":"tapback"}' }),
    );
    expect(inserted).toBe(true);
    expect(store.getOutbox(id)).toEqual({
      id,
      accountId: 'acct',
      idempotencyKey: 'k1',
      chatKey: 'chat:1',
      target: JSON.stringify({ kind: 'chat_id', chatId: 1 }),
      text: 'hello',
      file: '/tmp/photo.jpg',
      source: 'cli',
      envelopeId: 'acct:g1',
      state: 'queued',
      attempts: 0,
      lastAttemptAt: null,
      nextAttemptAt: null,
      error: null,
      createdAt: 10_000,
      updatedAt: 10_000,
      sentRowid: null,
      sentGuid: null,
      attemptId: null,
      replyTo: 'PARENT-GUID',
      action: '{"kind":"tapback"}',
    });
    const bare = store.enqueueOutbox(reply('k2'));
    expect(store.getOutbox(bare.id)).toMatchObject({ file: null, envelopeId: null, replyTo: null, action: null });
    expect(store.getOutbox(9999)).toBeUndefined();
  });

  test('a second insert with the same idempotency key is ignored and returns the existing id', () => {
    const first = store.enqueueOutbox(reply('k1', { text: 'first' }));
    const second = store.enqueueOutbox(reply('k1', { text: 'second', accountId: 'other' }));
    expect(second).toEqual({ id: first.id, inserted: false });
    expect(store.getOutbox(first.id)?.text).toBe('first');
    expect(store.pendingOutbox('other')).toEqual([]);
    // No id was burnt by the ignored insert.
    expect(store.enqueueOutbox(reply('k2')).id).toBe(first.id + 1);
    expect(store.maxOutboxId()).toBe(first.id + 1);
  });

  test('pendingOutbox lists unsettled rows of one account in id order, up to a limit', () => {
    const a = store.enqueueOutbox(reply('a', { chatKey: 'chat:1' })).id;
    const b = store.enqueueOutbox(reply('b', { chatKey: 'chat:2' })).id;
    const x = store.enqueueOutbox(reply('x', { accountId: 'other' })).id;
    const c = store.enqueueOutbox(reply('c', { chatKey: 'chat:1' })).id;
    const d = store.enqueueOutbox(reply('d', { chatKey: 'chat:1' })).id;
    store.markSending(b);
    store.markSending(c);
    store.markUnknown(c, 'deadline');
    store.markSending(d);
    store.markSent(d);
    expect(store.pendingOutbox('acct').map((r) => [r.id, r.state])).toEqual([
      [a, 'queued'],
      [b, 'sending'],
      [c, 'unknown'],
    ]);
    expect(store.pendingOutbox('acct', 2).map((r) => r.id)).toEqual([a, b]);
    expect(store.pendingOutbox('other').map((r) => r.id)).toEqual([x]);
    // Rows of one chat come back in the order they were queued.
    expect(store.pendingOutbox('acct').filter((r) => r.chatKey === 'chat:1').map((r) => r.id)).toEqual([a, c]);
  });

  test('send lifecycle: queued → sending → sent records attempts, times and the sent message', () => {
    const { id } = store.enqueueOutbox(reply('k'));
    clock.set(11_000);
    store.markSending(id);
    expect(store.getOutbox(id)).toMatchObject({ state: 'sending', attempts: 1, lastAttemptAt: 11_000, updatedAt: 11_000 });
    clock.set(12_000);
    store.markSent(id, { rowid: 555, guid: 'sent-guid' });
    expect(store.getOutbox(id)).toMatchObject({ state: 'sent', attempts: 1, sentRowid: 555, sentGuid: 'sent-guid', updatedAt: 12_000 });
    // Marking it sent again is harmless; retrying or failing a sent row is refused.
    store.markSent(id);
    expect(store.getOutbox(id)?.sentGuid).toBe('sent-guid');
    expect(() => store.scheduleRetry(id, 20_000, 'again?')).toThrow(OutboxTransitionError);
    expect(() => store.markFailed(id, 'nope')).toThrow(OutboxTransitionError);
    expect(() => store.markSending(id)).toThrow(OutboxTransitionError);
  });

  test('scheduleRetry returns a row to queued with the next attempt time and error', () => {
    const { id } = store.enqueueOutbox(reply('k'));
    store.markSending(id);
    store.scheduleRetry(id, 15_000, 'imsg exited');
    expect(store.getOutbox(id)).toMatchObject({ state: 'queued', attempts: 1, nextAttemptAt: 15_000, error: 'imsg exited' });
    clock.set(15_000);
    store.markSending(id);
    expect(store.getOutbox(id)).toMatchObject({ state: 'sending', attempts: 2, nextAttemptAt: null, lastAttemptAt: 15_000 });
  });

  test('an unknown outcome must be reconciled (sent or rescheduled) before another attempt', () => {
    const { id } = store.enqueueOutbox(reply('k'));
    store.markSending(id);
    store.markUnknown(id, 'send deadline passed');
    expect(store.getOutbox(id)).toMatchObject({ state: 'unknown', error: 'send deadline passed' });
    expect(() => store.markSending(id)).toThrow(/only allowed from queued/);
    store.scheduleRetry(id, 0, 'reconciled: not in history');
    store.markSending(id);
    store.markUnknown(id, 'child died mid-send');
    store.markSent(id, { guid: 'found-in-history' });
    expect(store.getOutbox(id)).toMatchObject({ state: 'sent', attempts: 2, sentGuid: 'found-in-history' });
  });

  test('markFailed settles a row with its reason; failedOutbox lists the most recent first', () => {
    const a = store.enqueueOutbox(reply('a')).id;
    const b = store.enqueueOutbox(reply('b')).id;
    store.markSending(a);
    store.markFailed(a, 'Automation denied');
    store.markFailed(b, 'invalid target');
    expect(store.getOutbox(a)).toMatchObject({ state: 'failed', error: 'Automation denied' });
    expect(store.failedOutbox('acct').map((r) => [r.id, r.error])).toEqual([
      [b, 'invalid target'],
      [a, 'Automation denied'],
    ]);
    expect(store.failedOutbox('acct', 1).map((r) => r.id)).toEqual([b]);
    expect(store.pendingOutbox('acct')).toEqual([]);
  });

  test('transitions of a missing row are refused', () => {
    expect(() => store.markSending(42)).toThrow(/does not exist/);
  });

  test('outboxStats: depth, oldest queued, failed and unknown per account', () => {
    expect(store.outboxStats('acct')).toEqual({ depth: 0, oldestQueuedAt: null, failed: 0, unknown: 0 });
    clock.set(1_000);
    const old = store.enqueueOutbox(reply('old')).id;
    clock.set(2_000);
    const mid = store.enqueueOutbox(reply('mid')).id;
    clock.set(3_000);
    store.enqueueOutbox(reply('new'));
    const bad = store.enqueueOutbox(reply('bad')).id;
    store.enqueueOutbox(reply('elsewhere', { accountId: 'other' }));
    store.markSending(mid);
    store.markUnknown(mid, 'deadline');
    store.markFailed(bad, 'invalid target');
    expect(store.outboxStats('acct')).toEqual({ depth: 3, oldestQueuedAt: 1_000, failed: 1, unknown: 1 });
    store.markSending(old);
    store.markSent(old);
    expect(store.outboxStats('acct')).toEqual({ depth: 2, oldestQueuedAt: 2_000, failed: 1, unknown: 1 });
    expect(store.outboxStats('other')).toMatchObject({ depth: 1, failed: 0 });
  });

  test('maxOutboxId sees rows another connection inserted, and never goes down after a prune', () => {
    expect(store.maxOutboxId()).toBe(0);
    const other = GatewayStore.open(home.dbPath, { now: clock.now });
    const { id } = other.enqueueOutbox(reply('from-cli', { source: 'cli' }));
    other.close();
    expect(store.maxOutboxId()).toBe(id);
    store.markSending(id);
    store.markSent(id);
    clock.advance(1);
    store.prune(clock.now());
    expect(store.getOutbox(id)).toBeUndefined();
    expect(store.maxOutboxId()).toBe(id);
    expect(store.enqueueOutbox(reply('next')).id).toBe(id + 1);
  });

  test('prune deletes sent rows settled before the cutoff, never unsettled ones; failed rows are dead letters it keeps', () => {
    clock.set(1_000);
    const sent = store.enqueueOutbox(reply('sent')).id;
    const failed = store.enqueueOutbox(reply('failed')).id;
    const queued = store.enqueueOutbox(reply('queued')).id;
    const unknown = store.enqueueOutbox(reply('unknown')).id;
    store.markSending(sent);
    store.markSent(sent);
    store.markFailed(failed, 'x');
    store.markSending(unknown);
    store.markUnknown(unknown, 'deadline');
    clock.set(5_000);
    const lateSent = store.enqueueOutbox(reply('late')).id;
    store.markSending(lateSent);
    store.markSent(lateSent);

    expect(store.prune(2_000)).toEqual({ journal: 0, outbox: 1 });
    expect(store.getOutbox(sent)).toBeUndefined();
    expect(store.getOutbox(failed)?.state).toBe('failed');
    expect(store.purgeDeadLetters(2_000)).toEqual({ sends: 1, turns: 0, unknownLeft: 1 });
    expect(store.getOutbox(failed)).toBeUndefined();
    expect(store.getOutbox(lateSent)?.state).toBe('sent');
    expect(store.prune(100_000)).toEqual({ journal: 0, outbox: 1 });
    expect(store.pendingOutbox('acct').map((r) => r.id)).toEqual([queued, unknown]);
    // The key of a pruned row is free again only after the prune: inserting it now makes a new row.
    expect(store.enqueueOutbox(reply('sent')).inserted).toBe(true);
  });
});
