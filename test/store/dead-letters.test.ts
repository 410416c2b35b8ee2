/** Dead letters (schema v8): failed and unknown sends, failed agent turns; retry, purge, counts. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore, parseDeadLetterId, type DeadLetterRef } from '../../src/store/index.js';
import { accepted, manualClock, reply, tempHome } from './store-helpers.js';

const ref = (id: string): DeadLetterRef => {
  const parsed = parseDeadLetterId(id);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
};

describe('dead letters', () => {
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

  function failedSend(key: string, account = 'acct'): number {
    const { id } = store.enqueueOutbox(reply(key, { accountId: account }));
    store.markSending(id);
    store.markFailed(id, 'Automation permission denied');
    return id;
  }

  function unknownSend(key: string): number {
    const { id } = store.enqueueOutbox(reply(key));
    store.markSending(id);
    store.markUnknown(id, '-32001 Delivery outcome unknown');
    return id;
  }

  function failedTurn(guid: string, rowid: number): number {
    store.recordInbound('acct', [accepted(guid, rowid)], rowid);
    const id = store.failTurn({
      accountId: 'acct',
      guid,
      chatKey: 'chat:1',
      target: JSON.stringify({ to: 'chat_id:1', chatId: 1 }),
      agentId: 'bot',
      reason: 'command exited with code 3',
      attempts: 3,
      firstAttemptAt: clock.now() - 4000,
    });
    if (id === undefined) throw new Error('no failed turn kept');
    return id;
  }

  test('ids: send-N and turn-N; anything else is refused with the expected form', () => {
    expect(parseDeadLetterId('send-12')).toEqual({ kind: 'send', n: 12 });
    expect(parseDeadLetterId(' TURN-3 ')).toEqual({ kind: 'turn', n: 3 });
    for (const bad of ['12', 'send-', 'send-0', 'send-1.5', 'mail-3', 'send-99999999999999999999']) {
      expect(parseDeadLetterId(bad)).toMatchObject({ problem: expect.stringContaining('send-<number> or turn-<number>') });
    }
  });

  test('lists failed and unknown sends and failed turns with reason, attempts and times, newest first; never queued rows', () => {
    const failed = failedSend('f');
    clock.advance(10);
    const unknown = unknownSend('u');
    clock.advance(10);
    const turn = failedTurn('g1', 5);
    clock.advance(10);
    store.enqueueOutbox(reply('still-queued'));

    const list = store.listDeadLetters();
    expect(list.map((d) => [d.id, d.status])).toEqual([
      [`turn-${turn}`, 'agent-failed'],
      [`send-${unknown}`, 'unknown'],
      [`send-${failed}`, 'failed'],
    ]);
    expect(list[2]).toMatchObject({ accountId: 'acct', reason: 'Automation permission denied', attempts: 1, createdAt: 10_000, lastAttemptAt: 10_000, deadAt: 10_000, chars: 'reply f'.length });
    expect(list[0]).toMatchObject({ reason: 'command exited with code 3', attempts: 3, agentId: 'bot', guid: 'g1', rowid: 5, deadAt: 10_020, envelopeId: 'acct:g1' });
    // The journal row was settled as dropped (agent-failed), so it is not dispatched at the next start.
    expect(store.pendingInbound('acct')).toEqual([]);
    expect(store.dropCounts('acct')).toEqual({ 'agent-failed': 1 });
    expect(store.listDeadLetters('other')).toEqual([]);
    expect(store.listDeadLetters(undefined, 1)).toHaveLength(1);
    expect(store.deadLetterAccounts()).toEqual(['acct']);
    store.enqueueOutbox(reply('b-queued', { accountId: 'b' }));
    expect(store.deadLetterAccounts()).toEqual(['acct', 'b']); // a superset: the caller checks the counts
  });

  test('failTurns: every message of a collected turn is kept and settled in one transaction, or none is', () => {
    store.recordInbound('acct', [accepted('c1', 1), accepted('c2', 2), accepted('c3', 3)], 3);
    const input = (guid: string) => ({
      accountId: 'acct',
      guid,
      chatKey: 'chat:1',
      target: '{}',
      agentId: 'bot',
      reason: 'model unavailable [collected turn of 3 messages; latest c3]',
      attempts: 3,
      firstAttemptAt: 0,
    });
    const ids = store.failTurns(['c1', 'c2', 'c3'].map((guid) => ({ ...input(guid), turnGuid: 'c3' })));
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    const letters = store.listDeadLetters();
    expect(letters.map((l) => l.guid).sort()).toEqual(['c1', 'c2', 'c3']);
    expect(new Set(letters.map((l) => l.reason))).toEqual(new Set(['model unavailable [collected turn of 3 messages; latest c3]']));
    expect(store.pendingInbound('acct')).toEqual([]);
    expect(store.dropCounts('acct')).toEqual({ 'agent-failed': 3 });

    // Retrying any one of them runs the whole turn again: all three back to accepted, the letters gone.
    const middle = letters.find((l) => l.guid === 'c2')!;
    expect(store.retryDeadLetter(ref(middle.id), false)).toEqual({ ok: true, kind: 'turn', accountId: 'acct', guid: 'c2', guids: ['c1', 'c2', 'c3'] });
    expect(store.pendingInbound('acct').map((p) => p.guid)).toEqual(['c1', 'c2', 'c3']);
    expect(store.listDeadLetters()).toEqual([]);
    // A turn of one message (no turnGuid) is retried alone.
    store.recordInbound('acct', [accepted('s1', 9)], 9);
    const [single] = store.failTurns([input('s1')]);
    expect(store.retryDeadLetter({ kind: 'turn', n: single! }, false)).toMatchObject({ ok: true, guid: 's1', guids: ['s1'] });
    store.failTurns(['c1', 'c2', 'c3', 's1'].map(input));

    // A guid the journal never had: the whole call is refused and nothing of it is kept.
    store.recordInbound('acct', [accepted('d1', 4)], 4);
    expect(() => store.failTurns([input('d1'), input('never-journalled')])).toThrow('no inbound journal row');
    expect(store.listDeadLetters().map((l) => l.guid)).not.toContain('d1');
    expect(store.pendingInbound('acct').map((p) => p.guid)).toEqual(['d1']);
  });

  test('a failed turn is kept only while its message is still accepted', () => {
    store.recordInbound('acct', [accepted('g1', 1)], 1);
    store.completeDispatch('acct', 'g1', []);
    expect(
      store.failTurn({ accountId: 'acct', guid: 'g1', chatKey: 'c', target: '{}', agentId: 'bot', reason: 'r', attempts: 1, firstAttemptAt: 0 }),
    ).toBeUndefined();
    expect(store.listDeadLetters()).toEqual([]);
  });

  test('retry of a failed send queues the same row again, attempts from 0; a second retry is refused as in flight', () => {
    const id = failedSend('f');
    expect(store.retryDeadLetter(ref(`send-${id}`))).toEqual({ ok: true, kind: 'send', accountId: 'acct', outboxId: id });
    expect(store.getOutbox(id)).toMatchObject({ state: 'queued', attempts: 0, idempotencyKey: 'f', text: 'reply f' });
    expect(store.retryDeadLetter(ref(`send-${id}`))).toEqual({ ok: false, problem: 'in-flight', state: 'queued' });
    // The same idempotency key still names one row: nothing can insert it a second time.
    expect(store.enqueueOutbox(reply('f'))).toEqual({ id, inserted: false });
    store.markSending(id);
    expect(store.retryDeadLetter(ref(`send-${id}`))).toMatchObject({ ok: false, problem: 'in-flight', state: 'sending' });
    store.markSent(id);
    expect(store.retryDeadLetter(ref(`send-${id}`))).toMatchObject({ ok: false, problem: 'already-sent' });
    expect(store.retryDeadLetter(ref('send-999'))).toEqual({ ok: false, problem: 'not-found' });
  });

  test('retry of an unknown send needs force', () => {
    const id = unknownSend('u');
    expect(store.retryDeadLetter(ref(`send-${id}`))).toMatchObject({ ok: false, problem: 'unknown-needs-force' });
    expect(store.getOutbox(id)?.state).toBe('unknown');
    expect(store.retryDeadLetter(ref(`send-${id}`), true)).toMatchObject({ ok: true, kind: 'send' });
    expect(store.getOutbox(id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(store.getOutbox(id)?.error).toContain('--force');
  });

  test('retry of a failed turn puts its message back to accepted (even after the journal row was pruned) and removes the dead letter', () => {
    const turn = failedTurn('g1', 5);
    clock.advance(100);
    store.prune(clock.now()); // the dropped journal row is gone; the dead letter holds the message
    expect(store.retryDeadLetter(ref(`turn-${turn}`))).toEqual({ ok: true, kind: 'turn', accountId: 'acct', guid: 'g1', guids: ['g1'] });
    expect(store.pendingInbound('acct')).toEqual([{ guid: 'g1', rowid: 5, envelope: accepted('g1', 5).envelope }]);
    expect(store.listDeadLetters()).toEqual([]);
    expect(store.retryDeadLetter(ref(`turn-${turn}`))).toEqual({ ok: false, problem: 'not-found' });
    // It fails again: a new dead letter.
    const again = store.failTurn({ accountId: 'acct', guid: 'g1', chatKey: 'c', target: '{}', agentId: 'bot', reason: 'again', attempts: 3, firstAttemptAt: 0 });
    expect(again).toBeGreaterThan(turn);
  });

  test('purge by id removes failed sends and turns; unknown only with force; never a row in flight', () => {
    const failed = failedSend('f');
    const unknown = unknownSend('u');
    const turn = failedTurn('g1', 5);
    const queued = store.enqueueOutbox(reply('q')).id;
    const sending = store.enqueueOutbox(reply('s')).id;
    store.markSending(sending);

    expect(store.purgeDeadLetter(ref(`send-${queued}`), true)).toEqual({ ok: false, problem: 'in-flight', state: 'queued' });
    expect(store.purgeDeadLetter(ref(`send-${sending}`), true)).toEqual({ ok: false, problem: 'in-flight', state: 'sending' });
    expect(store.purgeDeadLetter(ref(`send-${unknown}`))).toMatchObject({ ok: false, problem: 'unknown-needs-force' });
    expect(store.purgeDeadLetter(ref(`send-${failed}`))).toEqual({ ok: true });
    expect(store.purgeDeadLetter(ref(`turn-${turn}`))).toEqual({ ok: true });
    expect(store.purgeDeadLetter(ref(`turn-${turn}`))).toEqual({ ok: false, problem: 'not-found' });
    expect(store.purgeDeadLetter(ref(`send-${unknown}`), true)).toEqual({ ok: true });
    expect(store.pendingOutbox('acct').map((r) => r.id)).toEqual([queued, sending]);
    expect(store.listDeadLetters()).toEqual([]);
  });

  test('purge by age (and the retention prune) removes only failed rows that died before the cutoff', () => {
    const old = failedSend('old');
    const oldTurn = failedTurn('g1', 1);
    const oldUnknown = unknownSend('u');
    const queued = store.enqueueOutbox(reply('q')).id;
    clock.advance(60_000);
    const fresh = failedSend('fresh');
    const other = failedSend('other', 'b');
    expect(store.purgeDeadLetters(clock.now() - 1000, 'acct')).toEqual({ sends: 1, turns: 1, unknownLeft: 1 });
    expect(store.listDeadLetters().map((d) => d.id).sort()).toEqual([`send-${fresh}`, `send-${oldUnknown}`, `send-${other}`].sort());
    expect(store.getOutbox(old)).toBeUndefined();
    expect(store.deadLetter(`turn-${oldTurn}`)).toBeUndefined();
    expect(store.getOutbox(queued)?.state).toBe('queued');
    expect(store.purgeDeadLetters(clock.now() + 1)).toEqual({ sends: 2, turns: 0, unknownLeft: 1 });
    expect(store.getOutbox(oldUnknown)?.state).toBe('unknown');
  });

  test('delivery counts: pending past the cutoff, unknown, dead letters (failed sends and turns)', () => {
    store.enqueueOutbox(reply('old-queued'));
    clock.advance(10_000);
    store.enqueueOutbox(reply('new-queued'));
    failedSend('f');
    unknownSend('u');
    failedTurn('g1', 1);
    expect(store.deliveryCounts('acct', clock.now() - 5_000)).toEqual({ pendingOverdue: 1, unknown: 1, deadLetters: 2 });
    expect(store.deliveryCounts('b', clock.now())).toEqual({ pendingOverdue: 0, unknown: 0, deadLetters: 0 });
  });
});
