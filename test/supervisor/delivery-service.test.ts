/** The operator's side of dead letters over a real store: views, refusals with the fix, removed accounts. */
import { afterEach, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { DeliveryError, discardDelivery, listDelivery, retryDelivery } from '../../src/supervisor/delivery-service.js';
import { isTypedError } from '../../src/util/typed-error.js';
import { manualClock, reply, tempHome } from '../store/store-helpers.js';

const homes: Array<{ cleanup(): void }> = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.cleanup();
});

function setup() {
  const home = tempHome();
  homes.push(home);
  const store = GatewayStore.open(home.dbPath, { now: manualClock(1_700_000_000_000).now });
  const dead = (key: string, accountId: string, unknown = false) => {
    const { id } = store.enqueueOutbox(reply(key, { accountId, target: JSON.stringify({ to: '+15550001111' }), file: '/tmp/stage/photo.jpg' }));
    store.markSending(id);
    if (unknown) store.markUnknown(id, 'deadline');
    else store.markFailed(id, 'invalid target');
    return `send-${id}`;
  };
  return { store, dead };
}

function refusal(fn: () => unknown): DeliveryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  throw new Error('not refused');
}

test('views: target, file name only, times as ISO, notes for unknown outcomes and removed accounts', () => {
  const { store, dead } = setup();
  const kept = dead('a', 'main');
  const orphan = dead('b', 'old');
  const unknown = dead('c', 'main', true);
  const views = listDelivery(store, {}, ['main']);
  const byId = new Map(views.map((v) => [v.id, v]));
  expect(byId.get(kept)).toMatchObject({ to: '+15550001111', file: 'photo.jpg', accountMissing: false, note: null, deadAt: '2023-11-14T22:13:20.000Z' });
  expect(byId.get(orphan)).toMatchObject({ accountMissing: true, note: expect.stringContaining('account "old" is no longer in the config') });
  expect(byId.get(unknown)?.note).toContain('may already have been delivered');
  // Without a config (the demo), nothing is called missing.
  expect(listDelivery(store, { account: 'OLD' }, undefined)).toEqual([expect.objectContaining({ id: orphan, accountMissing: false })]);
  store.close();
});

test('refusals are typed errors with the fix and the API status; a removed account is refused before anything changes', () => {
  const { store, dead } = setup();
  const orphan = dead('b', 'old');
  const unknown = dead('c', 'main', true);
  const missing = refusal(() => retryDelivery(store, orphan, true, ['main']));
  expect(missing).toMatchObject({ kind: 'account-missing', status: 409, recovery: 'operator' });
  expect(missing.remediation).toContain(`delivery purge ${orphan}`);
  expect(isTypedError(missing)).toBe(true);
  expect(store.deadLetter(orphan)?.status).toBe('failed');
  expect(refusal(() => retryDelivery(store, unknown, false, ['main']))).toMatchObject({ kind: 'unknown-outcome', status: 409 });
  expect(refusal(() => retryDelivery(store, 'send-x', false, ['main']))).toMatchObject({ kind: 'bad-id', status: 400 });
  expect(refusal(() => retryDelivery(store, 'turn-9', false, ['main']))).toMatchObject({ kind: 'not-found', status: 404 });
  expect(retryDelivery(store, unknown, true, ['main'])).toMatchObject({ kind: 'send', account: 'main' });
  expect(refusal(() => discardDelivery(store, unknown, true))).toMatchObject({ kind: 'in-flight', status: 409 });
  expect(discardDelivery(store, orphan, false)).toEqual({ id: orphan });
  store.close();
});
