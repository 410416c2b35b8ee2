import { describe, expect, it } from 'vitest';
import { capReply, truncationNotice } from '../../src/supervisor/reply-cap.js';

describe('reply cap (imessage.maxReplyChars)', () => {
  it('leaves a reply within the cap as it is', () => {
    expect(capReply('hello', 5)).toEqual({ text: 'hello', cutChars: 0 });
  });

  it('cuts past the cap and says how much was not sent', () => {
    const text = 'a'.repeat(1000);
    const { text: sent, cutChars } = capReply(text, 300);
    expect(cutChars).toBe(700);
    expect(sent).toBe(`${'a'.repeat(300)}\n\n${truncationNotice(700)}`);
    expect(sent.endsWith('… [reply truncated: 700 characters not sent]')).toBe(true);
  });

  it('never cuts inside a surrogate pair or an emoji sequence', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 code units, one grapheme cluster
    const text = `ab${family}${family}`;
    for (let max = 2; max < text.length; max++) {
      const { text: sent, cutChars } = capReply(text, max);
      const kept = sent.slice(0, sent.indexOf('\n\n'));
      expect(kept.length + cutChars).toBe(text.length);
      expect(['ab', `ab${family}`]).toContain(kept);
      expect(kept.length).toBeLessThanOrEqual(max);
    }
  });
});
