import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileAllowlist, type ChatRef } from '../../src/routing/allowlist.js';
import { handleKey, isChatHandle, normalizeHandle } from '../../src/routing/handles.js';

const DM: ChatRef = { chatId: 5, guid: 'iMessage;-;+15551234567', identifier: '+15551234567' };
const GROUP: ChatRef = { chatId: 42, guid: 'iMessage;+;chat123', identifier: 'chat123' };
const NO_CHAT: ChatRef = { chatId: 0, guid: '', identifier: '' };

describe('compileAllowlist', () => {
  const cases: Array<{ name: string; entries: string[]; sender: string; chat?: ChatRef; region?: string; admitted: boolean }> = [
    { name: 'empty list admits nobody', entries: [], sender: '+15551234567', admitted: false },
    { name: 'blank entries admit nobody', entries: ['', '  '], sender: '', admitted: false },
    { name: '"*" admits everyone', entries: ['*'], sender: 'anyone@example.com', admitted: true },
    { name: '"*" among others', entries: ['+15550000000', ' * '], sender: 'x', admitted: true },
    { name: 'same E.164', entries: ['+15551234567'], sender: '+15551234567', admitted: true },
    { name: 'national entry, E.164 sender', entries: ['(555) 123-4567'], sender: '+15551234567', admitted: true },
    { name: 'prefixed entry', entries: ['imessage:+1 555 123 4567'], sender: '+15551234567', admitted: true },
    { name: 'different number', entries: ['+15551234567'], sender: '+15551234568', admitted: false },
    { name: 'region: UK national entry', entries: ['07700 900123'], sender: '+447700900123', region: 'GB', admitted: true },
    { name: 'region: same digits, US reading', entries: ['07700 900123'], sender: '+447700900123', region: 'US', admitted: false },
    { name: 'email case-insensitive', entries: ['Jane@Example.com'], sender: 'jane@example.COM', admitted: true },
    { name: 'email vs other email', entries: ['jane@example.com'], sender: 'john@example.com', admitted: false },
    { name: 'reference bug: ["foo"] must not admit "bar"', entries: ['foo'], sender: 'bar', admitted: false },
    { name: 'garbage matches only itself', entries: ['foo'], sender: ' FOO ', admitted: true },
    { name: 'garbage entry never admits a phone', entries: ['hello'], sender: '+15551234567', admitted: false },
    { name: 'vanity text is not a number', entries: ['+1-555-ABC-1234'], sender: '+15551234', admitted: false },
    { name: 'chat_id admits every sender of that chat', entries: ['chat_id:42'], sender: 'jane@example.com', chat: GROUP, admitted: true },
    { name: 'chat_id of another chat', entries: ['chat_id:42'], sender: 'jane@example.com', chat: DM, admitted: false },
    { name: 'chat_id never matches chat 0', entries: ['chat_id:0'], sender: 'x', chat: NO_CHAT, admitted: false },
    { name: 'chat_guid exact (case-sensitive)', entries: ['chat_guid:iMessage;+;chat123'], sender: 'x', chat: GROUP, admitted: true },
    { name: 'chat_guid other case', entries: ['chat_guid:imessage;+;CHAT123'], sender: 'x', chat: GROUP, admitted: false },
    { name: 'chat_identifier', entries: ['chat_identifier:chat123'], sender: 'x', chat: GROUP, admitted: true },
    { name: 'a sender spelled as a chat entry is not admitted', entries: ['chat_id:42'], sender: 'chat_id:42', chat: DM, admitted: false },
    { name: 'invalid chat entry is inert', entries: ['chat_id:abc'], sender: 'abc', chat: GROUP, admitted: false },
    { name: 'empty sender never admitted', entries: ['foo', ''], sender: '', admitted: false },
  ];

  it.each(cases)('$name', ({ entries, sender, chat, region, admitted }) => {
    const list = compileAllowlist(entries, region ?? 'US');
    expect(list.admits(sender, chat ?? DM)).toBe(admitted);
  });

  it('reports wildcard and emptiness', () => {
    expect(compileAllowlist([]).isEmpty).toBe(true);
    expect(compileAllowlist([]).isWildcard).toBe(false);
    expect(compileAllowlist(['*']).isWildcard).toBe(true);
    expect(compileAllowlist(['*']).isEmpty).toBe(false);
    expect(compileAllowlist(['foo']).isEmpty).toBe(false);
  });

  it('admitsHandle ignores chat entries', () => {
    const list = compileAllowlist(['chat_id:42', 'a@b.co']);
    expect(list.admitsHandle('A@B.CO')).toBe(true);
    expect(list.admitsHandle('x@b.co')).toBe(false);
  });
});

describe('allowlist properties', () => {
  const phoneish = fc
    .tuple(fc.constantFrom('', '+', '+1', '+44', '1', '0'), fc.stringMatching(/^[0-9 ()-.]{0,14}$/))
    .map(([p, d]) => p + d);
  const emailish = fc
    .tuple(fc.stringMatching(/^[A-Za-z0-9._]{1,8}$/), fc.constantFrom('example.com', 'Example.COM', 'icloud.com', 'x'))
    .map(([u, d]) => `${u}@${d}`);
  const garbage = fc.string({ maxLength: 12 });
  const chatish = fc.oneof(
    fc.nat({ max: 50 }).map((n) => `chat_id:${n}`),
    fc.stringMatching(/^[A-Za-z0-9;+]{0,10}$/).map((g) => `chat_guid:${g}`),
    fc.stringMatching(/^[A-Za-z0-9]{0,10}$/).map((g) => `CHAT_IDENTIFIER:${g}`),
  );
  const prefixed = (arb: fc.Arbitrary<string>) =>
    fc.tuple(fc.constantFrom('', 'imessage:', 'SMS:', 'auto:', '  '), arb).map(([p, h]) => p + h);
  const handle = prefixed(fc.oneof(phoneish, emailish, garbage, chatish));
  const region = fc.constantFrom('US', 'GB', 'FR', 'DE', 'XX');
  const chat = fc.record({
    chatId: fc.integer({ min: -1, max: 50 }),
    guid: fc.stringMatching(/^[A-Za-z0-9;+]{0,10}$/),
    identifier: fc.stringMatching(/^[A-Za-z0-9]{0,10}$/),
  });

  it('never admits a sender that does not normalise to one of its entries (unless a chat entry names the chat, or "*")', () => {
    fc.assert(
      fc.property(fc.array(handle, { maxLength: 6 }), handle, chat, region, (entries, sender, c, r) => {
        const list = compileAllowlist(entries, r);
        if (!list.admits(sender, c)) return true;
        if (entries.some((e) => e.trim() === '*')) return true;
        const s = normalizeHandle(sender, r);
        const byHandle = !isChatHandle(s) && s.value !== '' && entries.some((e) => handleKey(normalizeHandle(e, r)) === handleKey(s));
        const byChat = entries.some((e) => {
          const h = normalizeHandle(e, r);
          return (
            (h.kind === 'chat_id' && c.chatId > 0 && Number(h.value) === c.chatId) ||
            (h.kind === 'chat_guid' && h.value === c.guid) ||
            (h.kind === 'chat_identifier' && h.value === c.identifier)
          );
        });
        return byHandle || byChat;
      }),
      { numRuns: 2000 },
    );
  });

  it('a list without chat entries and without "*" admits exactly the senders normalising to an entry', () => {
    fc.assert(
      fc.property(fc.array(prefixed(fc.oneof(phoneish, emailish, garbage)), { maxLength: 6 }), handle, region, (entries, sender, r) => {
        const usable = entries.filter((e) => e.trim() !== '*' && !isChatHandle(normalizeHandle(e, r)));
        const list = compileAllowlist(usable, r);
        const s = normalizeHandle(sender, r);
        const expected =
          !isChatHandle(s) && s.value !== '' && usable.some((e) => e.trim() !== '' && handleKey(normalizeHandle(e, r)) === handleKey(s));
        return list.admits(sender, { chatId: 0, guid: '', identifier: '' }) === expected;
      }),
      { numRuns: 2000 },
    );
  });

  it('an empty list admits nobody', () => {
    fc.assert(fc.property(handle, chat, region, (sender, c, r) => !compileAllowlist([], r).admits(sender, c)));
  });
});
