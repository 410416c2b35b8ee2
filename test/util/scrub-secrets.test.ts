import { describe, expect, it } from 'vitest';
import { scrubSecrets } from '../../src/util/scrub-secrets.js';

describe('scrubSecrets', () => {
  it.each([
    ['Authorization: Bearer abc.def-123', 'Authorization: Bearer [redacted]'],
    ['password=hunter2 and more', 'password=[redacted] and more'],
    ['ssh: api_key: s3cr3t, retrying', 'ssh: api_key: [redacted], retrying'],
    ['TOKEN=xyz&x=1', 'TOKEN=[redacted]&x=1'],
    [`control token ${'ab'.repeat(32)} in a line`, 'control token [redacted] in a line'],
  ])('masks %j', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });

  it('keeps what an operator needs: paths, handles, chat ids, ordinary words', () => {
    const line = 'imsg: /Users/me/Library/Messages/chat.db could not be opened for +15551234567 in chat 42 (tokenizer failed)';
    expect(scrubSecrets(line)).toBe(line);
  });

  it('is idempotent', () => {
    const once = scrubSecrets('password=a token=b Bearer c');
    expect(scrubSecrets(once)).toBe(once);
  });
});
