import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { afterEach, describe, expect, test } from 'vitest';
import { PairingService } from '../../src/policy/pairing-service.js';
import { GatewayStore, MAX_TURNED_AWAY, LATEST_SCHEMA_VERSION, migrate, type PairingRequestRow } from '../../src/store/index.js';
import { accepted, dropped, reply, tempHome } from './store-helpers.js';

const HOUR = 3_600_000;

/** A request row with defaults (the sender lifecycle writes whole rows: src/policy/sender-lifecycle.ts). */
function row(over: Partial<PairingRequestRow> = {}): PairingRequestRow {
  return {
    accountId: 'acct',
    handle: 'phone:+15551234567',
    sender: '+15551234567',
    chatId: 5,
    state: 'pending',
    code: 'CODEAAA1',
    createdAt: 1_000_000,
    expiresAt: 1_000_000 + HOUR,
    lastSeenAt: 1_000_000,
    messages: 1,
    revokedAt: null,
    ...over,
  };
}

describe('schema version 3', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('is the latest version and adds the access-policy tables', () => {
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.close();
    const db = new Database(home.dbPath, { readonly: true });
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['pairing_requests', 'approved_senders', 'group_history']));
    db.close();
  });

  test('a version-2 database with data is upgraded in place and keeps its rows', () => {
    home = tempHome();
    const db = new Database(home.dbPath);
    migrate(db, 2);
    db.prepare('INSERT INTO account_cursor (account_id, last_rowid, updated_at) VALUES (?, ?, ?)').run('acct', 120, 1000);
    db.prepare(
      `INSERT INTO inbound_journal (account_id, guid, msg_rowid, chat_id, sender, created_at, state, reason, envelope, recorded_at, updated_at)
       VALUES ('acct', 'g-accepted', 119, 1, '+1555', 1000, 'accepted', NULL, '{"id":"acct:g-accepted"}', 1000, 1000),
              ('acct', 'g-dropped', 120, 1, '+1555', 1000, 'dropped', 'no-mention', NULL, 1000, 1000)`,
    ).run();
    db.prepare(
      `INSERT INTO outbox (account_id, idempotency_key, chat_key, target, text, source, created_at, updated_at)
       VALUES ('acct', 'k1', 'chat:1', '{}', 'queued before the upgrade', 'cli', 1000, 1000)`,
    ).run();
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();

    const store = GatewayStore.open(home.dbPath);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.getCursor('acct')).toBe(120);
    expect(store.pendingInbound('acct')).toEqual([{ guid: 'g-accepted', rowid: 119, envelope: '{"id":"acct:g-accepted"}' }]);
    expect(store.dropCounts('acct')).toEqual({ 'no-mention': 1 });
    expect(store.pendingOutbox('acct').map((r) => r.text)).toEqual(['queued before the upgrade']);
    // the new tables work on the upgraded file, and the old ones still do
    expect(new PairingService(store).requestFor('acct', '+15551234567', 5, 1_000_000)).toMatchObject({ created: true });
    expect(store.appendGroupHistory('acct', 1, { sender: 'a', text: 'b', at: 'c' }, 5)).toBe(true);
    store.recordInbound('acct', [accepted('g-new', 121), dropped('g-d2', 122, 'reaction')], 122);
    expect(store.completeDispatch('acct', 'g-new', [reply('r1')])).toHaveLength(1);
    store.close();
  });
});

describe('pairing tables', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('a sender row is written whole and found by handle and by code; approved senders by handle and code', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.putPairingRequest(row());
    store.putPairingRequest(row({ messages: 2, lastSeenAt: 1_000_500 }));
    expect(store.pairingRequest('acct', 'phone:+15551234567')).toEqual(row({ messages: 2, lastSeenAt: 1_000_500 }));
    expect(store.pairingRequestByCode('CODEAAA1')).toMatchObject({ accountId: 'acct', handle: 'phone:+15551234567' });
    expect(store.pairingRequestByCode('NOPE')).toBeUndefined();
    // The cap counts other unexpired pending requests of the same account only.
    store.putPairingRequest(row({ handle: 'h2', code: 'CODEBBB2' }));
    store.putPairingRequest(row({ handle: 'h3', code: 'CODECCC3', expiresAt: 1_000_000 }));
    store.putPairingRequest(row({ accountId: 'other', handle: 'h4', code: 'CODEDDD4' }));
    expect(store.livePairingRequests('acct', 1_000_001)).toBe(2);
    expect(store.livePairingRequests('acct', 1_000_001, 'h2')).toBe(1);
    store.putApprovedSender('acct', 'phone:+15551234567', '+15551234567', 2_000_000, 'CODEAAA1');
    store.removePairingRequest('acct', 'phone:+15551234567');
    expect(store.isApprovedSender('acct', 'phone:+15551234567')).toBe(true);
    expect(store.isApprovedSender('other', 'phone:+15551234567')).toBe(false);
    expect(store.approvedSenderByCode('CODEAAA1')).toMatchObject({ accountId: 'acct', approvedAt: 2_000_000 });
    expect(store.approvedSender('acct', 'phone:+15551234567')).toMatchObject({ sender: '+15551234567', code: 'CODEAAA1' });
    expect(store.pairingRequest('acct', 'phone:+15551234567')).toBeUndefined();
    store.close();
  });

  test('a code already in use (any account) is drawn again', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.putPairingRequest(row({ accountId: 'a', code: 'SAMECODE' }));
    const draws = ['SAMECODE', 'SAMECODE', 'OTHERONE'];
    expect(store.freshPairingCode(() => draws.shift()!)).toBe('OTHERONE');
    store.close();
  });

  test('a sender transaction is all or nothing', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    expect(() =>
      store.senderTransaction(() => {
        store.putPairingRequest(row());
        store.enqueueOutbox(reply('pairing:acct:CODEAAA1', { source: 'pairing' }));
        throw new Error('carrying out failed');
      }),
    ).toThrow('carrying out failed');
    expect(store.listPairingRequests()).toEqual([]);
    expect(store.pendingOutbox('acct')).toEqual([]);
    store.close();
  });

  test('lists, approved senders and pruning', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.putPairingRequest(row({ code: 'LISTCODE' }));
    store.addApprovedSender('acct', 'email:a@b.co', 'a@b.co');
    expect(store.listPairingRequests().map((r) => r.code)).toEqual(['LISTCODE']);
    expect(store.listPairingRequests('nobody')).toEqual([]);
    expect(store.listApprovedSenders('acct').map((r) => r.sender)).toEqual(['a@b.co']);
    expect(store.removeApprovedSender('acct', 'email:a@b.co')).toBe(true);
    expect(store.prunePairingRequests(1_000_000 + HOUR - 1)).toBe(0);
    expect(store.prunePairingRequests(1_000_000 + HOUR + 1)).toBe(1);
    store.close();
  });

  test('turned-away strangers are capped per account: a flood of 1,047 keeps the newest 100', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    const pairing = new PairingService(store);
    const T = 1_000_000;
    for (let i = 0; i < 3; i++) pairing.requestFor('acct', `pending-${i}@example.com`, 1, T);
    for (let i = 0; i < 1047; i++) {
      expect(pairing.requestFor('acct', `stranger-${i}@example.com`, 1, T + i)).toEqual({ capReached: true });
    }
    // the other account is not touched by this one's flood
    pairing.requestFor('other', 'o@example.com', 1, T);
    const rows = store.listPairingRequests('acct');
    const dropped = rows.filter((r) => r.state === 'cap-dropped');
    expect(dropped).toHaveLength(MAX_TURNED_AWAY);
    expect(new Set(dropped.map((r) => r.sender))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `stranger-${947 + i}@example.com`)));
    expect(rows.filter((r) => r.state === 'pending')).toHaveLength(3);
    expect(store.listPairingRequests('other')).toHaveLength(1);
    // a stranger seen again counts as recent and is kept over older ones
    pairing.requestFor('acct', 'stranger-947@example.com', 1, T + 5000);
    pairing.requestFor('acct', 'stranger-new@example.com', 1, T + 5001);
    const kept = store.listPairingRequests('acct').filter((r) => r.state === 'cap-dropped').map((r) => r.sender);
    expect(kept).toContain('stranger-947@example.com');
    expect(kept).not.toContain('stranger-948@example.com');
    expect(kept).toHaveLength(MAX_TURNED_AWAY);
    store.close();
  }, 60_000); // 1,050 committed transactions
});

describe('schema version 9: denied requests (issue 16)', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('a version-8 database keeps its pairing requests, and a denied row takes no code', () => {
    home = tempHome();
    const db = new Database(home.dbPath);
    migrate(db, 8);
    db.prepare(
      `INSERT INTO pairing_requests (account_id, handle, sender, chat_id, state, code, created_at, expires_at, last_seen_at, messages)
       VALUES ('acct', 'phone:+15551234567', '+15551234567', 5, 'pending', 'CODEAAAA', 1000, 1000 + ${HOUR}, 1000, 2),
              ('acct', 'phone:+15550000009', '+15550000009', 6, 'cap-dropped', NULL, 1000, 1000, 1000, 1)`,
    ).run();
    expect(() =>
      db.prepare(
        `INSERT INTO pairing_requests (account_id, handle, sender, chat_id, state, code, created_at, expires_at, last_seen_at)
         VALUES ('acct', 'x', 'x', 1, 'denied', NULL, 1, 1, 1)`,
      ).run(),
    ).toThrow(/CHECK/);
    db.close();

    const store = GatewayStore.open(home.dbPath);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.listPairingRequests('acct').map((r) => [r.state, r.code, r.messages])).toEqual([
      ['pending', 'CODEAAAA', 2],
      ['cap-dropped', null, 1],
    ]);
    // Deny through the sender lifecycle: the code stops working, and the row keeps its chat and count.
    const pairing = new PairingService(store);
    expect(pairing.deny(undefined, '+1 555 123 4567', 2000)).toMatchObject({ accountId: 'acct', handle: '+15551234567', code: 'CODEAAAA', until: 2000 + HOUR });
    expect(store.pairingRequest('acct', 'phone:+15551234567')).toMatchObject({ state: 'denied', code: null, chatId: 5, messages: 2, expiresAt: 2000 + HOUR, revokedAt: null });
    expect(pairing.requestFor('acct', '+15551234567', 5, 3000)).toEqual({ denied: true, until: 2000 + HOUR });
    expect(store.pendingOutbox('acct')).toEqual([]);
    // Revoking leaves a denial behind, marked as a revocation (schema 10).
    store.addApprovedSender('acct', 'phone:+15550000042', '+15550000042');
    expect(pairing.revoke('acct', '+15550000042', 3000)).toMatchObject({ handle: '+15550000042', until: 3000 + HOUR });
    expect(store.isApprovedSender('acct', 'phone:+15550000042')).toBe(false);
    expect(store.pairingRequest('acct', 'phone:+15550000042')).toMatchObject({ state: 'denied', expiresAt: 3000 + HOUR, revokedAt: 3000 });
    // An expired denial is pruned like an expired code.
    expect(store.prunePairingRequests(3000 + 2 * HOUR)).toBeGreaterThanOrEqual(2);
    expect(store.listPairingRequests('acct').filter((r) => r.state === 'denied')).toEqual([]);
    store.close();
  });
});
