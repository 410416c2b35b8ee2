/** The live message flow query: journalled messages newest first, with their replies' outcome; text only when asked for. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
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
});
