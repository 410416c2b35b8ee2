import { describe, expect, it } from 'vitest';
import { handleKey, normalizeHandle, normalizeHandleCached, type NormalizedHandle } from '../../src/routing/handles.js';

describe('normalizeHandle', () => {
  const cases: Array<[string, string | undefined, NormalizedHandle]> = [
    // US phone numbers, every common spelling
    ['+15551234567', undefined, { kind: 'phone', value: '+15551234567' }],
    ['5551234567', undefined, { kind: 'phone', value: '+15551234567' }],
    ['(555) 123-4567', 'US', { kind: 'phone', value: '+15551234567' }],
    ['555.123.4567', 'US', { kind: 'phone', value: '+15551234567' }],
    ['1 555 123 4567', 'US', { kind: 'phone', value: '+15551234567' }],
    ['  +1 (555) 123-4567  ', 'US', { kind: 'phone', value: '+15551234567' }],
    // service prefixes, case-insensitive, repeated
    ['imessage:+15551234567', 'US', { kind: 'phone', value: '+15551234567' }],
    ['SMS:+1 555 123 4567', 'US', { kind: 'phone', value: '+15551234567' }],
    ['auto:iMessage:5551234567', 'US', { kind: 'phone', value: '+15551234567' }],
    // non-US regions: national numbers read in the region, international ones unchanged
    ['06 12 34 56 78', 'FR', { kind: 'phone', value: '+33612345678' }],
    ['020 7946 0958', 'GB', { kind: 'phone', value: '+442079460958' }],
    ['020 7946 0958', 'gb', { kind: 'phone', value: '+442079460958' }],
    ['+44 20 7946 0958', 'US', { kind: 'phone', value: '+442079460958' }],
    ['+33 6 12 34 56 78', 'GB', { kind: 'phone', value: '+33612345678' }],
    ['030 1234567', 'DE', { kind: 'phone', value: '+49301234567' }],
    // an unknown region: international numbers still work, national ones are not guessed
    ['+15551234567', 'XX', { kind: 'phone', value: '+15551234567' }],
    ['5551234567', 'XX', { kind: 'other', value: '5551234567' }],
    // emails
    ['User@Example.COM', undefined, { kind: 'email', value: 'user@example.com' }],
    ['imessage:Jane.Doe@iCloud.com', undefined, { kind: 'email', value: 'jane.doe@icloud.com' }],
    // chat entries: prefix case-insensitive, guid/identifier keep their case
    ['chat_id:42', undefined, { kind: 'chat_id', value: '42' }],
    ['CHAT_ID: 042', undefined, { kind: 'chat_id', value: '42' }],
    ['chat_guid:iMessage;+;chat123', undefined, { kind: 'chat_guid', value: 'iMessage;+;chat123' }],
    ['Chat_Identifier:chat123ABC', undefined, { kind: 'chat_identifier', value: 'chat123ABC' }],
    ['imessage:chat_id:7', undefined, { kind: 'chat_id', value: '7' }],
    // garbage: never a phone, never "+", matches only itself
    ['foo', undefined, { kind: 'other', value: 'foo' }],
    ['  Bar  ', undefined, { kind: 'other', value: 'bar' }],
    ['+1-555-ABC-1234', undefined, { kind: 'other', value: '+1-555-abc-1234' }],
    ['1-800-FLOWERS', undefined, { kind: 'other', value: '1-800-flowers' }],
    ['+1 555 123 4567 ext 5', undefined, { kind: 'other', value: '+1 555 123 4567 ext 5' }],
    ['12345', undefined, { kind: 'other', value: '12345' }], // short code: not a possible number
    ['555', undefined, { kind: 'other', value: '555' }],
    ['+', undefined, { kind: 'other', value: '+' }],
    ['', undefined, { kind: 'other', value: '' }],
    ['@bob', undefined, { kind: 'other', value: '@bob' }],
    ['chat_id:abc', undefined, { kind: 'other', value: 'chat_id:abc' }],
    ['chat_id:0', undefined, { kind: 'other', value: 'chat_id:0' }],
    ['chat_id:-5', undefined, { kind: 'other', value: 'chat_id:-5' }],
    ['chat_guid:', undefined, { kind: 'other', value: 'chat_guid:' }],
    ['*', undefined, { kind: 'other', value: '*' }],
  ];

  it.each(cases)('%j (region %s) → %j', (raw, region, expected) => {
    expect(region === undefined ? normalizeHandle(raw) : normalizeHandle(raw, region)).toEqual(expected);
  });

  it('two different non-phone, non-email handles never share a key (the reference mapped both to "+")', () => {
    expect(handleKey(normalizeHandle('foo'))).not.toBe(handleKey(normalizeHandle('bar')));
    expect(handleKey(normalizeHandle('hello'))).not.toBe(handleKey(normalizeHandle('+')));
  });

  it('keys carry the kind, so an "other" handle never equals a phone or a chat', () => {
    expect(handleKey(normalizeHandle('chat_id:abc'))).toBe('other:chat_id:abc');
    expect(handleKey(normalizeHandle('+15551234567'))).toBe('phone:+15551234567');
    expect(handleKey(normalizeHandle('chat_id:42'))).toBe('chat_id:42');
  });

  it('the cached variant agrees with the plain one and is region-aware', () => {
    expect(normalizeHandleCached('020 7946 0958', 'GB')).toEqual(normalizeHandle('020 7946 0958', 'GB'));
    expect(normalizeHandleCached('020 7946 0958', 'US')).toEqual(normalizeHandle('020 7946 0958', 'US'));
    expect(normalizeHandleCached('020 7946 0958', 'GB')).not.toEqual(normalizeHandleCached('020 7946 0958', 'US'));
  });
});
