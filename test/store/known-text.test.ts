/** A message's text by guid (issue 17, item 4): what fills envelope.replyTo.text when imsg gives only the guid. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { accepted, manualClock, reply, tempHome } from './store-helpers.js';

describe('knownText', () => {
  let home: ReturnType<typeof tempHome>;
  let store: GatewayStore;
  beforeEach(() => {
    home = tempHome();
    store = GatewayStore.open(home.dbPath, { now: manualClock(10_000).now });
  });
  afterEach(() => {
    store.close();
    home.cleanup();
  });

  test('an inbound message from its journalled envelope, one the gateway sent from its outbox row, nothing otherwise', () => {
    store.recordInbound('acct', [accepted('IN-1', 5)], 5);
    expect(store.knownText('acct', 'IN-1')).toEqual({ text: 'message 5', sender: '+15550001111', fromMe: false });
    expect(store.knownText('other', 'IN-1')).toBeUndefined();

    const { id } = store.enqueueOutbox(reply('k1', { text: 'our answer' }));
    expect(store.knownText('acct', 'OUT-1')).toBeUndefined();
    store.markSending(id, undefined);
    store.markSent(id, { rowid: 9, guid: 'OUT-1' });
    expect(store.knownText('acct', 'OUT-1')).toEqual({ text: 'our answer', fromMe: true });
    expect(store.knownText('acct', 'NOPE')).toBeUndefined();
  });
});
