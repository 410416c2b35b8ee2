import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairingService } from '../../src/policy/pairing-service.js';
import { AccessPolicy } from '../../src/policy/access-policy.js';
import type { InboundPolicy } from '../../src/policy/policy-config.js';
import { STRANGER, type SenderStanding } from '../../src/policy/sender-standing.js';
import { GatewayStore } from '../../src/store/index.js';
import { attachment, group, msg, policy } from './policy-fixtures.js';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');

describe('AccessPolicy', () => {
  let dir: string;
  let store: GatewayStore;
  const open = () => GatewayStore.open(join(dir, 'state.db'));
  const access = (p: Partial<InboundPolicy> = {}, historyLimit = 3, accountId = 'bot') =>
    new AccessPolicy({
      accountId,
      policy: policy({ dmPolicy: 'pairing', allowFrom: [], groupPolicy: 'open', ...p }),
      store,
      historyLimit,
      service: 'imessage',
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-access-'));
    store = open();
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stranger gets one code through the outbox, is ignored while pending, and reaches the agent once approved', () => {
    const a = access();
    const first = a.admit(msg({ text: 'hi' }), T0);
    expect(first).toMatchObject({ action: 'pair', reason: 'pairing-requested', replyQueued: true });
    const code = first.pairingCode!;
    const [row] = store.pendingOutbox('bot');
    expect(row).toMatchObject({
      source: 'pairing',
      idempotencyKey: `pairing:bot:${code}`,
      chatKey: 'handle:+15551234567',
    });
    expect(JSON.parse(row!.target)).toEqual({ to: '+15551234567', handle: '+15551234567', service: 'imessage' });
    expect(row!.text).toContain(`Pairing code: ${code}`);

    expect(a.admit(msg({ text: 'hello?' }), T0 + 1000)).toMatchObject({ action: 'drop', reason: 'pairing-pending', replyQueued: false });
    expect(store.pendingOutbox('bot')).toHaveLength(1);

    a.pairing.approve(undefined, code.toLowerCase(), T0 + 2000);
    expect(a.admit(msg({ text: 'now?' }), T0 + 3000)).toMatchObject({ action: 'dispatch', kind: 'dm' });
  });

  it('approval on one account does not open another (same store)', () => {
    const bot = access({}, 3, 'bot');
    const personal = access({}, 3, 'personal');
    const { pairingCode } = personal.admit(msg(), T0);
    personal.pairing.approve('personal', pairingCode!, T0);
    expect(personal.admit(msg(), T0)).toMatchObject({ action: 'dispatch' });
    expect(bot.admit(msg(), T0)).toMatchObject({ action: 'pair' });
  });

  it('the 4th stranger is dropped as pairing-cap without a reply, and listed', () => {
    const a = access();
    for (const s of ['+15550000001', '+15550000002', '+15550000003']) expect(a.admit(msg({ sender: s }), T0)).toMatchObject({ action: 'pair' });
    expect(a.admit(msg({ sender: '+15550000004' }), T0)).toMatchObject({ action: 'drop', reason: 'pairing-cap', replyQueued: false });
    expect(store.pendingOutbox('bot')).toHaveLength(3);
    expect(a.pairing.list('bot', T0).find((e) => e.state === 'cap-dropped')).toMatchObject({ handle: '+15550000004' });
  });

  it('the store has the last word when the standing read before was stale', () => {
    class StalePairing extends PairingService {
      override standing(): SenderStanding {
        return STRANGER;
      }
    }
    const a = new AccessPolicy({
      accountId: 'bot',
      policy: policy({ dmPolicy: 'pairing', allowFrom: [] }),
      store,
      pairing: new StalePairing(store, { maxPending: 1 }),
      historyLimit: 0,
      service: 'auto',
    });
    expect(a.admit(msg({ sender: 'a@b.co' }), T0)).toMatchObject({ action: 'pair' });
    const raced = a.admit(msg({ sender: 'c@d.ee' }), T0);
    expect(raced).toMatchObject({ action: 'drop', reason: 'pairing-cap' });
    expect(raced.trace).toEqual(['dm', 'policy:pairing', 'sender:stranger', 'store:pairing-cap', 'drop']);
    const again = a.admit(msg({ sender: 'a@b.co' }), T0);
    expect(again).toMatchObject({ action: 'drop', reason: 'pairing-pending' });
  });

  it('allowFrom senders never touch pairing', () => {
    const a = access({ allowFrom: ['+15551234567'] });
    expect(a.admit(msg(), T0)).toMatchObject({ action: 'dispatch', history: [] });
    expect(store.listPairingRequests()).toEqual([]);
  });

  it('unmentioned group messages become history handed to the next triggering message, then cleared', () => {
    const a = access({}, 2);
    const g = (n: number, text: string, extra = {}) =>
      group({ id: n, guid: `G-${n}`, text, sender: `+1555000000${n}`, created_at: `2026-01-15T12:00:0${n}.000Z`, ...extra });
    expect(a.admit(g(1, 'first'), T0)).toMatchObject({ action: 'drop', reason: 'no-mention' });
    expect(a.admit(g(2, 'second'), T0)).toMatchObject({ reason: 'no-mention' });
    expect(a.admit(g(3, '\uFFFC', { attachments: [attachment] }), T0)).toMatchObject({ reason: 'no-mention' });
    expect(a.admit(g(3, '\uFFFC', { attachments: [attachment] }), T0)).toMatchObject({ reason: 'no-mention' }); // replay: kept once
    expect(a.admit(group({ chat_id: 43, text: 'elsewhere' }), T0)).toMatchObject({ reason: 'no-mention' });

    // restart: history is in the store
    store.close();
    store = open();
    const b = access({}, 2);
    const hit = b.admit(g(4, '@Bot what did I miss?'), T0);
    expect(hit).toMatchObject({ action: 'dispatch', kind: 'group', wasMentioned: true });
    expect(hit.history).toEqual([
      { sender: '+15550000002', text: 'second', at: '2026-01-15T12:00:02.000Z' },
      { sender: '+15550000003', text: '[1 attachment]', at: '2026-01-15T12:00:03.000Z' },
    ]);
    expect(b.admit(g(5, '@Bot again'), T0).history).toEqual([]);
    expect(store.groupHistorySize('bot', 43)).toBe(1);
  });

  it('historyLimit 0 keeps nothing', () => {
    const a = access({}, 0);
    a.admit(group({ text: 'no mention' }), T0);
    expect(store.groupHistorySize('bot', 42)).toBe(0);
    expect(a.admit(group(), T0).history).toEqual([]);
  });

  it('other drops have no side effects', () => {
    const a = access({ groupPolicy: 'disabled' });
    expect(a.admit(group({ text: 'no mention' }), T0)).toMatchObject({ reason: 'group-disabled', history: [], replyQueued: false });
    expect(a.admit(msg({ is_reaction: true }), T0)).toMatchObject({ reason: 'reaction' });
    expect(store.groupHistorySize('bot', 42)).toBe(0);
    expect(store.listPairingRequests()).toEqual([]);
  });
});
