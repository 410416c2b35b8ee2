import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { afterEach, describe, expect, test } from 'vitest';
import { GatewayStore, MAX_TURNED_AWAY, LATEST_SCHEMA_VERSION, migrate, type PairingRequestInput } from '../../src/store/index.js';
import { accepted, dropped, reply, tempHome } from './store-helpers.js';

const HOUR = 3_600_000;

function input(over: Partial<PairingRequestInput> = {}): PairingRequestInput {
  let n = 0;
  return {
    accountId: 'acct',
    handle: 'phone:+15551234567',
    sender: '+15551234567',
    chatId: 5,
    now: 1_000_000,
    ttlMs: HOUR,
    maxPending: 3,
    newCode: () => `CODE${String(++n).padStart(4, 'A')}`,
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
    expect(store.requestPairing(input())).toMatchObject({ created: true });
    expect(store.appendGroupHistory('acct', 1, { sender: 'a', text: 'b', at: 'c' }, 5)).toBe(true);
    store.recordInbound('acct', [accepted('g-new', 121), dropped('g-d2', 122, 'reaction')], 122);
    expect(store.completeDispatch('acct', 'g-new', [reply('r1')])).toHaveLength(1);
    store.close();
  });
});

describe('pairing tables', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('a request, its repeat, expiry, the cap and approval', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    const first = store.requestPairing(input());
    expect(first).toEqual({ code: 'CODEAAA1', created: true, expiresAt: 1_000_000 + HOUR });
    expect(store.requestPairing(input({ now: 1_000_500 }))).toMatchObject({ code: 'CODEAAA1', created: false });
    expect(store.pairingRequest('acct', 'phone:+15551234567')).toMatchObject({ messages: 2, lastSeenAt: 1_000_500, createdAt: 1_000_000 });

    // after expiry a new code is issued, with a fresh hour
    const later = 1_000_000 + HOUR;
    expect(store.requestPairing(input({ now: later, newCode: () => 'NEWCODE2' }))).toEqual({ code: 'NEWCODE2', created: true, expiresAt: later + HOUR });

    // the cap counts other unexpired requests of the same account only
    store.requestPairing(input({ handle: 'h2', now: later, newCode: () => 'CODEBBB2' }));
    store.requestPairing(input({ handle: 'h3', now: later, newCode: () => 'CODECCC3' }));
    store.requestPairing(input({ accountId: 'other', handle: 'h4', now: later, newCode: () => 'CODEDDD4' }));
    expect(store.requestPairing(input({ handle: 'h5', now: later }))).toEqual({ capReached: true });
    expect(store.requestPairing(input({ handle: 'h5', now: later + 1 }))).toEqual({ capReached: true });
    expect(store.pairingRequest('acct', 'h5')).toMatchObject({ state: 'cap-dropped', code: null, messages: 2, createdAt: later });

    expect(store.approvePairing('other', 'NEWCODE2', later)).toEqual({ ok: false, problem: 'unknown' });
    expect(store.approvePairing(undefined, 'NOPE', later)).toEqual({ ok: false, problem: 'unknown' });
    expect(store.approvePairing(undefined, 'NEWCODE2', later)).toEqual({
      ok: true,
      accountId: 'acct',
      handle: 'phone:+15551234567',
      sender: '+15551234567',
      chatId: 5,
    });
    expect(store.isApprovedSender('acct', 'phone:+15551234567')).toBe(true);
    expect(store.isApprovedSender('other', 'phone:+15551234567')).toBe(false);
    expect(store.pairingRequest('acct', 'phone:+15551234567')).toBeUndefined();

    // a slot is free again: the turned-away stranger gets a code at their next message
    expect(store.requestPairing(input({ handle: 'h5', now: later + 2, newCode: () => 'CODEEEE5' }))).toMatchObject({ code: 'CODEEEE5', created: true });
    store.close();
  });

  test('an expired code cannot be approved', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.requestPairing(input({ newCode: () => 'EXPIRED2' }));
    expect(store.approvePairing('acct', 'EXPIRED2', 1_000_000 + HOUR)).toEqual({
      ok: false,
      problem: 'expired',
      accountId: 'acct',
      expiresAt: 1_000_000 + HOUR,
      sender: '+15551234567',
    });
    expect(store.isApprovedSender('acct', 'phone:+15551234567')).toBe(false);
    store.close();
  });

  test('a code already in use (any account) is drawn again', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.requestPairing(input({ accountId: 'a', newCode: () => 'SAMECODE' }));
    const draws = ['SAMECODE', 'SAMECODE', 'OTHERONE'];
    expect(store.requestPairing(input({ accountId: 'b', newCode: () => draws.shift()! }))).toMatchObject({ code: 'OTHERONE' });
    store.close();
  });

  test('the reply is queued in the same transaction as a new request, and only then', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    const replyFor = (code: string) => reply(`pairing:acct:${code}`, { source: 'pairing', text: `code ${code}` });
    store.requestPairing(input({ newCode: () => 'REPLYCDE', reply: replyFor }));
    store.requestPairing(input({ now: 1_000_001, reply: replyFor }));
    expect(store.pendingOutbox('acct').map((r) => r.text)).toEqual(['code REPLYCDE']);
    store.close();
  });

  test('lists, approved senders and pruning', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.requestPairing(input({ newCode: () => 'LISTCODE' }));
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
    for (let i = 0; i < 3; i++) store.requestPairing(input({ handle: `pending-${i}`, newCode: () => `PENDING${i}` }));
    for (let i = 0; i < 1047; i++) {
      expect(store.requestPairing(input({ handle: `stranger-${i}`, now: 1_000_000 + i }))).toEqual({ capReached: true });
    }
    // the other account is not touched by this one's flood
    store.requestPairing(input({ accountId: 'other', handle: 'o', newCode: () => 'OTHERACC' }));
    const rows = store.listPairingRequests('acct');
    const dropped = rows.filter((r) => r.state === 'cap-dropped');
    expect(dropped).toHaveLength(MAX_TURNED_AWAY);
    expect(new Set(dropped.map((r) => r.handle))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `stranger-${947 + i}`)));
    expect(rows.filter((r) => r.state === 'pending')).toHaveLength(3);
    expect(store.listPairingRequests('other')).toHaveLength(1);
    // a stranger seen again counts as recent and is kept over older ones
    store.requestPairing(input({ handle: 'stranger-947', now: 2_000_000 }));
    store.requestPairing(input({ handle: 'stranger-new', now: 2_000_001 }));
    const kept = store.listPairingRequests('acct').filter((r) => r.state === 'cap-dropped').map((r) => r.handle);
    expect(kept).toContain('stranger-947');
    expect(kept).not.toContain('stranger-948');
    expect(kept).toHaveLength(MAX_TURNED_AWAY);
    store.close();
  });
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
    const denied = store.denyPairing({ code: 'CODEAAAA' }, 2000, 2000 + HOUR);
    expect(denied).toEqual({ ok: true, accountId: 'acct', handle: 'phone:+15551234567', sender: '+15551234567', until: 2000 + HOUR, wasCode: 'CODEAAAA' });
    expect(store.pairingRequest('acct', 'phone:+15551234567')).toMatchObject({ state: 'denied', code: null, chatId: 5, messages: 2, expiresAt: 2000 + HOUR });
    // The code is free again, and a denied sender writing again is told nothing (no outbox row).
    expect(store.requestPairing(input({ now: 3000 }))).toEqual({ denied: true, until: 2000 + HOUR });
    expect(store.pendingOutbox('acct')).toEqual([]);
    expect(store.denyPairing({ accountId: 'acct', handle: 'phone:+15551234567' }, 3000, 3000 + HOUR)).toMatchObject({ ok: false, problem: 'already-denied' });
    expect(store.denyPairing({ code: 'NOSUCHCO' }, 3000, 3000 + HOUR)).toEqual({ ok: false, problem: 'unknown' });
    // Revoking: only an approved sender; it leaves a denial behind.
    expect(store.revokeApproval('acct', 'phone:+15550000042', 3000, 3000 + HOUR)).toEqual({ ok: false, problem: 'not-approved' });
    store.addApprovedSender('acct', 'phone:+15550000042', '+15550000042');
    expect(store.revokeApproval('acct', 'phone:+15550000042', 3000, 3000 + HOUR)).toMatchObject({ ok: true, sender: '+15550000042' });
    expect(store.isApprovedSender('acct', 'phone:+15550000042')).toBe(false);
    expect(store.pairingRequest('acct', 'phone:+15550000042')).toMatchObject({ state: 'denied', expiresAt: 3000 + HOUR });
    // An expired denial is pruned like an expired code.
    expect(store.prunePairingRequests(3000 + 2 * HOUR)).toBeGreaterThanOrEqual(2);
    expect(store.listPairingRequests('acct').filter((r) => r.state === 'denied')).toEqual([]);
    store.close();
  });
});
