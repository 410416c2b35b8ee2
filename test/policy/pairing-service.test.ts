import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatePairingCode, PAIRING_CODE_ALPHABET, canonicalPairingCode, isPairingCodeShape } from '../../src/policy/pairing-code.js';
import { PairingError, PairingService, pairingReplyText, PAIRING_TTL_MS } from '../../src/policy/pairing-service.js';
import { statusAt } from '../../src/policy/sender-standing.js';
import { GatewayStore } from '../../src/store/index.js';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');
const MIN = 60_000;

/** Deterministic codes: AAAAAAAA, BBBBBBBB, ... (each draw of 8 characters uses the next letter). */
function sequentialRandom(): (max: number) => number {
  let i = 0;
  return () => Math.floor(i++ / 8) % PAIRING_CODE_ALPHABET.length;
}

/** The sender's status at `now`, or cap-reached when a code would be due but none is left. */
function stateOf(pairing: PairingService, accountId: string, handle: string, now: number): string {
  const standing = pairing.standing(accountId, handle, now);
  const status = statusAt(standing, now);
  const wouldPair = status === 'stranger' || status === 'expired' || status === 'turned-away';
  return wouldPair && standing.capReached ? 'cap-reached' : status;
}

describe('pairing codes', () => {
  it('are 8 characters from the unambiguous alphabet, from crypto.randomInt by default', () => {
    expect(PAIRING_CODE_ALPHABET).not.toMatch(/[0O1I]/);
    for (let i = 0; i < 300; i++) {
      const code = generatePairingCode();
      expect(code).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/);
      expect(isPairingCodeShape(code)).toBe(true);
    }
    expect(new Set(Array.from({ length: 200 }, () => generatePairingCode())).size).toBeGreaterThan(195);
  });

  it('use the injected random source', () => {
    expect(generatePairingCode(() => 0)).toBe('AAAAAAAA');
    expect(generatePairingCode(() => PAIRING_CODE_ALPHABET.length - 1)).toBe('99999999');
  });

  it('are read case-insensitively', () => {
    expect(canonicalPairingCode('  abcd2345 ')).toBe('ABCD2345');
  });
});

describe('PairingService', () => {
  let dir: string;
  let store: GatewayStore;
  let pairing: PairingService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-pairing-'));
    store = GatewayStore.open(join(dir, 'state.db'));
    pairing = new PairingService(store, { random: sequentialRandom(), region: (id) => (id === 'uk' ? 'GB' : 'US') });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues one code per stranger; writing again does not issue another or extend it', () => {
    expect(pairing.requestFor('bot', '+15551234567', 5, T0)).toEqual({ code: 'AAAAAAAA', created: true, expiresAt: T0 + PAIRING_TTL_MS });
    expect(pairing.requestFor('bot', '+1 (555) 123-4567', 5, T0 + 30 * MIN)).toEqual({
      code: 'AAAAAAAA',
      created: false,
      expiresAt: T0 + PAIRING_TTL_MS,
    });
    expect(stateOf(pairing, 'bot', '+15551234567', T0 + 59 * MIN)).toBe('pending');
  });

  it('a code expires 1 hour after it was issued (injected clock)', () => {
    pairing.requestFor('bot', '+15551234567', 5, T0);
    expect(stateOf(pairing, 'bot', '+15551234567', T0 + 60 * MIN - 1)).toBe('pending');
    expect(stateOf(pairing, 'bot', '+15551234567', T0 + 60 * MIN)).toBe('expired');
    expect(() => pairing.approve('bot', 'AAAAAAAA', T0 + 60 * MIN)).toThrow(PairingError);
    expect(() => pairing.approve('bot', 'AAAAAAAA', T0 + 60 * MIN)).toThrow(/expired at 2026-01-15T13:00:00.000Z/);
    expect(pairing.list('bot', T0 + 60 * MIN)).toMatchObject([{ code: 'AAAAAAAA', expired: true }]);
    // the next message issues a new code, with a new hour
    expect(pairing.requestFor('bot', '+15551234567', 5, T0 + 61 * MIN)).toEqual({
      code: 'BBBBBBBB',
      created: true,
      expiresAt: T0 + 121 * MIN,
    });
    expect(pairing.approve('bot', 'bbbbbbbb', T0 + 62 * MIN)).toMatchObject({ accountId: 'bot', handle: '+15551234567' });
  });

  it('at most 3 codes pending per account; a 4th stranger is turned away without a code and listed', () => {
    for (const [i, h] of ['+15550000001', '+15550000002', 'c@d.ee'].entries()) {
      expect(pairing.requestFor('bot', h, i, T0)).toMatchObject({ created: true });
    }
    expect(stateOf(pairing, 'bot', '+15550000004', T0)).toBe('cap-reached');
    expect(pairing.requestFor('bot', '+15550000004', 9, T0)).toEqual({ capReached: true });
    expect(pairing.requestFor('bot', '+15550000004', 9, T0 + MIN)).toEqual({ capReached: true });
    // a sender with a pending code is still "pending", not cap-reached
    expect(stateOf(pairing, 'bot', 'C@D.EE', T0)).toBe('pending');
    // another account has its own 3
    expect(pairing.requestFor('personal', '+15550000004', 9, T0)).toMatchObject({ created: true });

    const listed = pairing.list('bot', T0 + MIN);
    expect(listed.filter((e) => e.state === 'pending')).toHaveLength(3);
    expect(listed.filter((e) => e.state === 'cap-dropped')).toEqual([
      expect.objectContaining({ handle: '+15550000004', chatId: 9, code: null, messages: 2, expired: false }),
    ]);
    // once the codes expire there is room again
    expect(pairing.requestFor('bot', '+15550000004', 9, T0 + 60 * MIN)).toMatchObject({ created: true });
  });

  it('approval is case-insensitive, adds the sender to the account, and consumes the code', () => {
    pairing.requestFor('bot', '+1 (555) 123-4567', 5, T0);
    expect(pairing.isApproved('bot', '+15551234567')).toBe(false);
    expect(pairing.approve('bot', '  aaaaaaaa ', T0 + MIN)).toEqual({
      accountId: 'bot',
      handle: '+1 (555) 123-4567',
      handleKey: 'phone:+15551234567',
      chatId: 5,
    });
    expect(pairing.isApproved('bot', '+15551234567')).toBe(true);
    expect(pairing.isApproved('bot', 'imessage:5551234567')).toBe(true);
    expect(pairing.list('bot', T0 + MIN)).toEqual([]);
    // The code is spent: approving it again says it was already approved, and changes nothing.
    expect(pairing.approve('bot', 'AAAAAAAA', T0 + 2 * MIN)).toMatchObject({ accountId: 'bot', handle: '+1 (555) 123-4567', alreadyApproved: true });
    expect(pairing.approved('bot')).toEqual([expect.objectContaining({ approvedAt: T0 + MIN, code: 'AAAAAAAA' })]);
    expect(() => pairing.approve('personal', 'AAAAAAAA', T0 + MIN)).toThrow(/unknown pairing code AAAAAAAA for account personal/);
  });

  it('is per account: approving on one account never opens another', () => {
    pairing.requestFor('personal', 'jane@example.com', 5, T0);
    expect(() => pairing.approve('bot', 'AAAAAAAA', T0)).toThrow(/unknown pairing code AAAAAAAA for account bot/);
    expect(pairing.approve(undefined, 'AAAAAAAA', T0)).toMatchObject({ accountId: 'personal', handle: 'jane@example.com' });
    expect(pairing.isApproved('personal', 'Jane@Example.com')).toBe(true);
    expect(pairing.isApproved('bot', 'jane@example.com')).toBe(false);
    expect(stateOf(pairing, 'bot', 'jane@example.com', T0)).toBe('stranger');
  });

  it('normalises with the account region', () => {
    pairing.requestFor('uk', '07700 900123', 5, T0);
    pairing.approve('uk', 'AAAAAAAA', T0);
    expect(pairing.isApproved('uk', '+447700900123')).toBe(true);
  });

  it('survives a restart: pending codes and approvals are in the store', () => {
    pairing.requestFor('bot', '+15550000001', 1, T0);
    pairing.requestFor('bot', '+15550000002', 2, T0);
    pairing.approve('bot', 'AAAAAAAA', T0);
    store.close();
    store = GatewayStore.open(join(dir, 'state.db'));
    pairing = new PairingService(store);
    expect(pairing.isApproved('bot', '+15550000001')).toBe(true);
    expect(stateOf(pairing, 'bot', '+15550000002', T0 + MIN)).toBe('pending');
    expect(pairing.approve(undefined, 'bbbbbbbb', T0 + MIN)).toMatchObject({ accountId: 'bot', handle: '+15550000002' });
  });

  it('rejects empty input clearly', () => {
    expect(() => pairing.approve('bot', '  ', T0)).toThrow(/no pairing code/);
    expect(() => pairing.requestFor('bot', ' ', 1, T0)).toThrow(/needs a sender/);
  });

  it('the reply tells the sender their id, the code and the approval command', () => {
    const text = pairingReplyText('ABCD2345', '+15551234567');
    expect(text).toContain('Your iMessage sender id: +15551234567');
    expect(text).toContain('Pairing code: ABCD2345');
    expect(text).toContain('imessage-gateway pairing approve imessage ABCD2345');
    expect(pairing.pairingReplyText('ABCD2345', '+15551234567')).toBe(text);
  });

  describe('deny and revoke (issue 16)', () => {
    const H = '+15551234567';

    it('deny by code (case-insensitive): the code stops working, the sender gets no reply and no new code for one TTL, then is a stranger again', () => {
      pairing.requestFor('bot', H, 5, T0);
      expect(pairing.deny(undefined, ' aaaaaaaa ', T0 + MIN)).toEqual({
        accountId: 'bot',
        handle: H,
        handleKey: 'phone:+15551234567',
        until: T0 + MIN + PAIRING_TTL_MS,
        code: 'AAAAAAAA',
      });
      expect(() => pairing.approve(undefined, 'AAAAAAAA', T0 + 2 * MIN)).toThrow(/unknown pairing code AAAAAAAA/);
      expect(stateOf(pairing, 'bot', H, T0 + 2 * MIN)).toBe('denied');
      expect(pairing.requestFor('bot', H, 5, T0 + 2 * MIN)).toEqual({ denied: true, until: T0 + MIN + PAIRING_TTL_MS });
      expect(store.pendingOutbox('bot')).toEqual([]);
      expect(pairing.list('bot', T0 + 2 * MIN)).toMatchObject([{ state: 'denied', code: null, handle: H, expired: false }]);
      expect(() => pairing.deny('bot', H, T0 + 3 * MIN)).toThrow(/already denied until/);
      // A denial does not hold one of the 3 pending slots.
      for (const [i, h] of ['+15550000001', '+15550000002', '+15550000003'].entries()) {
        expect(pairing.requestFor('bot', h, i, T0 + 3 * MIN)).toMatchObject({ created: true });
      }
      expect(stateOf(pairing, 'bot', H, T0 + MIN + PAIRING_TTL_MS)).toBe('cap-reached');
      // Once the hour has passed (and the others' codes expired), the sender is a stranger again: a new code.
      const after = T0 + 3 * MIN + PAIRING_TTL_MS;
      expect(stateOf(pairing, 'bot', H, after)).toBe('stranger');
      expect(pairing.requestFor('bot', H, 5, after)).toMatchObject({ created: true });
    });

    it('deny by handle covers a turned-away stranger; unknown, expired and approved codes say which', () => {
      for (const [i, h] of ['+15550000001', '+15550000002', '+15550000003'].entries()) pairing.requestFor('bot', h, i, T0);
      expect(pairing.requestFor('bot', H, 9, T0)).toEqual({ capReached: true });
      expect(pairing.deny('bot', '+1 (555) 123-4567', T0 + MIN)).toMatchObject({ accountId: 'bot', handle: H, code: null });
      expect(stateOf(pairing, 'bot', H, T0 + MIN)).toBe('denied');

      expect(() => pairing.deny(undefined, 'ZZZZZZZZ', T0)).toThrow(/no pairing request with code ZZZZZZZZ or from "ZZZZZZZZ"/);
      expect(() => pairing.deny(undefined, '+15559999999', T0)).toThrow(/no pairing request from "\+15559999999"/);
      expect(() => pairing.deny(undefined, 'AAAAAAAA', T0 + 2 * PAIRING_TTL_MS)).toThrow(/expired at/);
      expect(() => pairing.deny('personal', 'AAAAAAAA', T0)).toThrow(PairingError);
      pairing.approve(undefined, 'BBBBBBBB', T0 + MIN);
      expect(() => pairing.deny(undefined, 'bbbbbbbb', T0 + 2 * MIN)).toThrow(/already approved at .*pairing revoke \+15550000002/);
      expect(() => pairing.deny(undefined, '   ', T0)).toThrow(/give the pairing code or the sender handle/);
    });

    it('revoke: an approved sender loses approval and is denied for one TTL; one never approved says so', () => {
      pairing.requestFor('bot', H, 5, T0);
      pairing.approve(undefined, 'AAAAAAAA', T0 + MIN);
      expect(pairing.isApproved('bot', H)).toBe(true);
      expect(pairing.revoke(undefined, 'imessage:+1 555 123 4567', T0 + 2 * MIN)).toEqual({
        accountId: 'bot',
        handle: H,
        handleKey: 'phone:+15551234567',
        until: T0 + 2 * MIN + PAIRING_TTL_MS,
      });
      expect(pairing.isApproved('bot', H)).toBe(false);
      expect(pairing.approved('bot')).toEqual([]);
      expect(stateOf(pairing, 'bot', H, T0 + 3 * MIN)).toBe('revoked');
      expect(stateOf(pairing, 'bot', H, T0 + 2 * MIN + PAIRING_TTL_MS)).toBe('stranger');
      expect(pairing.requestFor('bot', H, 5, T0 + 3 * MIN)).toEqual({ denied: true, until: T0 + 2 * MIN + PAIRING_TTL_MS });
      expect(() => pairing.revoke(undefined, H, T0 + 3 * MIN)).toThrow(/\+15551234567 is not an approved sender; nothing was revoked/);
      expect(() => pairing.revoke('bot', '+15550000042', T0)).toThrow(/is not an approved sender on account bot/);
      // The approved code of a revoked sender is not "already approved" any more.
      expect(() => pairing.approve(undefined, 'AAAAAAAA', T0 + 4 * MIN)).toThrow(/unknown pairing code/);
    });

    it('a handle approved on two accounts needs --account', () => {
      store.addApprovedSender('bot', 'phone:+15551234567', H);
      store.addApprovedSender('personal', 'phone:+15551234567', H);
      expect(() => pairing.revoke(undefined, H, T0)).toThrow(/on several accounts \(bot, personal\); add --account ID/);
      expect(pairing.revoke('Personal', H, T0)).toMatchObject({ accountId: 'personal' });
      expect(pairing.isApproved('bot', H)).toBe(true);
    });

    it('a restart keeps a denial (it lives in state.db)', () => {
      pairing.requestFor('bot', H, 5, T0);
      pairing.deny(undefined, 'AAAAAAAA', T0);
      store.close();
      store = GatewayStore.open(join(dir, 'state.db'));
      pairing = new PairingService(store);
      expect(stateOf(pairing, 'bot', H, T0 + MIN)).toBe('denied');
    });
  });
});
