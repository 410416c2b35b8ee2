import { describe, expect, it } from 'vitest';
import { readsSender } from '../../src/policy/decide.js';
import { isMentioned } from '../../src/policy/message-rules.js';
import { compilePolicy, inboundPolicyFor, unenforcedPolicy } from '../../src/policy/policy-config.js';
import { attachment, BOT, decideInbound, group, msg, policy, standing } from './policy-fixtures.js';

const NOW = Date.parse('2026-01-15T12:00:05.000Z');

describe('decide: screening drops', () => {
  it("drops the gateway's own messages (own-message) before anything else", () => {
    expect(decideInbound(msg({ is_from_me: true, sender: '', text: '' }), policy(), NOW)).toMatchObject({
      action: 'drop',
      reason: 'own-message',
      kind: 'dm',
      trace: ['from-me', 'drop'],
    });
    expect(decideInbound(group({ is_from_me: true }), policy(), NOW)).toMatchObject({ reason: 'own-message', kind: 'group' });
  });

  it('drops tapback rows (reaction), even in a group that needs no mention and from an allowed sender', () => {
    expect(decideInbound(msg({ is_reaction: true, text: 'Liked “hello”' }), policy(), NOW)).toMatchObject({
      action: 'drop',
      reason: 'reaction',
    });
    const p = policy({ groups: { '*': { requireMention: false } } });
    expect(decideInbound(group({ is_reaction: true, text: 'Loved “@Bot hi”' }), p, NOW)).toMatchObject({ reason: 'reaction' });
  });

  it('drops a message without sender (empty or blank)', () => {
    expect(decideInbound(msg({ sender: '' }), policy(), NOW)).toMatchObject({ action: 'drop', reason: 'empty-sender' });
    expect(decideInbound(msg({ sender: '  ' }), policy(), NOW)).toMatchObject({ reason: 'empty-sender' });
  });

  it('drops an empty message: no text, blank text, or only U+FFFC without attachments', () => {
    for (const text of ['', '   ', '\uFFFC', ' \uFFFC\uFFFC \n']) {
      expect(decideInbound(msg({ text }), policy(), NOW), JSON.stringify(text)).toMatchObject({ reason: 'empty-message' });
    }
  });

  it('an attachment-only message (U+FFFC text plus an attachment) is not empty', () => {
    expect(decideInbound(msg({ text: '\uFFFC', attachments: [attachment] }), policy(), NOW)).toMatchObject({
      action: 'dispatch',
      kind: 'dm',
      wasMentioned: false,
    });
  });

  it('drops a message older than the backlog fence (backlog)', () => {
    const p = policy({ backlogMaxAgeMs: 1000 });
    expect(decideInbound(msg(), p, NOW)).toMatchObject({ reason: 'backlog' });
    expect(decideInbound(msg({ created_at: '2026-01-15T12:00:04.500Z' }), p, NOW)).toMatchObject({ action: 'dispatch' });
    expect(decideInbound(msg(), policy({ backlogMaxAgeMs: null }), NOW)).toMatchObject({ action: 'dispatch' });
  });
});

describe('decide: DM policy', () => {
  it('open dispatches anyone', () => {
    expect(decideInbound(msg({ sender: 'stranger@example.com' }), policy(), NOW)).toMatchObject({
      action: 'dispatch',
      trace: ['dm', 'policy:open', 'dispatch'],
    });
  });

  it('open without "*" is read as allowlist (fail closed)', () => {
    const p = policy({ dmPolicy: 'open', allowFrom: ['+15550000000'] });
    expect(decideInbound(msg(), p, NOW)).toMatchObject({ action: 'drop', reason: 'not-allowlisted' });
    expect(decideInbound(msg({ sender: '+15550000000' }), p, NOW)).toMatchObject({ action: 'dispatch' });
  });

  it('disabled drops every DM (dm-disabled), even from allowFrom', () => {
    expect(decideInbound(msg(), policy({ dmPolicy: 'disabled', allowFrom: ['+15551234567'] }), NOW)).toMatchObject({
      reason: 'dm-disabled',
    });
  });

  const allowlistCases: Array<{ name: string; allowFrom: string[]; sender: string; chat_id?: number; approved?: string[]; action: string; reason?: string }> = [
    { name: 'listed E.164', allowFrom: ['+15551234567'], sender: '+15551234567', action: 'dispatch' },
    { name: 'listed in national form', allowFrom: ['(555) 123-4567'], sender: '+15551234567', action: 'dispatch' },
    { name: 'email case-insensitive', allowFrom: ['Jane@Example.com'], sender: 'jane@example.com', action: 'dispatch' },
    { name: 'not listed', allowFrom: ['+15550000000'], sender: '+15551234567', action: 'drop', reason: 'not-allowlisted' },
    { name: 'empty list admits nobody', allowFrom: [], sender: '+15551234567', action: 'drop', reason: 'not-allowlisted' },
    { name: 'chat entry admits the chat', allowFrom: ['chat_id:1'], sender: '+15559999999', action: 'dispatch' },
    { name: 'garbage entry does not admit other garbage', allowFrom: ['foo'], sender: 'bar', action: 'drop', reason: 'not-allowlisted' },
    { name: 'approved by pairing', allowFrom: [], sender: '+15551234567', approved: ['+15551234567'], action: 'dispatch' },
  ];
  it.each(allowlistCases)('allowlist: $name', ({ allowFrom, sender, approved, action, reason }) => {
    const sender_ = approved?.includes(sender) ? standing('approved') : standing('stranger');
    const d = decideInbound(msg({ sender }), policy({ dmPolicy: 'allowlist', allowFrom }), NOW, sender_);
    expect(d).toMatchObject({ action, ...(reason ? { reason } : {}) });
  });

  it('pairing: a stranger is answered with a code (pair); pending and cap-reached are dropped', () => {
    const p = policy({ dmPolicy: 'pairing', allowFrom: [] });
    expect(decideInbound(msg(), p, NOW, standing('stranger'))).toMatchObject({
      action: 'pair',
      reason: 'pairing-requested',
      trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'],
    });
    expect(decideInbound(msg(), p, NOW, standing('pending', { until: NOW }))).toMatchObject({
      action: 'pair',
      trace: ['dm', 'policy:pairing', 'sender:expired', 'pair'],
    });
    expect(decideInbound(msg(), p, NOW, standing('pending', { until: NOW + 1 }))).toMatchObject({ action: 'drop', reason: 'pairing-pending' });
    expect(decideInbound(msg(), p, NOW, standing('stranger', { capReached: true }))).toMatchObject({
      action: 'drop',
      reason: 'pairing-cap',
      trace: ['dm', 'policy:pairing', 'sender:stranger', 'cap-reached', 'drop'],
    });
  });

  it('pairing: allowFrom and approved senders dispatch, whatever their pairing state', () => {
    const p = policy({ dmPolicy: 'pairing', allowFrom: ['+15551234567'] });
    expect(decideInbound(msg(), p, NOW, standing('pending', { until: NOW + 1 }))).toMatchObject({
      action: 'dispatch',
      trace: ['dm', 'policy:pairing', 'sender:listed', 'dispatch'],
    });
    expect(decideInbound(msg({ sender: 'a@b.co' }), policy({ dmPolicy: 'pairing', allowFrom: [] }), NOW, standing('approved'))).toMatchObject({
      action: 'dispatch',
      trace: ['dm', 'policy:pairing', 'sender:approved', 'dispatch'],
    });
  });

  it('pairing: a denied or revoked sender is dropped until the denial ends, then is a stranger again', () => {
    const p = policy({ dmPolicy: 'pairing', allowFrom: [] });
    for (const status of ['denied', 'revoked'] as const) {
      expect(decideInbound(msg(), p, NOW, standing(status, { until: NOW + 1 }))).toMatchObject({
        action: 'drop',
        reason: 'pairing-denied',
        trace: ['dm', 'policy:pairing', `sender:${status}`, 'drop'],
      });
      expect(decideInbound(msg(), p, NOW, standing(status, { until: NOW }))).toMatchObject({ action: 'pair' });
    }
  });

  it('the sender is not read for own messages, tapbacks, empty rows, groups, or open and disabled DMs', () => {
    const p = compilePolicy(policy({ dmPolicy: 'pairing', allowFrom: [] }));
    expect(readsSender(msg(), p, NOW)).toBe(true);
    expect(readsSender(msg({ is_from_me: true }), p, NOW)).toBe(false);
    expect(readsSender(msg({ is_reaction: true }), p, NOW)).toBe(false);
    expect(readsSender(msg({ text: '' }), p, NOW)).toBe(false);
    expect(readsSender(group(), p, NOW)).toBe(false);
    expect(readsSender(msg(), compilePolicy(policy({ dmPolicy: 'open' })), NOW)).toBe(false);
    expect(readsSender(msg(), compilePolicy(policy({ dmPolicy: 'disabled' })), NOW)).toBe(false);
    expect(readsSender(msg(), compilePolicy(policy({ dmPolicy: 'allowlist', allowFrom: [] })), NOW)).toBe(true);
  });
});

describe('decide: group policy', () => {
  it('drops a group message without a chat id (group-without-chat)', () => {
    expect(decideInbound(group({ chat_id: 0 }), policy(), NOW)).toMatchObject({
      reason: 'group-without-chat',
      trace: ['group', 'no-chat', 'drop'],
    });
  });

  it('disabled drops every group message (group-disabled)', () => {
    expect(decideInbound(group(), policy({ groupPolicy: 'disabled' }), NOW)).toMatchObject({ reason: 'group-disabled' });
  });

  const cases: Array<{ name: string; allowFrom?: string[]; groupAllowFrom?: string[]; sender?: string; action: string; reason?: string }> = [
    { name: 'sender in groupAllowFrom', groupAllowFrom: ['+15551234567'], action: 'dispatch' },
    { name: 'sender not in groupAllowFrom', groupAllowFrom: ['+15550000000'], action: 'drop', reason: 'not-allowlisted' },
    { name: 'unset groupAllowFrom falls back to allowFrom', allowFrom: ['+15551234567'], action: 'dispatch' },
    { name: 'fallback to allowFrom: not listed', allowFrom: ['+15550000000'], action: 'drop', reason: 'not-allowlisted' },
    { name: 'explicit [] does not fall back', allowFrom: ['+15551234567'], groupAllowFrom: [], action: 'drop', reason: 'not-allowlisted' },
    { name: 'nothing configured admits nobody', allowFrom: [], action: 'drop', reason: 'not-allowlisted' },
    { name: 'chat entry admits the whole chat', groupAllowFrom: ['chat_id:42'], sender: 'x@y.zz', action: 'dispatch' },
    { name: '"*" admits everyone', groupAllowFrom: ['*'], sender: 'x@y.zz', action: 'dispatch' },
  ];
  it.each(cases)('allowlist: $name', ({ allowFrom, groupAllowFrom, sender, action, reason }) => {
    const p = policy({
      dmPolicy: 'pairing',
      groupPolicy: 'allowlist',
      allowFrom: allowFrom ?? [],
      ...(groupAllowFrom !== undefined ? { groupAllowFrom } : {}),
    });
    expect(decideInbound(group(sender ? { sender } : {}), p, NOW)).toMatchObject({ action, ...(reason ? { reason } : {}) });
  });

  it('pairing approvals never authorise group triggering', () => {
    const p = policy({ dmPolicy: 'pairing', groupPolicy: 'allowlist', allowFrom: [] });
    expect(decideInbound(group(), p, NOW, standing('approved'))).toMatchObject({ reason: 'not-allowlisted' });
  });

  it('a non-empty groups map is an allowlist of chats, whatever the groupPolicy', () => {
    for (const groupPolicy of ['open', 'allowlist'] as const) {
      const p = policy({ groupPolicy, groupAllowFrom: ['*'], groups: { '7': { requireMention: false } } });
      expect(decideInbound(group({ chat_id: 42 }), p, NOW), groupPolicy).toMatchObject({ reason: 'group-not-allowed' });
      expect(decideInbound(group({ chat_id: 7, text: 'x' }), p, NOW), groupPolicy).toMatchObject({ action: 'dispatch' });
    }
  });

  it('"*" in the groups map admits every chat', () => {
    expect(decideInbound(group(), policy({ groups: { '*': {} } }), NOW)).toMatchObject({ action: 'dispatch' });
  });

  it('DM policy does not affect groups, group policy does not affect DMs', () => {
    expect(decideInbound(group(), policy({ dmPolicy: 'disabled' }), NOW)).toMatchObject({ action: 'dispatch' });
    expect(decideInbound(msg(), policy({ groupPolicy: 'disabled' }), NOW)).toMatchObject({ action: 'dispatch' });
  });
});

describe('decide: mention gating', () => {
  it('drops an unmentioned group message when a mention is required (default)', () => {
    expect(decideInbound(group({ text: 'just chatting' }), policy(), NOW)).toMatchObject({
      reason: 'no-mention',
      trace: ['group', 'groupPolicy:open', 'mention:required', 'not-mentioned', 'drop'],
    });
    expect(decideInbound(group({ text: 'the robot is broken' }), policy(), NOW)).toMatchObject({ reason: 'no-mention' });
  });

  it('dispatches a group message that mentions the agent', () => {
    expect(decideInbound(group(), policy(), NOW)).toMatchObject({ action: 'dispatch', kind: 'group', wasMentioned: true });
  });

  it('patterns are the compiled RegExps passed in (case-insensitive)', () => {
    const p = policy({ mentionPatterns: [/\bjarvis\b/i, /^hey computer/i] });
    expect(decideInbound(group({ text: 'JARVIS, lights' }), p, NOW)).toMatchObject({ action: 'dispatch', wasMentioned: true });
    expect(decideInbound(group({ text: 'Hey Computer: time?' }), p, NOW)).toMatchObject({ action: 'dispatch' });
    expect(decideInbound(group({ text: 'hey @Bot' }), p, NOW)).toMatchObject({ reason: 'no-mention' });
  });

  it('no patterns at all never lets an unmentioned message through (fail closed)', () => {
    expect(decideInbound(group(), policy({ mentionPatterns: [] }), NOW)).toMatchObject({ reason: 'no-mention' });
  });

  const requireCases: Array<[string, Record<string, { requireMention?: boolean }>, number, string]> = [
    ['listed chat, requireMention false', { '42': { requireMention: false } }, 42, 'dispatch'],
    ['"*" requireMention false', { '*': { requireMention: false } }, 42, 'dispatch'],
    ['per-chat true wins over "*" false', { '42': { requireMention: true }, '*': { requireMention: false } }, 42, 'drop'],
    ['another chat takes "*"', { '42': { requireMention: true }, '*': { requireMention: false } }, 43, 'dispatch'],
    ['chat entry without the key inherits "*"', { '42': {}, '*': { requireMention: false } }, 42, 'dispatch'],
    ['listed chat without the key requires a mention', { '42': {} }, 42, 'drop'],
  ];
  it.each(requireCases)('%s', (_name, groups, chatId, action) => {
    expect(decideInbound(group({ chat_id: chatId, text: 'no mention here' }), policy({ groups }), NOW)).toMatchObject({ action });
  });

  it('reports wasMentioned true even when no mention is required', () => {
    expect(decideInbound(group(), policy({ groups: { '*': { requireMention: false } } }), NOW)).toMatchObject({ wasMentioned: true });
  });

  it('a DM is never marked as mentioned', () => {
    expect(decideInbound(msg({ text: 'hi @Bot' }), policy(), NOW)).toMatchObject({ action: 'dispatch', wasMentioned: false });
  });

  it('zero-width and bidi characters inside the name do not defeat a mention', () => {
    for (const zw of ['\u200b', '\u200c', '\u200d', '\u2060', '\u200e', '\u202e', '\ufeff', '\u00ad']) {
      const text = `hey @B${zw}o${zw}t please`;
      expect(isMentioned(text, [BOT]), JSON.stringify(zw)).toBe(true);
      expect(decideInbound(group({ text }), policy(), NOW), JSON.stringify(zw)).toMatchObject({ action: 'dispatch', wasMentioned: true });
    }
  });

  it('resets lastIndex of global patterns so repeated checks are stable', () => {
    const re = /bot/gi;
    expect(isMentioned('bot', [re])).toBe(true);
    expect(isMentioned('bot', [re])).toBe(true);
  });
});

describe('decide: group-ish threads', () => {
  it('is_group false whose chat_id is a key of groups is a group: mention gating', () => {
    const p = policy({ groups: { '42': { requireMention: true } } });
    expect(decideInbound(msg({ chat_id: 42, text: 'no mention' }), p, NOW)).toMatchObject({ reason: 'no-mention', kind: 'group' });
    expect(decideInbound(msg({ chat_id: 42, text: 'ok @bot' }), p, NOW)).toMatchObject({ action: 'dispatch', kind: 'group', wasMentioned: true });
  });

  it('a promoted thread follows groupPolicy and groupAllowFrom, not dmPolicy and allowFrom', () => {
    const groups = { '42': { requireMention: false } };
    expect(decideInbound(msg({ chat_id: 42 }), policy({ dmPolicy: 'disabled', groupPolicy: 'disabled', groups }), NOW)).toMatchObject({
      reason: 'group-disabled',
      kind: 'group',
    });
    const p = policy({ dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'allowlist', groupAllowFrom: ['+15550000000'], groups });
    expect(decideInbound(msg({ chat_id: 42 }), p, NOW)).toMatchObject({ reason: 'not-allowlisted', kind: 'group' });
    expect(decideInbound(msg({ chat_id: 42, sender: '+15550000000' }), p, NOW)).toMatchObject({ action: 'dispatch', kind: 'group' });
  });

  it('a promoted thread never starts pairing', () => {
    const p = policy({ dmPolicy: 'pairing', allowFrom: [], groupPolicy: 'open', groups: { '42': { requireMention: false } } });
    expect(decideInbound(msg({ chat_id: 42 }), p, NOW)).toMatchObject({
      action: 'dispatch',
      kind: 'group',
      trace: ['group', 'groupish', 'groupPolicy:open', 'chat:listed', 'mention:not-required', 'dispatch'],
    });
  });

  it('"*" alone does not promote a DM', () => {
    expect(decideInbound(msg({ chat_id: 42 }), policy({ groups: { '*': { requireMention: true } } }), NOW)).toMatchObject({
      action: 'dispatch',
      kind: 'dm',
    });
  });

  it('a DM without chat id (0) is never promoted, even with a "0" key', () => {
    expect(decideInbound(msg({ chat_id: 0 }), policy({ groups: { '0': {} } }), NOW)).toMatchObject({ kind: 'dm' });
  });
});

describe('unenforcedPolicy', () => {
  it('every valid policy is enforced now', () => {
    for (const dmPolicy of ['pairing', 'allowlist', 'disabled'] as const) {
      for (const groupPolicy of ['open', 'allowlist', 'disabled'] as const) {
        expect(unenforcedPolicy({ dmPolicy, groupPolicy, allowFrom: [] })).toBeUndefined();
      }
    }
    expect(unenforcedPolicy({ dmPolicy: 'open', groupPolicy: 'allowlist', allowFrom: ['x', '*'] })).toBeUndefined();
  });

  it('still refuses dmPolicy open without "*" (the config check rejects it first)', () => {
    expect(unenforcedPolicy({ dmPolicy: 'open', groupPolicy: 'open', allowFrom: ['+15551234567'] })).toBe(
      'dmPolicy "open" requires allowFrom to include "*"',
    );
  });
});

describe('inboundPolicyFor', () => {
  it('carries every account field the chart reads', () => {
    const patterns = [BOT];
    const p = inboundPolicyFor(
      {
        dmPolicy: 'pairing',
        groupPolicy: 'allowlist',
        allowFrom: ['+15551234567'],
        groupAllowFrom: [],
        groups: { '42': {} },
        region: 'GB',
        backlogMaxAgeMs: 5000,
      },
      patterns,
    );
    expect(p).toEqual({
      dmPolicy: 'pairing',
      groupPolicy: 'allowlist',
      allowFrom: ['+15551234567'],
      groupAllowFrom: [],
      groups: { '42': {} },
      mentionPatterns: patterns,
      backlogMaxAgeMs: 5000,
      region: 'GB',
    });
  });
});
