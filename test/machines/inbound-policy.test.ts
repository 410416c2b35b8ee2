import { describe, it, expect } from 'vitest';
import { decideInbound, isMentioned, unenforcedPolicy, type InboundPolicy } from '../../src/machines/inbound-policy.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import type { ImsgAttachment } from '../../src/imsg/types.js';
import { derivedMentionPattern } from '../../src/routing/agent-mentions.js';

const BOT = derivedMentionPattern('Bot');

function msg(over: Partial<ImsgMessage> = {}): ImsgMessage {
  return {
    id: 10,
    chat_id: 1,
    guid: 'G-10',
    sender: '+15551234567',
    is_from_me: false,
    text: 'hello',
    created_at: '2026-01-15T12:00:00.000Z',
    attachments: [],
    reactions: [],
    chat_identifier: '+15551234567',
    chat_guid: 'iMessage;-;+15551234567',
    chat_name: '',
    participants: ['+15551234567'],
    is_group: false,
    ...over,
  };
}

const group = (over: Partial<ImsgMessage> = {}): ImsgMessage =>
  msg({
    chat_id: 42,
    chat_identifier: 'chat123',
    chat_guid: 'iMessage;+;chat123',
    chat_name: 'Family',
    participants: ['+15551234567', 'jane@example.com'],
    is_group: true,
    text: 'hey @Bot what time is it',
    ...over,
  });

function policy(over: Partial<InboundPolicy> = {}): InboundPolicy {
  return {
    dmPolicy: 'open',
    groupPolicy: 'open',
    allowFrom: ['*'],
    groups: {},
    mentionPatterns: [BOT],
    ...over,
  };
}

const attachment: ImsgAttachment = {
  filename: '~/a.heic',
  transfer_name: 'a.heic',
  uti: 'public.heic',
  mime_type: 'image/heic',
  total_bytes: 10,
  is_sticker: false,
  original_path: '/Users/me/a.heic',
  missing: false,
};

describe('decideInbound: drops', () => {
  it('drops the gateway\'s own messages (from-me) before anything else', () => {
    expect(decideInbound(msg({ is_from_me: true, sender: '', text: '' }), policy())).toEqual({
      action: 'drop',
      reason: 'from-me',
      kind: 'dm',
    });
    expect(decideInbound(group({ is_from_me: true }), policy())).toEqual({ action: 'drop', reason: 'from-me', kind: 'group' });
  });

  it('drops tapback rows (reaction)', () => {
    expect(decideInbound(msg({ is_reaction: true, text: 'Liked “hello”' }), policy())).toEqual({
      action: 'drop',
      reason: 'reaction',
      kind: 'dm',
    });
  });

  it('drops a message without sender (empty or blank)', () => {
    expect(decideInbound(msg({ sender: '' }), policy())).toEqual({ action: 'drop', reason: 'empty-sender', kind: 'dm' });
    expect(decideInbound(msg({ sender: '  ' }), policy())).toMatchObject({ reason: 'empty-sender' });
  });

  it('drops an empty message: no text, blank text, or only U+FFFC without attachments', () => {
    for (const text of ['', '   ', '\uFFFC', ' \uFFFC\uFFFC \n']) {
      expect(decideInbound(msg({ text }), policy()), JSON.stringify(text)).toEqual({
        action: 'drop',
        reason: 'empty-message',
        kind: 'dm',
      });
    }
  });

  it('an attachment-only message (U+FFFC text plus an attachment) is not empty', () => {
    expect(decideInbound(msg({ text: '\uFFFC', attachments: [attachment] }), policy())).toEqual({
      action: 'dispatch',
      kind: 'dm',
      wasMentioned: false,
    });
  });

  it('drops a group message without a chat id (group-without-chat)', () => {
    expect(decideInbound(group({ chat_id: 0 }), policy())).toEqual({
      action: 'drop',
      reason: 'group-without-chat',
      kind: 'group',
    });
  });

  it.each(['disabled', 'pairing', 'allowlist'] as const)('drops DMs when dmPolicy is %s (dm-disabled)', (dmPolicy) => {
    expect(decideInbound(msg(), policy({ dmPolicy }))).toEqual({ action: 'drop', reason: 'dm-disabled', kind: 'dm' });
  });

  it.each(['disabled', 'allowlist'] as const)('drops groups when groupPolicy is %s (group-disabled)', (groupPolicy) => {
    expect(decideInbound(group(), policy({ groupPolicy }))).toEqual({
      action: 'drop',
      reason: 'group-disabled',
      kind: 'group',
    });
  });

  it('a non-empty groups map is an allowlist: other chats are group-not-allowed', () => {
    expect(decideInbound(group({ chat_id: 42 }), policy({ groups: { '7': { requireMention: false } } }))).toEqual({
      action: 'drop',
      reason: 'group-not-allowed',
      kind: 'group',
    });
  });

  it('drops an unmentioned group message when a mention is required (default)', () => {
    expect(decideInbound(group({ text: 'just chatting' }), policy())).toEqual({
      action: 'drop',
      reason: 'no-mention',
      kind: 'group',
    });
    expect(decideInbound(group({ text: 'the robot is broken' }), policy())).toMatchObject({ reason: 'no-mention' });
  });

  it('DM policy does not affect groups, group policy does not affect DMs', () => {
    expect(decideInbound(group(), policy({ dmPolicy: 'disabled' }))).toMatchObject({ action: 'dispatch' });
    expect(decideInbound(msg(), policy({ groupPolicy: 'disabled' }))).toMatchObject({ action: 'dispatch' });
  });
});

describe('decideInbound: dispatch', () => {
  it('dispatches a DM under dmPolicy open, never marked as mentioned', () => {
    expect(decideInbound(msg({ text: 'hi @Bot' }), policy())).toEqual({ action: 'dispatch', kind: 'dm', wasMentioned: false });
  });

  it('dispatches a group message that mentions the agent', () => {
    expect(decideInbound(group(), policy())).toEqual({ action: 'dispatch', kind: 'group', wasMentioned: true });
  });

  it('a listed chat with requireMention false dispatches without a mention', () => {
    expect(decideInbound(group({ text: 'no mention here' }), policy({ groups: { '42': { requireMention: false } } }))).toEqual({
      action: 'dispatch',
      kind: 'group',
      wasMentioned: false,
    });
  });

  it('"*" with requireMention false admits every group without a mention', () => {
    expect(decideInbound(group({ text: 'no mention here' }), policy({ groups: { '*': { requireMention: false } } }))).toEqual({
      action: 'dispatch',
      kind: 'group',
      wasMentioned: false,
    });
  });

  it('a per-chat requireMention wins over "*"', () => {
    const p = policy({ groups: { '42': { requireMention: true }, '*': { requireMention: false } } });
    expect(decideInbound(group({ text: 'no mention' }), p)).toMatchObject({ action: 'drop', reason: 'no-mention' });
    expect(decideInbound(group({ chat_id: 43, text: 'no mention' }), p)).toMatchObject({ action: 'dispatch' });
  });

  it('a chat entry without requireMention inherits it from "*"', () => {
    const p = policy({ groups: { '42': {}, '*': { requireMention: false } } });
    expect(decideInbound(group({ text: 'no mention' }), p)).toMatchObject({ action: 'dispatch', wasMentioned: false });
  });

  it('a listed chat without requireMention still requires a mention', () => {
    const p = policy({ groups: { '42': {} } });
    expect(decideInbound(group({ text: 'no mention' }), p)).toMatchObject({ action: 'drop', reason: 'no-mention' });
    expect(decideInbound(group(), p)).toEqual({ action: 'dispatch', kind: 'group', wasMentioned: true });
  });

  it('reports wasMentioned true even when no mention is required', () => {
    expect(decideInbound(group(), policy({ groups: { '*': { requireMention: false } } }))).toMatchObject({
      wasMentioned: true,
    });
  });
});

describe('decideInbound: group-ish promotion', () => {
  it('a thread with is_group false whose chat_id is a key of groups is treated as a group', () => {
    const m = msg({ chat_id: 42, text: 'no mention' });
    expect(decideInbound(m, policy({ groups: { '42': { requireMention: true } } }))).toEqual({
      action: 'drop',
      reason: 'no-mention',
      kind: 'group',
    });
    expect(decideInbound(msg({ chat_id: 42, text: 'ok @bot' }), policy({ groups: { '42': {} } }))).toEqual({
      action: 'dispatch',
      kind: 'group',
      wasMentioned: true,
    });
  });

  it('a promoted thread follows groupPolicy, not dmPolicy', () => {
    const p = policy({ dmPolicy: 'disabled', groupPolicy: 'disabled', groups: { '42': { requireMention: false } } });
    expect(decideInbound(msg({ chat_id: 42 }), p)).toEqual({ action: 'drop', reason: 'group-disabled', kind: 'group' });
  });

  it('"*" alone does not promote a DM', () => {
    expect(decideInbound(msg({ chat_id: 42 }), policy({ groups: { '*': { requireMention: true } } }))).toEqual({
      action: 'dispatch',
      kind: 'dm',
      wasMentioned: false,
    });
  });

  it('a DM without chat id (0) is never promoted, even with a "0" key', () => {
    expect(decideInbound(msg({ chat_id: 0 }), policy({ groups: { '0': {} } }))).toMatchObject({ kind: 'dm' });
  });
});

describe('mentions', () => {
  it('zero-width characters inside the name do not defeat a mention', () => {
    for (const zw of ['\u200b', '\u200c', '\u200d', '\u2060', '\u200e', '\u202e']) {
      const text = `hey @B${zw}o${zw}t please`;
      expect(isMentioned(text, [BOT]), JSON.stringify(zw)).toBe(true);
      expect(decideInbound(group({ text }), policy()), JSON.stringify(zw)).toEqual({
        action: 'dispatch',
        kind: 'group',
        wasMentioned: true,
      });
    }
  });

  it('U+FEFF (zero width no-break space) inside the name does not defeat a mention', () => {
    expect(isMentioned('hey @Bo\uFEFFt', [BOT])).toBe(true);
  });

  it('resets lastIndex of global patterns so repeated checks are stable', () => {
    const re = /bot/gi;
    expect(isMentioned('bot', [re])).toBe(true);
    expect(isMentioned('bot', [re])).toBe(true);
  });

  it('is false without patterns', () => {
    expect(isMentioned('@Bot', [])).toBe(false);
  });
});

describe('unenforcedPolicy', () => {
  it.each(['pairing', 'allowlist'] as const)('refuses dmPolicy %s', (dmPolicy) => {
    expect(unenforcedPolicy({ dmPolicy, groupPolicy: 'open', allowFrom: ['*'] })).toBe(
      `dmPolicy "${dmPolicy}" is not enforced by this version yet; set dmPolicy "open" (with allowFrom ["*"]) or "disabled"`,
    );
  });

  it('refuses dmPolicy open without "*" in allowFrom', () => {
    expect(unenforcedPolicy({ dmPolicy: 'open', groupPolicy: 'open', allowFrom: ['+15551234567'] })).toBe(
      'dmPolicy "open" requires allowFrom to include "*"',
    );
    expect(unenforcedPolicy({ dmPolicy: 'open', groupPolicy: 'open', allowFrom: [] })).toBe(
      'dmPolicy "open" requires allowFrom to include "*"',
    );
  });

  it('refuses groupPolicy allowlist', () => {
    expect(unenforcedPolicy({ dmPolicy: 'disabled', groupPolicy: 'allowlist', allowFrom: [] })).toBe(
      'groupPolicy "allowlist" (the default) is not enforced by this version yet; set groupPolicy "open" or "disabled"',
    );
  });

  it('joins several problems with "; "', () => {
    expect(unenforcedPolicy({ dmPolicy: 'pairing', groupPolicy: 'allowlist', allowFrom: [] })).toBe(
      'dmPolicy "pairing" is not enforced by this version yet; set dmPolicy "open" (with allowFrom ["*"]) or "disabled"; ' +
        'groupPolicy "allowlist" (the default) is not enforced by this version yet; set groupPolicy "open" or "disabled"',
    );
  });

  it('accepts what is enforced', () => {
    expect(unenforcedPolicy({ dmPolicy: 'open', groupPolicy: 'open', allowFrom: ['*'] })).toBeUndefined();
    expect(unenforcedPolicy({ dmPolicy: 'open', groupPolicy: 'disabled', allowFrom: ['x', '*'] })).toBeUndefined();
    expect(unenforcedPolicy({ dmPolicy: 'disabled', groupPolicy: 'disabled', allowFrom: [] })).toBeUndefined();
    expect(unenforcedPolicy({ dmPolicy: 'disabled', groupPolicy: 'open', allowFrom: ['+1555'] })).toBeUndefined();
  });
});
