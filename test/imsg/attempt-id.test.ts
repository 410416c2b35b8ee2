/** The attempt id of a tracked send (issue 13, item 2): a UUID derived from the row's idempotency key. */
import { describe, expect, it } from 'vitest';
import { ATTEMPT_ID_NAMESPACE, attemptIdFor, isAttemptId, uuidV5 } from '../../src/imsg/attempt-id.js';

describe('attemptIdFor', () => {
  it('is a lowercase RFC 9562 version-5 UUID', () => {
    const id = attemptIdFor('reply:acct:ABC-123:0');
    expect(isAttemptId(id)).toBe(true);
    expect(id).toBe(id.toLowerCase());
    expect(id[14]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('is the same for the same key (every attempt, across restarts) and differs between keys', () => {
    expect(attemptIdFor('k1')).toBe(attemptIdFor('k1'));
    const many = new Set(Array.from({ length: 1000 }, (_, i) => attemptIdFor(`reply:default:G${i}:0`)));
    expect(many.size).toBe(1000);
    expect(attemptIdFor('k1')).not.toBe(attemptIdFor('k1 '));
  });

  it('is RFC 9562 version 5 (the DNS-namespace test vector) in this gateway\'s namespace', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(attemptIdFor('k1')).toBe(uuidV5(ATTEMPT_ID_NAMESPACE, 'k1'));
  });

  it('refuses an empty key with a clear message', () => {
    expect(() => attemptIdFor('')).toThrow(/idempotency key/);
  });
});
