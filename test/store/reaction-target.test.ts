/** store.reactionTarget (issue 17, item 3): what the gateway knows about a tapback's target. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { accepted, dropped, reply, tempHome } from './store-helpers.js';

describe('reactionTarget', () => {
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

  test('a reply the gateway sent (by its delivered guid), with its text', () => {
    const { id } = store.enqueueOutbox(reply('k1', { text: 'on my way' }));
    store.markSending(id);
    store.markSent(id, { rowid: 40, guid: 'SENT-GUID' });
    expect(store.reactionTarget('acct', 'SENT-GUID')).toEqual({ fromGateway: true, text: 'on my way' });
    expect(store.reactionTarget('other', 'SENT-GUID')).toBeUndefined();
  });

  test('an accepted inbound message: its envelope text and sender; a dropped one: the sender only', () => {
    store.recordInbound('acct', [accepted('IN-1', 5), dropped('IN-2', 6, 'no-mention')], 6);
    expect(store.reactionTarget('acct', 'IN-1')).toEqual({ fromGateway: false, text: 'message 5', sender: '+15550001111' });
    expect(store.reactionTarget('acct', 'IN-2')).toEqual({ fromGateway: false, sender: '+15550001111' });
  });

  test('a message the gateway never saw: undefined', () => {
    expect(store.reactionTarget('acct', 'NOPE')).toBeUndefined();
  });
});
