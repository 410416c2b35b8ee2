/**
 * Properties of the decision over random configs and senders: an allowlist (allowFrom for DMs,
 * groupAllowFrom for groups) never admits a handle that does not match one of its entries, and a
 * handle that cannot be normalised (kind "other") is admitted only by the same text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleKey, isChatHandle, normalizeHandle } from '../../src/routing/handles.js';
import type { SenderStanding } from '../../src/policy/sender-standing.js';
import { decideInbound, group, msg, policy } from './policy-fixtures.js';

const NOW = Date.parse('2026-01-15T12:00:05.000Z');

const phones = ['+15551234567', '(555) 123-4567', '555.123.4567', '+1 555 123 4568', '+447700900123', '07700 900123', '12345'];
const emails = ['jane@example.com', 'Jane@Example.COM', 'bob@example.org', 'bob@example'];
const junk = ['foo', 'Foo', 'bar', '+', '1-800-FLOWERS', '@bob', 'chat_id:abc', 'chat_id:0', '☃', 'foo '];
const chats = ['chat_id:1', 'chat_id:42', 'chat_guid:iMessage;+;chat123', 'chat_identifier:chat123'];
const prefixes = ['', '', 'imessage:', 'sms:', 'auto:'];

const handleArb = fc.oneof(fc.constantFrom(...phones, ...emails, ...junk), fc.string({ maxLength: 12 }), fc.stringMatching(/^\+?[0-9 ()-]{3,14}$/));
const entryArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...prefixes), handleArb).map(([p, h]) => p + h) },
  { weight: 2, arbitrary: fc.constantFrom(...chats) },
  { weight: 1, arbitrary: fc.constant('*') },
);
const standingArb: fc.Arbitrary<SenderStanding> = fc.record({
  status: fc.constantFrom('stranger' as const, 'pending' as const, 'expired' as const, 'denied' as const, 'revoked' as const, 'turned-away' as const),
  until: fc.option(fc.integer({ min: NOW - 10_000, max: NOW + 10_000 }), { nil: undefined }),
  capReached: fc.boolean(),
});

const SERVICE_PREFIX = /^(?:imessage|sms|auto):/i;
const stripPrefixes = (text: string): string => {
  let t = text.trim();
  while (SERVICE_PREFIX.test(t)) t = t.replace(SERVICE_PREFIX, '').trim();
  return t;
};

/** Does some entry, on its own, admit this sender in this chat? (the definition of "matches") */
function matches(entries: readonly string[], sender: string, chat: { chatId: number; guid: string; identifier: string }): boolean {
  const s = normalizeHandle(sender);
  return entries.some((raw) => {
    const text = raw.trim();
    if (text === '') return false;
    if (text === '*') return true;
    const e = normalizeHandle(text);
    if (e.kind === 'chat_id') return chat.chatId > 0 && Number(e.value) === chat.chatId;
    if (e.kind === 'chat_guid') return e.value === chat.guid;
    if (e.kind === 'chat_identifier') return e.value === chat.identifier;
    return !isChatHandle(s) && s.value !== '' && handleKey(e) === handleKey(s);
  });
}

/** For a sender that cannot be normalised: some entry is the same text (trimmed, case-folded), or a chat or "*" entry. */
function exactOrChat(entries: readonly string[], sender: string, chat: { chatId: number; guid: string; identifier: string }): boolean {
  const wanted = stripPrefixes(sender).normalize('NFC').toLowerCase();
  return entries.some((raw) => {
    const text = raw.trim();
    if (text === '*') return true;
    const e = normalizeHandle(text);
    if (isChatHandle(e)) return matches([text], sender, chat);
    return stripPrefixes(text).normalize('NFC').toLowerCase() === wanted;
  });
}

describe('allowlist properties (random configs and senders)', () => {
  it('a DM under allowlist or pairing is dispatched by allowFrom only when an entry matches; pairing never dispatches a stranger', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 6 }),
        handleArb.filter((h) => h.trim() !== ''),
        fc.constantFrom('allowlist' as const, 'pairing' as const),
        fc.constantFrom(1, 42, 7),
        standingArb,
        (allowFrom, sender, dmPolicy, chatId, standing) => {
          const message = msg({ sender, chat_id: chatId, chat_guid: `iMessage;-;${sender}`, chat_identifier: sender });
          const d = decideInbound(message, policy({ dmPolicy, allowFrom }), NOW, standing);
          const chat = { chatId, guid: message.chat_guid, identifier: message.chat_identifier };
          if (d.action === 'dispatch') {
            expect(d.trace).toContain('sender:listed');
            expect(matches(allowFrom, sender, chat)).toBe(true);
            if (normalizeHandle(sender).kind === 'other') expect(exactOrChat(allowFrom, sender, chat)).toBe(true);
          } else if (matches(allowFrom, sender, chat)) {
            throw new Error(`a matching sender was not dispatched: ${JSON.stringify(d)}`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a group message under allowlist is dispatched only when groupAllowFrom (or allowFrom when unset) matches', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 6 }),
        fc.option(fc.array(entryArb, { maxLength: 6 }), { nil: undefined }),
        handleArb.filter((h) => h.trim() !== ''),
        fc.constantFrom(1, 42, 7),
        (allowFrom, groupAllowFrom, sender, chatId) => {
          const message = group({ sender, chat_id: chatId });
          const config = policy({
            dmPolicy: 'pairing',
            groupPolicy: 'allowlist',
            allowFrom,
            ...(groupAllowFrom !== undefined ? { groupAllowFrom } : {}),
            groups: { '*': { requireMention: false } },
          });
          const d = decideInbound(message, config, NOW, { status: 'approved', capReached: false });
          const chat = { chatId, guid: message.chat_guid, identifier: message.chat_identifier };
          const list = groupAllowFrom ?? allowFrom;
          expect(d.action === 'dispatch').toBe(matches(list, sender, chat));
          if (d.action === 'dispatch' && normalizeHandle(sender).kind === 'other') expect(exactOrChat(list, sender, chat)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a handle that cannot be normalised is matched only by the same text', () => {
    const config = (allowFrom: string[]) => policy({ dmPolicy: 'allowlist', allowFrom });
    expect(decideInbound(msg({ sender: 'foo' }), config(['foo']), NOW).action).toBe('dispatch');
    expect(decideInbound(msg({ sender: ' FOO ' }), config(['foo']), NOW).action).toBe('dispatch');
    for (const [sender, entry] of [
      ['foo', 'bar'],
      ['foo', 'fo'],
      ['+', '+15551234567'],
      ['1-800-FLOWERS', '+18003569377'],
      ['chat_id:1', 'chat_id:1'],
      ['chat_id:abc', 'chat_id:1'],
    ] as const) {
      const d = decideInbound(msg({ sender, chat_id: 99 }), config([entry]), NOW);
      expect(d, `${sender} vs ${entry}`).toMatchObject({ action: 'drop', reason: 'not-allowlisted' });
    }
  });
});
