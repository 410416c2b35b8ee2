/**
 * The channel spec's access-control cases (imessage-channel-spec.md, "Access control" and
 * "Group-ish threads"), each with the decision and the trace of rules that fired.
 */
import { describe, expect, it } from 'vitest';
import type { ImsgMessage } from '../../src/imsg/types.js';
import type { InboundPolicy } from '../../src/policy/policy-config.js';
import type { SenderStanding } from '../../src/policy/sender-standing.js';
import { decideInbound, group, msg, policy, standing } from './policy-fixtures.js';

const NOW = Date.parse('2026-01-15T12:00:05.000Z');
const HOUR = 3_600_000;

interface Case {
  spec: string;
  config: Partial<InboundPolicy>;
  message: ImsgMessage;
  sender?: SenderStanding;
  action: 'dispatch' | 'drop' | 'pair';
  reason?: string;
  trace: string[];
}

const pairing = { dmPolicy: 'pairing', allowFrom: [] } as const;
const specGroups = { groupPolicy: 'allowlist', groupAllowFrom: ['+15555550123'], groups: { '42': { requireMention: false } } } as const;

const cases: Case[] = [
  // DMs: default dmPolicy "pairing"
  {
    spec: 'pairing (default): an unknown sender receives a pairing code',
    config: pairing,
    message: msg(),
    action: 'pair',
    reason: 'pairing-requested',
    trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'],
  },
  {
    spec: 'pairing: messages are ignored until approved',
    config: pairing,
    message: msg(),
    sender: standing('pending', { until: NOW + HOUR }),
    action: 'drop',
    reason: 'pairing-pending',
    trace: ['dm', 'policy:pairing', 'sender:pending', 'drop'],
  },
  {
    spec: 'pairing: an approved sender reaches the agent',
    config: pairing,
    message: msg(),
    sender: standing('approved'),
    action: 'dispatch',
    trace: ['dm', 'policy:pairing', 'sender:approved', 'dispatch'],
  },
  {
    spec: 'pairing: codes expire after 1 hour (the next message gets a new code)',
    config: pairing,
    message: msg(),
    sender: standing('pending', { until: NOW - 1 }),
    action: 'pair',
    trace: ['dm', 'policy:pairing', 'sender:expired', 'pair'],
  },
  {
    spec: 'pairing: no code when the pending codes are at their cap',
    config: pairing,
    message: msg(),
    sender: standing('stranger', { capReached: true }),
    action: 'drop',
    reason: 'pairing-cap',
    trace: ['dm', 'policy:pairing', 'sender:stranger', 'cap-reached', 'drop'],
  },
  {
    spec: 'pairing: a turned-away stranger gets a code once one is free',
    config: pairing,
    message: msg(),
    sender: standing('turned-away'),
    action: 'pair',
    trace: ['dm', 'policy:pairing', 'sender:turned-away', 'pair'],
  },
  {
    spec: 'pairing: a denied stranger is told nothing more',
    config: pairing,
    message: msg(),
    sender: standing('denied', { until: NOW + HOUR }),
    action: 'drop',
    reason: 'pairing-denied',
    trace: ['dm', 'policy:pairing', 'sender:denied', 'drop'],
  },
  {
    spec: 'pairing: a revoked sender gets no reply and no new code',
    config: pairing,
    message: msg(),
    sender: standing('revoked', { until: NOW + HOUR }),
    action: 'drop',
    reason: 'pairing-denied',
    trace: ['dm', 'policy:pairing', 'sender:revoked', 'drop'],
  },
  {
    spec: 'pairing: allowFrom senders need no pairing',
    config: { dmPolicy: 'pairing', allowFrom: ['+15551234567'] },
    message: msg(),
    action: 'dispatch',
    trace: ['dm', 'policy:pairing', 'sender:listed', 'dispatch'],
  },
  // DMs: allowlist, open, disabled
  {
    spec: 'allowlist: a listed handle',
    config: { dmPolicy: 'allowlist', allowFrom: ['imessage:+1 (555) 123-4567'] },
    message: msg(),
    action: 'dispatch',
    trace: ['dm', 'policy:allowlist', 'sender:listed', 'dispatch'],
  },
  {
    spec: 'allowlist: a chat_id entry admits that chat',
    config: { dmPolicy: 'allowlist', allowFrom: ['chat_id:1'] },
    message: msg({ sender: 'someone@example.com' }),
    action: 'dispatch',
    trace: ['dm', 'policy:allowlist', 'sender:listed', 'dispatch'],
  },
  {
    spec: 'allowlist: a sender not listed',
    config: { dmPolicy: 'allowlist', allowFrom: ['+15550000000'] },
    message: msg(),
    action: 'drop',
    reason: 'not-allowlisted',
    trace: ['dm', 'policy:allowlist', 'sender-not-listed', 'drop'],
  },
  {
    spec: 'open with "*"',
    config: { dmPolicy: 'open', allowFrom: ['*'] },
    message: msg({ sender: 'anyone@example.com' }),
    action: 'dispatch',
    trace: ['dm', 'policy:open', 'dispatch'],
  },
  {
    spec: 'open requires "*": without it, it acts as an allowlist',
    config: { dmPolicy: 'open', allowFrom: ['+15550000000'] },
    message: msg(),
    action: 'drop',
    reason: 'not-allowlisted',
    trace: ['dm', 'open-without-wildcard', 'policy:allowlist', 'sender-not-listed', 'drop'],
  },
  {
    spec: 'disabled',
    config: { dmPolicy: 'disabled', allowFrom: ['*'] },
    message: msg(),
    action: 'drop',
    reason: 'dm-disabled',
    trace: ['dm', 'policy:disabled', 'drop'],
  },
  // Groups
  {
    spec: 'groupPolicy allowlist: groupAllowFrom controls who can trigger',
    config: { groupPolicy: 'allowlist', groupAllowFrom: ['+15555550123'] },
    message: group(),
    action: 'drop',
    reason: 'not-allowlisted',
    trace: ['group', 'groupPolicy:allowlist', 'sender-not-listed', 'drop'],
  },
  {
    spec: 'groupPolicy allowlist: a listed sender who mentions the agent',
    config: { groupPolicy: 'allowlist', groupAllowFrom: ['+15555550123'] },
    message: group({ sender: '+15555550123' }),
    action: 'dispatch',
    trace: ['group', 'groupPolicy:allowlist', 'sender:listed', 'mention:required', 'mentioned', 'dispatch'],
  },
  {
    spec: 'groupPolicy open: mention gating through mentionPatterns',
    config: { groupPolicy: 'open' },
    message: group({ text: 'just chatting' }),
    action: 'drop',
    reason: 'no-mention',
    trace: ['group', 'groupPolicy:open', 'mention:required', 'not-mentioned', 'drop'],
  },
  {
    spec: 'groupPolicy disabled',
    config: { groupPolicy: 'disabled' },
    message: group(),
    action: 'drop',
    reason: 'group-disabled',
    trace: ['group', 'groupPolicy:disabled', 'drop'],
  },
  {
    spec: 'groups is an allowlist of chats: a chat not in it',
    config: { groupPolicy: 'open', groups: { '7': {} } },
    message: group(),
    action: 'drop',
    reason: 'group-not-allowed',
    trace: ['group', 'groupPolicy:open', 'chat-not-listed', 'drop'],
  },
  {
    spec: 'groups "*" sets the global defaults',
    config: { groupPolicy: 'open', groups: { '*': { requireMention: false } } },
    message: group({ text: 'no mention' }),
    action: 'dispatch',
    trace: ['group', 'groupPolicy:open', 'chat:wildcard', 'mention:not-required', 'dispatch'],
  },
  // Group-ish threads (is_group false, chat_id configured under groups): the spec's example
  {
    spec: 'group-ish thread 42: a sender in groupAllowFrom, no mention required',
    config: specGroups,
    message: msg({ chat_id: 42, sender: '+15555550123', text: 'hi' }),
    action: 'dispatch',
    trace: ['group', 'groupish', 'groupPolicy:allowlist', 'chat:listed', 'sender:listed', 'mention:not-required', 'dispatch'],
  },
  {
    spec: 'group-ish thread 42: another sender',
    config: specGroups,
    message: msg({ chat_id: 42, text: 'hi' }),
    action: 'drop',
    reason: 'not-allowlisted',
    trace: ['group', 'groupish', 'groupPolicy:allowlist', 'chat:listed', 'sender-not-listed', 'drop'],
  },
  // Screening, before any policy
  {
    spec: 'own messages are never answered',
    config: {},
    message: msg({ is_from_me: true }),
    action: 'drop',
    reason: 'own-message',
    trace: ['from-me', 'drop'],
  },
  {
    spec: 'a tapback never triggers pairing',
    config: pairing,
    message: msg({ is_reaction: true, text: 'Liked “hi”' }),
    action: 'drop',
    reason: 'reaction',
    trace: ['reaction', 'drop'],
  },
];

describe('decide: the channel spec, with traces', () => {
  it.each(cases)('$spec', ({ config, message, sender, action, reason, trace }) => {
    const d = decideInbound(message, policy(config), NOW, sender);
    expect(d.action).toBe(action);
    if (reason !== undefined) expect(d).toMatchObject({ reason });
    expect(d.trace).toEqual(trace);
  });

  it('the same input always gives the same decision (no state kept between calls)', () => {
    for (const c of cases) {
      const a = decideInbound(c.message, policy(c.config), NOW, c.sender);
      const b = decideInbound(c.message, policy(c.config), NOW, c.sender);
      expect(b).toEqual(a);
    }
  });
});
