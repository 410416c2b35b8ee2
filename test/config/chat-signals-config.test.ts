/** typingIndicator, sendReadReceipts, reactionNotifications (issue 17): defaults, inheritance, errors. */
import { describe, expect, it } from 'vitest';
import { invalid, issueAt, valid } from './helpers.js';

describe('chat signal settings', () => {
  it('default on, on, own', () => {
    const [account] = valid({ imessage: {} }).accounts;
    expect(account).toMatchObject({ typingIndicator: true, sendReadReceipts: true, reactionNotifications: 'own' });
  });

  it('inherited key by key; per-group typingIndicator kept beside requireMention', () => {
    const accounts = valid({
      imessage: {
        typingIndicator: false,
        reactionNotifications: 'all',
        groups: { '42': { typingIndicator: true, requireMention: false }, '*': { typingIndicator: false } },
        accounts: { a: {}, b: { typingIndicator: true, sendReadReceipts: false, reactionNotifications: 'off' } },
      },
    }).accounts;
    expect(accounts[0]).toMatchObject({ id: 'a', typingIndicator: false, sendReadReceipts: true, reactionNotifications: 'all' });
    expect(accounts[0]!.groups).toEqual({ '42': { typingIndicator: true, requireMention: false }, '*': { typingIndicator: false } });
    expect(accounts[1]).toMatchObject({ id: 'b', typingIndicator: true, sendReadReceipts: false, reactionNotifications: 'off' });
  });

  it('a wrong value names the key and the choices', () => {
    const issues = invalid({ imessage: { reactionNotifications: 'mine', typingIndicator: 'yes' } });
    expect(issueAt(issues, 'imessage.reactionNotifications').message).toMatch(/off.*own.*all/);
    expect(issueAt(issues, 'imessage.typingIndicator').message).toMatch(/true or false/);
  });
});
