/**
 * The live message flow query: journalled messages newest first, with their turn's replies'
 * outcome (a collected turn's for each of its messages, schema 13); text only when asked for. The
 * same turn and replies in `why` (inboundDecisions).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { type DeadLetterRef, GatewayStore, migrate, parseDeadLetterId } from '../../src/store/index.js';
import { accepted, dropped, manualClock, reply, tempHome } from './store-helpers.js';

describe('recentFlow', () => {
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

  const replyTo = (guid: string, key: string, account = 'acct') => reply(key, { accountId: account, envelopeId: `${account}:${guid}` });

  test('each message with its decision, reason and reply outcome, newest first, per account or all', () => {
    store.recordInbound('acct', [accepted('g1', 1)], 1);
    clock.advance(10);
    store.completeDispatch('acct', 'g1', [replyTo('g1', 'r1')]);
    clock.advance(10);
    store.recordInbound('acct', [dropped('g2', 2, 'not-allowed')], 2);
    clock.advance(10);
    store.recordInbound('acct', [accepted('g3', 3)], 3);
    clock.advance(10);
    store.completeDispatch('acct', 'g3', [replyTo('g3', 'r3a'), replyTo('g3', 'r3b')]);
    clock.advance(10);
    store.recordInbound('other', [accepted('g4', 4)], 4);

    const all = store.recentFlow({ limit: 10 });
    expect(all.map((e) => `${e.accountId}:${e.guid}`)).toEqual(['other:g4', 'acct:g3', 'acct:g2', 'acct:g1']);
    const [g4, g3, g2, g1] = all;
    expect(g4).toMatchObject({ decision: 'accepted', reply: null, chatId: 1, sender: '+15550001111', rowid: 4 });
    expect(g3).toMatchObject({ decision: 'dispatched', reply: { count: 2, state: 'queued', error: null } });
    expect(g2).toMatchObject({ decision: 'dropped', reason: 'not-allowed', reply: null });
    expect(g1).toMatchObject({ decision: 'dispatched', reply: { count: 1, state: 'queued' } });
    for (const e of all) expect(e).not.toHaveProperty('text');

    expect(store.recentFlow({ limit: 10, accountId: 'acct' }).map((e) => e.guid)).toEqual(['g3', 'g2', 'g1']);
    expect(store.recentFlow({ limit: 2 }).map((e) => e.guid)).toEqual(['g4', 'g3']);
  });

  test('the least settled reply state wins, with the last error; text only with withText', () => {
    store.recordInbound('acct', [accepted('g1', 1)], 1);
    const [sentId, failedId] = store.completeDispatch('acct', 'g1', [replyTo('g1', 'a'), replyTo('g1', 'b')]);
    store.markSending(sentId!);
    store.markSent(sentId!, {});
    let [entry] = store.recentFlow({ limit: 1 });
    expect(entry!.reply).toEqual({ count: 2, state: 'queued', error: null });
    store.markSending(failedId!);
    store.markFailed(failedId!, 'Automation permission denied');
    [entry] = store.recentFlow({ limit: 1 });
    expect(entry!.reply).toEqual({ count: 2, state: 'failed', error: 'Automation permission denied' });

    store.recordInbound('acct', [accepted('g2', 2)], 2);
    const [withText] = store.recentFlow({ limit: 1, withText: true });
    expect(withText!.text).toBe('message 2');
    const [dropWithText] = (store.recordInbound('acct', [dropped('g3', 3, 'from-me')], 3), store.recentFlow({ limit: 1, withText: true }));
    expect(dropWithText!.text).toBeNull();
  });

  test('the decision trace the journal records comes with each message (absent when none was recorded)', () => {
    store.recordInbound('acct', [dropped('g1', 1, 'not-allowed')], 1);
    store.recordInbound('acct', [{ ...dropped('g2', 2, 'not-allowed'), trace: ['dmPolicy:allowlist', 'allowFrom:miss', 'drop'] }], 2);
    const [g2, g1] = store.recentFlow({ limit: 2 });
    expect(g2!.trace).toEqual(['dmPolicy:allowlist', 'allowFrom:miss', 'drop']);
    expect(g1).not.toHaveProperty('trace');
  });

  test('a collected turn: each earlier message names the turn that answered it, with its replies; the latest counts the earlier ones', () => {
    store.recordInbound('acct', [accepted('c1', 1), accepted('c2', 2), accepted('c3', 3), accepted('solo', 4)], 4);
    clock.advance(10);
    // As the pipeline settles a collected turn: the replies with the latest, every message naming it.
    const settled = store.completeDispatchMany('acct', [
      { guid: 'c1', replies: [], turnGuid: 'c3' },
      { guid: 'c2', replies: [], turnGuid: 'c3' },
      { guid: 'c3', replies: [replyTo('c3', 'rc3')], turnGuid: 'c3' },
      { guid: 'solo', replies: [] },
    ]);
    const replyId = settled[2]![0]!;
    const byGuid = new Map(store.recentFlow({ limit: 10 }).map((e) => [e.guid, e]));
    const turn = { latestGuid: 'c3', earlier: 2 };
    const queued = { count: 1, state: 'queued', error: null };
    expect(byGuid.get('c1')).toMatchObject({ decision: 'dispatched', turn, reply: queued });
    expect(byGuid.get('c2')).toMatchObject({ decision: 'dispatched', turn, reply: queued });
    expect(byGuid.get('c3')).toMatchObject({ decision: 'dispatched', turn, reply: queued });
    expect(byGuid.get('solo')).toMatchObject({ decision: 'dispatched', reply: null });
    expect(byGuid.get('solo')).not.toHaveProperty('turn');

    // The turn's reply moves: every message of it shows the move.
    store.markSending(replyId);
    store.markSent(replyId, {});
    for (const guid of ['c1', 'c2', 'c3']) expect(byGuidNow(guid).reply).toEqual({ count: 1, state: 'sent', error: null });

    // `why` reads the same: the turn and its replies for an earlier message.
    expect(store.inboundDecisions('c1')).toEqual([
      expect.objectContaining({ accountId: 'acct', guid: 'c1', state: 'dispatched', turn, reply: { count: 1, state: 'sent', error: null } }),
    ]);
    expect(store.inboundDecisions('solo', 'acct')[0]).toMatchObject({ turn: null, reply: null });
  });

  test('a collected turn that failed: its messages name the turn; a retry makes them accepted again with no turn', () => {
    store.recordInbound('acct', [accepted('f1', 1), accepted('f2', 2)], 2);
    const input = (guid: string) => ({ accountId: 'acct', guid, chatKey: 'chat:1', target: '{}', agentId: 'bot', reason: 'down', attempts: 3, firstAttemptAt: 0, turnGuid: 'f2' });
    store.failTurns([input('f1'), input('f2')]);
    expect(byGuidNow('f1')).toMatchObject({ decision: 'dropped', reason: 'agent-failed', turn: { latestGuid: 'f2', earlier: 1 }, reply: null });
    const [letter] = store.listDeadLetters().filter((l) => l.guid === 'f1');
    expect(store.retryDeadLetter(parseDeadLetterId(letter!.id) as DeadLetterRef, false)).toMatchObject({ ok: true, guids: ['f1', 'f2'] });
    expect(byGuidNow('f1')).toMatchObject({ decision: 'accepted', reply: null });
    expect(byGuidNow('f1')).not.toHaveProperty('turn');
    expect(store.inboundDecisions('f2', 'acct')[0]).toMatchObject({ state: 'accepted', turn: null });
    // Run again as a turn of one message each (messages.queue followup): no turn is recorded.
    store.completeDispatchMany('acct', [{ guid: 'f1', replies: [] }, { guid: 'f2', replies: [] }]);
    expect(byGuidNow('f1')).not.toHaveProperty('turn');
  });

  const byGuidNow = (guid: string) => store.recentFlow({ limit: 50 }).find((e) => e.guid === guid)!;
});

describe('recentFlow on a database upgraded from schema 12', () => {
  test('rows settled before schema 13 keep their own replies and name no turn', () => {
    const home = tempHome();
    try {
      const raw = new SqliteDatabase(home.dbPath);
      migrate(raw, 12);
      raw.exec(
        `INSERT INTO inbound_journal (account_id, guid, msg_rowid, chat_id, sender, created_at, state, reason, envelope, recorded_at, updated_at)
         VALUES ('acct', 'old', 5, 1, '+1555', 1000, 'dispatched', NULL, NULL, 1000, 1000);
         INSERT INTO outbox (account_id, idempotency_key, chat_key, target, text, source, envelope_id, state, created_at, updated_at)
         VALUES ('acct', 'acct:old:reply:0', 'chat:1', '{}', 'hi', 'reply', 'acct:old', 'sent', 1000, 1000);`,
      );
      raw.close();
      const store = GatewayStore.open(home.dbPath);
      try {
        const [old] = store.recentFlow({ limit: 5 });
        expect(old).toMatchObject({ guid: 'old', decision: 'dispatched', reply: { count: 1, state: 'sent', error: null } });
        expect(old).not.toHaveProperty('turn');
        expect(store.inboundDecisions('old')[0]).toMatchObject({ turn: null, reply: { count: 1, state: 'sent' } });
      } finally {
        store.close();
      }
    } finally {
      home.cleanup();
    }
  });
});
