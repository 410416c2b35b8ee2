import { describe, expect, it } from 'vitest';
import { parseTarget, TargetError } from '../../src/routing/targets.js';

describe('delivery targets', () => {
  it.each([
    ['chat_id:123', { to: 'chat_id:123', chatId: 123 }],
    ['CHAT_ID:7', { to: 'chat_id:7', chatId: 7 }],
    ['chat_guid:iMessage;+;chat493021849302', { to: 'chat_guid:iMessage;+;chat493021849302', chatGuid: 'iMessage;+;chat493021849302' }],
    ['chat_identifier:chat493021849302', { to: 'chat_identifier:chat493021849302', chatIdentifier: 'chat493021849302' }],
    ['imessage:+15551234567', { to: 'imessage:+15551234567', handle: '+15551234567', service: 'imessage' }],
    ['SMS:+1 (555) 123-4567', { to: 'sms:+15551234567', handle: '+15551234567', service: 'sms' }],
    ['+15551234567', { to: '+15551234567', handle: '+15551234567' }],
    ['  User@Example.com ', { to: 'user@example.com', handle: 'user@example.com' }],
    ['iMessage:jane@example.com', { to: 'imessage:jane@example.com', handle: 'jane@example.com', service: 'imessage' }],
  ])('%s', (raw, expected) => {
    expect(parseTarget(raw)).toEqual(expected);
  });

  it.each([
    ['chat_id:12abc', 'positive whole number'],
    ['chat_id:0', 'positive whole number'],
    ['chat_id:-5', 'positive whole number'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['chat_guid:', 'chat_guid is empty'],
    ['imessage:', 'not a phone number or email'],
    ['hello', 'not a phone number, an email or a chat_* target'],
  ])('rejects %j, showing the accepted forms', (raw, problem) => {
    expect(() => parseTarget(raw)).toThrow(TargetError);
    expect(() => parseTarget(raw)).toThrow(problem);
    const err = (() => {
      try {
        parseTarget(raw);
      } catch (e) {
        return e as TargetError;
      }
      throw new Error('no TargetError');
    })();
    expect(err).toMatchObject({ kind: 'invalid-target', recovery: 'fatal' });
    expect(err.remediation).toContain('accepted forms: chat_id:123');
  });
});
