import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clearPolicyMemo,
  decideFacts,
  decideInbound,
  DROP_REASONS,
  evaluatePolicyChart,
  factsKey,
  policyFacts,
  policyMemoSize,
  type PolicyDecision,
  type PolicyFacts,
} from '../../src/machines/policy-chart.js';
import { fakePairing, group, msg, policy } from './policy-fixtures.js';

const NOW = Date.parse('2026-01-15T12:00:05.000Z');

const base: PolicyFacts = {
  fromMe: false,
  reaction: false,
  emptySender: false,
  emptyMessage: false,
  backlog: false,
  kind: 'dm',
  hasChat: false,
  dmPolicy: 'pairing',
  senderAllowed: false,
  pairingState: 'none',
  groupPolicy: 'allowlist',
  groupAllowed: false,
  groupSenderAllowed: false,
  requireMention: false,
  mentioned: false,
};
const groupBase: PolicyFacts = { ...base, kind: 'group', hasChat: true, groupAllowed: true, groupSenderAllowed: true };

const factsArb: fc.Arbitrary<PolicyFacts> = fc.record({
  fromMe: fc.boolean(),
  reaction: fc.boolean(),
  emptySender: fc.boolean(),
  emptyMessage: fc.boolean(),
  backlog: fc.boolean(),
  kind: fc.constantFrom('dm' as const, 'group' as const),
  hasChat: fc.boolean(),
  dmPolicy: fc.constantFrom('pairing' as const, 'allowlist' as const, 'open' as const, 'disabled' as const),
  senderAllowed: fc.boolean(),
  pairingState: fc.constantFrom('none' as const, 'pending' as const, 'cap-reached' as const, 'expired' as const),
  groupPolicy: fc.constantFrom('open' as const, 'allowlist' as const, 'disabled' as const),
  groupAllowed: fc.boolean(),
  groupSenderAllowed: fc.boolean(),
  requireMention: fc.boolean(),
  mentioned: fc.boolean(),
});

/** The policy written as plain code: the chart must agree with it on every facts combination. */
function oracle(f: PolicyFacts): { action: PolicyDecision['action']; reason?: string } {
  if (f.fromMe) return { action: 'drop', reason: 'own-message' };
  if (f.reaction) return { action: 'drop', reason: 'reaction' };
  if (f.emptySender) return { action: 'drop', reason: 'empty-sender' };
  if (f.emptyMessage) return { action: 'drop', reason: 'empty-message' };
  if (f.backlog) return { action: 'drop', reason: 'backlog' };
  if (f.kind === 'dm') {
    if (f.dmPolicy === 'disabled') return { action: 'drop', reason: 'dm-disabled' };
    if (f.dmPolicy === 'open' || f.senderAllowed) return { action: 'dispatch' };
    if (f.dmPolicy === 'allowlist') return { action: 'drop', reason: 'not-allowlisted' };
    if (f.pairingState === 'pending') return { action: 'drop', reason: 'pairing-pending' };
    if (f.pairingState === 'cap-reached') return { action: 'drop', reason: 'pairing-cap' };
    return { action: 'pair', reason: 'pairing-requested' };
  }
  if (!f.hasChat) return { action: 'drop', reason: 'group-without-chat' };
  if (f.groupPolicy === 'disabled') return { action: 'drop', reason: 'group-disabled' };
  if (!f.groupAllowed) return { action: 'drop', reason: 'group-not-allowed' };
  if (f.groupPolicy === 'allowlist' && !f.groupSenderAllowed) return { action: 'drop', reason: 'not-allowlisted' };
  if (f.requireMention && !f.mentioned) return { action: 'drop', reason: 'no-mention' };
  return { action: 'dispatch' };
}

describe('the policy chart', () => {
  const table: Array<[string, PolicyFacts, string, string | undefined, string[]]> = [
    ['own message', { ...base, fromMe: true }, 'drop', 'own-message', ['screening', 'dropped']],
    ['reaction', { ...base, reaction: true }, 'drop', 'reaction', ['screening', 'dropped']],
    ['empty sender', { ...base, emptySender: true }, 'drop', 'empty-sender', ['screening', 'dropped']],
    ['empty message', { ...base, emptyMessage: true }, 'drop', 'empty-message', ['screening', 'dropped']],
    ['backlog', { ...base, backlog: true }, 'drop', 'backlog', ['screening', 'dropped']],
    ['dm disabled', { ...base, dmPolicy: 'disabled' }, 'drop', 'dm-disabled', ['screening', 'dm', 'dm.policy', 'dropped']],
    ['dm open', { ...base, dmPolicy: 'open' }, 'dispatch', undefined, ['screening', 'dm', 'dm.policy', 'dispatched']],
    ['dm allowlist, allowed', { ...base, dmPolicy: 'allowlist', senderAllowed: true }, 'dispatch', undefined, ['screening', 'dm', 'dm.policy', 'dispatched']],
    ['dm allowlist, stranger', { ...base, dmPolicy: 'allowlist' }, 'drop', 'not-allowlisted', ['screening', 'dm', 'dm.policy', 'dropped']],
    ['pairing, stranger', base, 'pair', 'pairing-requested', ['screening', 'dm', 'dm.policy', 'dm.pairing', 'paired']],
    ['pairing, expired', { ...base, pairingState: 'expired' }, 'pair', 'pairing-requested', ['screening', 'dm', 'dm.policy', 'dm.pairing', 'paired']],
    ['pairing, pending', { ...base, pairingState: 'pending' }, 'drop', 'pairing-pending', ['screening', 'dm', 'dm.policy', 'dm.pairing', 'dropped']],
    ['pairing, cap', { ...base, pairingState: 'cap-reached' }, 'drop', 'pairing-cap', ['screening', 'dm', 'dm.policy', 'dm.pairing', 'dropped']],
    ['group without chat', { ...groupBase, hasChat: false }, 'drop', 'group-without-chat', ['screening', 'group', 'group.chat', 'dropped']],
    ['group disabled', { ...groupBase, groupPolicy: 'disabled' }, 'drop', 'group-disabled', ['screening', 'group', 'group.chat', 'group.policy', 'dropped']],
    ['chat not allowed', { ...groupBase, groupAllowed: false }, 'drop', 'group-not-allowed', ['screening', 'group', 'group.chat', 'group.policy', 'group.chats', 'dropped']],
    ['group sender not allowed', { ...groupBase, groupSenderAllowed: false }, 'drop', 'not-allowlisted', ['screening', 'group', 'group.chat', 'group.policy', 'group.chats', 'group.senders', 'dropped']],
    ['group open ignores sender list', { ...groupBase, groupPolicy: 'open', groupSenderAllowed: false }, 'dispatch', undefined, ['screening', 'group', 'group.chat', 'group.policy', 'group.chats', 'group.senders', 'group.mention', 'dispatched']],
    ['no mention', { ...groupBase, requireMention: true }, 'drop', 'no-mention', ['screening', 'group', 'group.chat', 'group.policy', 'group.chats', 'group.senders', 'group.mention', 'dropped']],
    ['mentioned', { ...groupBase, requireMention: true, mentioned: true }, 'dispatch', undefined, ['screening', 'group', 'group.chat', 'group.policy', 'group.chats', 'group.senders', 'group.mention', 'dispatched']],
  ];

  it.each(table)('%s', (_name, facts, action, reason, path) => {
    const d = evaluatePolicyChart(facts);
    expect(d.action).toBe(action);
    expect('reason' in d ? d.reason : undefined).toBe(reason);
    expect(d.path).toEqual(path);
    expect(d.kind).toBe(facts.kind);
  });

  it('every reason the chart can give is a known DropReason', () => {
    for (const [, facts] of table) {
      const d = evaluatePolicyChart(facts);
      if (d.action !== 'dispatch') expect(DROP_REASONS).toContain(d.reason);
    }
  });

  it('agrees with the plain-code oracle on random facts', () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const d = evaluatePolicyChart(f);
        const o = oracle(f);
        return d.action === o.action && ('reason' in d ? d.reason : undefined) === o.reason;
      }),
      { numRuns: 500 },
    );
  });

  it('the memoized decision equals a fresh evaluation for random facts', () => {
    clearPolicyMemo();
    fc.assert(
      fc.property(factsArb, (f) => {
        expect(decideFacts(f)).toEqual(evaluatePolicyChart(f));
        expect(decideFacts({ ...f })).toBe(decideFacts(f)); // same key → the same memoized object
      }),
      { numRuns: 500 },
    );
  });

  it('distinct facts never share a memo key', () => {
    fc.assert(
      fc.property(factsArb, factsArb, (a, b) => (factsKey(a) === factsKey(b)) === (JSON.stringify(a) === JSON.stringify(b))),
      { numRuns: 1000 },
    );
  });

  it('memoized outcomes are frozen', () => {
    const d = decideFacts(base);
    expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(d.path)).toBe(true);
  });
});

describe('policyFacts', () => {
  it('reduces a message to the facts the chart reads', () => {
    const f = policyFacts({ message: group({ text: 'hey @bot' }), policy: policy({ groupPolicy: 'allowlist', allowFrom: ['+15551234567'] }), now: NOW });
    expect(f).toEqual({
      ...base,
      dmPolicy: 'allowlist', // "open" without "*" is read as allowlist
      kind: 'group',
      hasChat: true,
      groupPolicy: 'allowlist',
      groupAllowed: true,
      groupSenderAllowed: true,
      requireMention: true,
      mentioned: true,
    });
  });

  it('facts the chart cannot reach take canonical values (small memo, no store lookups)', () => {
    const view = fakePairing(['+15551234567'], 'pending');
    const f = policyFacts({ message: msg({ is_reaction: true }), policy: policy({ dmPolicy: 'pairing', allowFrom: [] }), now: NOW, pairing: view });
    expect(f).toMatchObject({ reaction: true, senderAllowed: false, pairingState: 'none', mentioned: false });
    expect(view.calls).toBe(0);
  });

  it('promotes a group-ish thread by its chat_id', () => {
    expect(policyFacts({ message: msg({ chat_id: 42 }), policy: policy({ groups: { '42': {} } }), now: NOW }).kind).toBe('group');
    expect(policyFacts({ message: msg({ chat_id: 42 }), policy: policy({ groups: { '*': {} } }), now: NOW }).kind).toBe('dm');
  });
});

describe('memoisation', () => {
  it('runs the chart once per distinct set of facts, however many messages', () => {
    clearPolicyMemo();
    const p = policy({ dmPolicy: 'allowlist', allowFrom: ['+15551234567', 'a@b.co'], groupPolicy: 'allowlist', groups: { '42': {}, '*': {} } });
    const messages = [
      msg(),
      msg({ sender: 'stranger@example.com' }),
      group(),
      group({ text: 'no mention' }),
      msg({ is_from_me: true }),
      group({ is_reaction: true }),
    ];
    const first = messages.map((m) => decideInbound(m, p, NOW));
    for (let i = 0; i < 6_000; i++) decideInbound(messages[i % messages.length]!, p, NOW);
    expect(policyMemoSize()).toBeLessThanOrEqual(messages.length);
    // Memoised answers are the very same objects: nothing is re-evaluated.
    expect(messages.map((m) => decideInbound(m, p, NOW))).toEqual(first);
  });
});
