/**
 * Sender lifecycles persisted in a real store file: every event restores the sender's machine
 * from its rows, and a restart (the store closed and opened again) keeps every sender's state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PairingService, PAIRING_TTL_MS } from '../../src/policy/pairing-service.js';
import { SenderLifecycle } from '../../src/policy/sender-lifecycle.js';
import { statusAt } from '../../src/policy/sender-standing.js';
import { GatewayStore } from '../../src/store/index.js';
import { tempHome } from '../store/store-helpers.js';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');
const MIN = 60_000;

let home: ReturnType<typeof tempHome> | undefined;
afterEach(() => home?.cleanup());

/** Deterministic codes: AAAAAAAA, BBBBBBBB, ... */
function sequentialRandom(): (max: number) => number {
  let i = 0;
  return () => Math.floor(i++ / 8) % 24;
}

describe('sender lifecycles in the store', () => {
  it('a restart keeps every sender state: pending, expired, turned-away, approved, denied, revoked, stranger', () => {
    home = tempHome('gw-senders-');
    let store = GatewayStore.open(home.dbPath);
    const service = (s: GatewayStore) => new PairingService(s, { random: sequentialRandom(), maxPending: 2 });
    let pairing = service(store);
    const [pending, expired, away, approved, denied, revoked, stranger] = [1, 2, 3, 4, 5, 6, 7].map((n) => `+1555000000${n}`);

    // expired: a code from long ago; approved and revoked: approved, then one revoked.
    pairing.requestFor('bot', expired!, 2, T0 - 2 * PAIRING_TTL_MS);
    const a = pairing.requestFor('bot', approved!, 4, T0);
    pairing.approve('bot', (a as { code: string }).code, T0 + MIN);
    const r = pairing.requestFor('bot', revoked!, 6, T0);
    pairing.approve('bot', (r as { code: string }).code, T0 + MIN);
    pairing.revoke('bot', revoked!, T0 + 2 * MIN);
    // A denial holds none of the 2 slots; pending and one more stranger reach the cap.
    pairing.requestFor('bot', denied!, 5, T0 + 3 * MIN);
    pairing.deny('bot', denied!, T0 + 4 * MIN);
    pairing.requestFor('bot', pending!, 1, T0 + 5 * MIN);
    pairing.requestFor('bot', '+15550000099', 9, T0 + 5 * MIN);
    expect(pairing.requestFor('bot', away!, 3, T0 + 6 * MIN)).toEqual({ capReached: true });

    const now = T0 + 10 * MIN;
    const statuses = (p: PairingService) =>
      Object.fromEntries([pending, expired, away, approved, denied, revoked, stranger].map((h) => [h, statusAt(p.standing('bot', h!, now), now)]));
    const expected = {
      [pending!]: 'pending',
      [expired!]: 'expired',
      [away!]: 'turned-away',
      [approved!]: 'approved',
      [denied!]: 'denied',
      [revoked!]: 'revoked',
      [stranger!]: 'stranger',
    };
    expect(statuses(pairing)).toEqual(expected);

    store.close();
    store = GatewayStore.open(home.dbPath);
    pairing = service(store);
    expect(statuses(pairing)).toEqual(expected);
    // And the lifecycle goes on from there: the denial ends one TTL after it began.
    const lifecycle = new SenderLifecycle(store, { ttlMs: PAIRING_TTL_MS, clock: { now: () => now } });
    expect(lifecycle.read('bot', pairing.keyOf('bot', denied!), denied!, T0 + 4 * MIN + PAIRING_TTL_MS).value).toBe('stranger');
    expect(lifecycle.read('bot', pairing.keyOf('bot', revoked!), revoked!, now).context).toMatchObject({ until: T0 + 2 * MIN + PAIRING_TTL_MS });
    store.close();
  });

  it('an event the state refuses writes nothing; revoking a sender never approved says so', () => {
    home = tempHome('gw-senders-');
    const store = GatewayStore.open(home.dbPath);
    const lifecycle = new SenderLifecycle(store, { ttlMs: PAIRING_TTL_MS, clock: { now: () => T0 } });
    const who = { accountId: 'bot', handle: 'phone:+15550000001', sender: '+15550000001' };
    const refused = lifecycle.send(who, { type: 'REVOKE', now: T0 }, T0);
    expect(refused.outcome).toEqual({ ok: false, problem: 'not-approved' });
    expect(store.listPairingRequests()).toEqual([]);
    expect(store.listApprovedSenders()).toEqual([]);
    const issued = lifecycle.send(
      who,
      { type: 'MESSAGE', now: T0, sender: who.sender, chatId: 3, capReached: false, newCode: () => 'ABCDEFGH' },
      T0,
      (code) => ({ accountId: 'bot', idempotencyKey: `pairing:bot:${code}`, chatKey: 'handle:+15550000001', target: '{}', text: code, source: 'pairing' }),
    );
    expect(issued.after.value).toBe('pending');
    expect(issued.outboxId).toBeGreaterThan(0);
    expect(store.listPairingRequests()).toMatchObject([{ state: 'pending', code: 'ABCDEFGH', chatId: 3, messages: 1 }]);
    expect(lifecycle.send(who, { type: 'APPROVE', now: T0, code: 'ZZZZZZZZ' }, T0).outcome).toEqual({ ok: false, problem: 'unknown-code' });
    expect(store.listApprovedSenders()).toEqual([]);
    store.close();
  });
});
