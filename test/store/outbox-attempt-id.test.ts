/** The attempt id of a tracked send, persisted with the `sending` mark (schema v6; issue 13, item 2). */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { manualClock, reply, tempHome } from './store-helpers.js';

const ID = '8cc0c53a-7844-45ef-8b90-11f8a3e2cb66';

describe('outbox attempt id', () => {
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

  test('starts null; markSending stores it durably in the same step; a plain attempt clears it', () => {
    const { id } = store.enqueueOutbox(reply('k1'));
    expect(store.getOutbox(id)?.attemptId).toBeNull();
    store.markSending(id, ID);
    // Another connection (a gateway restarted after kill -9) sees it.
    const other = new SqliteDatabase(home.dbPath, { readonly: true, fileMustExist: true });
    expect(other.prepare('SELECT state, attempt_id FROM outbox WHERE id = ?').get(id)).toEqual({ state: 'sending', attempt_id: ID });
    other.close();
    store.scheduleRetry(id, 0, 'not started');
    store.markSending(id, ID);
    expect(store.getOutbox(id)).toMatchObject({ state: 'sending', attempts: 2, attemptId: ID });
    // The bridge went away: this attempt goes by plain send and is reconciled by history.
    store.scheduleRetry(id, 0, 'not started');
    store.markSending(id);
    expect(store.getOutbox(id)).toMatchObject({ state: 'sending', attempts: 3, attemptId: null });
  });

  test('a chat.db row is claimed by the row id or by the guid a tracked send recorded', () => {
    const { id } = store.enqueueOutbox(reply('k1'));
    store.markSending(id, ID);
    store.markSent(id, { guid: ID });
    expect(store.isSentRowidClaimed('acct', 77, ID)).toBe(true);
    expect(store.isSentRowidClaimed('acct', 77)).toBe(false);
    expect(store.isSentRowidClaimed('acct', 77, 'OTHER')).toBe(false);
    expect(store.isSentRowidClaimed('other-account', 77, ID)).toBe(false);
  });
});
