/** Which chat `typing`/`read` name, and where typing is shown (issue 17, items 1–2). */
import { describe, expect, it } from 'vitest';
import { signalTargetOf, typingWanted } from '../../src/routing/chat-signals.js';

const dm = { kind: 'dm' as const, chatId: 4, guid: 'iMessage;-;+15550001111', identifier: '+15550001111', name: '', participants: [] };

describe('signalTargetOf', () => {
  it('the chat guid when imsg gave one (works without the database)', () => {
    expect(signalTargetOf({ chat: dm, replyTarget: { to: '+15550001111', handle: '+15550001111' } })).toEqual({ chat_guid: dm.guid });
  });
  it('else a group chat_id, else the handle with its service (auto left out)', () => {
    const noGuid = { ...dm, guid: '' };
    expect(signalTargetOf({ chat: noGuid, replyTarget: { to: 'chat_id:9', chatId: 9 } })).toEqual({ chat_id: 9 });
    expect(signalTargetOf({ chat: noGuid, replyTarget: { to: 'a@b.c', handle: 'a@b.c', service: 'sms' } })).toEqual({ to: 'a@b.c', service: 'sms' });
    expect(signalTargetOf({ chat: noGuid, replyTarget: { to: 'a@b.c', handle: 'a@b.c', service: 'auto' } })).toEqual({ to: 'a@b.c' });
  });
});

describe('typingWanted', () => {
  const group = { kind: 'group' as const, chatId: 7 };
  it('the account setting for DMs, whatever the groups say', () => {
    expect(typingWanted({ typingIndicator: true, groups: { '*': { typingIndicator: false } } }, { kind: 'dm', chatId: 7 })).toBe(true);
    expect(typingWanted({ typingIndicator: false, groups: {} }, { kind: 'dm', chatId: 7 })).toBe(false);
  });
  it('a group: its own key, then "*", then the account', () => {
    expect(typingWanted({ typingIndicator: true, groups: { '7': { typingIndicator: false } } }, group)).toBe(false);
    expect(typingWanted({ typingIndicator: false, groups: { '7': { typingIndicator: true }, '*': { typingIndicator: false } } }, group)).toBe(true);
    expect(typingWanted({ typingIndicator: true, groups: { '*': { typingIndicator: false }, '7': { requireMention: true } } }, group)).toBe(false);
    expect(typingWanted({ typingIndicator: true, groups: { '8': { typingIndicator: false } } }, group)).toBe(true);
  });
});
