import { describe, expect, it } from 'vitest';
import {
  CHUNK_LIMIT_UNIT,
  DEFAULT_TEXT_CHUNK_LIMIT,
  chunkLength,
  chunkText,
  exceedsChunkLimit,
  findFenceBlocks,
  planChunks,
} from '../../src/workers/chunk-text.js';

const FAMILY = '👨‍👩‍👧‍👦'; // 11 UTF-16 code units, one grapheme

describe('chunkText: texts that fit', () => {
  it('returns [text] at or under the limit', () => {
    expect(chunkText('', 10)).toEqual(['']);
    expect(chunkText('hello', 10)).toEqual(['hello']);
    expect(chunkText('x'.repeat(10), 10)).toEqual(['x'.repeat(10)]);
    expect(chunkText('  padded  ', 10)).toEqual(['  padded  ']);
  });

  it('defaults to 4000 UTF-16 code units', () => {
    expect(DEFAULT_TEXT_CHUNK_LIMIT).toBe(4000);
    expect(CHUNK_LIMIT_UNIT).toBe('utf16-code-units');
    expect(chunkText('a'.repeat(4000))).toHaveLength(1);
    expect(chunkText('a'.repeat(4001))).toHaveLength(2);
    // The outbound check counts the same unit: an emoji is 2 units.
    expect(chunkLength('👍')).toBe(2);
    expect(exceedsChunkLimit('👍'.repeat(2000))).toBe(false);
    expect(exceedsChunkLimit('👍'.repeat(2001))).toBe(true);
  });

  it('rejects limits that cannot hold a code point', () => {
    expect(() => chunkText('abc', 1)).toThrow(RangeError);
    expect(() => chunkText('abc', 2.5)).toThrow(RangeError);
    expect(() => chunkText('abc', Number.NaN)).toThrow(RangeError);
  });
});

describe('chunkText: where it cuts', () => {
  it.each([
    {
      rule: 'a paragraph break before a later line break',
      text: 'Alpha beta gamma delta epsilon\n\nzeta eta.\ntheta iota kappa lambda mu nu',
      limit: 50,
      chunks: ['Alpha beta gamma delta epsilon', 'zeta eta.\ntheta iota kappa lambda mu nu'],
    },
    {
      rule: 'a line break before a sentence end',
      text: 'Alpha beta gamma delta. Epsilon\nzeta eta theta iota kappa lambda',
      limit: 40,
      chunks: ['Alpha beta gamma delta. Epsilon', 'zeta eta theta iota kappa lambda'],
    },
    {
      rule: 'a sentence end before a later space',
      text: 'Alpha beta gamma delta. Epsilon zeta eta theta iota',
      limit: 40,
      chunks: ['Alpha beta gamma delta.', 'Epsilon zeta eta theta iota'],
    },
    {
      rule: 'a sentence end behind a closing quote',
      text: 'Say "stop." Then go on and on and on',
      limit: 20,
      chunks: ['Say "stop."', 'Then go on and on', 'and on'],
    },
    {
      rule: 'the last space when there is no sentence end',
      text: 'Alpha beta gamma delta epsilon zeta eta theta iota',
      limit: 40,
      chunks: ['Alpha beta gamma delta epsilon zeta eta', 'theta iota'],
    },
    {
      rule: 'a hard cut inside a word longer than the limit',
      text: 'x'.repeat(100),
      limit: 30,
      chunks: ['x'.repeat(30), 'x'.repeat(30), 'x'.repeat(30), 'x'.repeat(10)],
    },
    {
      rule: 'an early space rather than splitting a long word',
      text: `tiny https://example.com/${'a'.repeat(60)}`,
      limit: 40,
      chunks: ['tiny', `https://example.com/${'a'.repeat(20)}`, 'a'.repeat(40)],
    },
    {
      rule: 'CJK sentence ends without spaces',
      text: '我们今天去公园玩。他们明天去学校。大家好。',
      limit: 12,
      chunks: ['我们今天去公园玩。', '他们明天去学校。大家好。'],
    },
    {
      rule: 'CR LF line breaks, dropped at the cut',
      text: 'line one\r\nline two\r\nline three',
      limit: 12,
      chunks: ['line one', 'line two', 'line three'],
    },
  ])('prefers $rule', ({ text, limit, chunks }) => {
    expect(chunkText(text, limit)).toEqual(chunks);
  });

  it('keeps chunks at least half full when a break of a better class is early', () => {
    // The paragraph break sits at 10 of 60: a later space in the second half wins.
    const text = `Short one.\n\n${'word '.repeat(20)}`;
    const [first] = chunkText(text, 60);
    expect(first!.length).toBeGreaterThanOrEqual(30);
  });
});

describe('chunkText: graphemes', () => {
  it.each([
    { what: 'a ZWJ family emoji', text: `abcdefghij${FAMILY}x`, limit: 12, chunks: ['abcdefghij', `${FAMILY}x`] },
    { what: 'flags (regional indicator pairs)', text: '🇺🇸🇫🇷🇩🇪🇯🇵', limit: 6, chunks: ['🇺🇸', '🇫🇷', '🇩🇪', '🇯🇵'] },
    { what: 'flags after an odd offset', text: 'a🇺🇸🇫🇷🇩🇪', limit: 6, chunks: ['a🇺🇸', '🇫🇷', '🇩🇪'] },
    { what: 'combining marks', text: 'e\u0301'.repeat(6), limit: 5, chunks: ['e\u0301e\u0301', 'e\u0301e\u0301', 'e\u0301e\u0301'] },
    { what: 'surrogate pairs', text: '𝒜'.repeat(5), limit: 5, chunks: ['𝒜𝒜', '𝒜𝒜', '𝒜'] },
    { what: 'skin-tone modifiers', text: 'word 👍🏽 next', limit: 6, chunks: ['word', '👍🏽', 'next'] },
    // A space carrying a combining mark is one grapheme, so it is no place to cut.
    { what: 'a combining mark on a space', text: `abc \u0301def ghi`, limit: 8, chunks: ['abc \u0301def', 'ghi'] },
  ])('never splits $what', ({ text, limit, chunks }) => {
    expect(chunkText(text, limit)).toEqual(chunks);
  });

  it('cuts a single cluster longer than the limit between code points only', () => {
    const text = `𝒜${'\u0301'.repeat(20)}`;
    const chunks = chunkText(text, 8);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(8);
      expect(c).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });
});

describe('chunkText: fenced code blocks', () => {
  it('moves a block that fits to the next chunk instead of cutting it', () => {
    const text = 'Intro text here.\n\n```ts\nconst a = 1;\nconst b = 2;\n```\nAfter.';
    expect(chunkText(text, 40)).toEqual(['Intro text here.', '```ts\nconst a = 1;\nconst b = 2;\n```', 'After.']);
  });

  it('closes and reopens an oversized block with the same fence and info string', () => {
    const code = Array.from({ length: 8 }, (_, i) => `print(${i})  # x`).join('\n');
    const text = `Intro.\n\`\`\`py\n${code}\n\`\`\`\nDone.`;
    expect(chunkText(text, 60)).toEqual([
      'Intro.\n```py\nprint(0)  # x\nprint(1)  # x\nprint(2)  # x\n```',
      '```py\nprint(3)  # x\nprint(4)  # x\nprint(5)  # x\n```',
      '```py\nprint(6)  # x\nprint(7)  # x\n```\nDone.',
    ]);
  });

  it('reopens tilde fences and longer fences as written', () => {
    const body = Array.from({ length: 12 }, (_, i) => `line ${i} of the block`).join('\n');
    for (const fence of ['~~~', '````']) {
      const text = `${fence} shell\n${body}\n${fence}`;
      const chunks = chunkText(text, 80);
      expect(chunks.length).toBeGreaterThan(2);
      for (const c of chunks) {
        expect(c.startsWith(`${fence} shell\n`)).toBe(true);
        expect(c.endsWith(`\n${fence}`)).toBe(true);
        expect(c.length).toBeLessThanOrEqual(80);
      }
    }
  });

  it('keeps indentation inside split code', () => {
    const body = Array.from({ length: 10 }, (_, i) => `    indented(${i});`).join('\n');
    const chunks = chunkText(`\`\`\`js\n${body}\n\`\`\``, 70);
    for (const c of chunks.slice(1)) expect(c.split('\n')[1]).toMatch(/^ {4}indented/);
  });

  it('hard-cuts a code line longer than the limit and reopens after it', () => {
    const text = `\`\`\`\n${'z'.repeat(50)}\n\`\`\``;
    const chunks = chunkText(text, 30);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(30);
      expect(c.startsWith('```\n')).toBe(true);
      expect(c.endsWith('\n```')).toBe(true);
    }
    expect(chunks.join('').replace(/```|\n/g, '')).toBe('z'.repeat(50));
  });

  it('finds blocks the CommonMark way', () => {
    const text = 'a\n   ```js x\ncode ``` not a close\n```\n    ```indented 4 is not a fence\n~~~\n```\n~~~~\n';
    const blocks = findFenceBlocks(text);
    expect(blocks.map((b) => [text.slice(b.start, b.end), b.reopen, b.close])).toEqual([
      ['```js x\ncode ``` not a close\n```', '```js x\n', '\n```'],
      ['~~~\n```\n~~~~', '~~~\n', '\n~~~'],
    ]);
    // Backticks in a backtick fence's info string: not a fence.
    expect(findFenceBlocks('``` a`b\n```')).toHaveLength(1);
    expect(findFenceBlocks('``` a`b\nx\n')).toHaveLength(0);
  });

  it('treats an unclosed block as running to the end', () => {
    const text = `text\n\`\`\`\n${'x\n'.repeat(30)}`;
    const chunks = chunkText(text, 20);
    for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n```')).toBe(true);
    for (const c of chunks.slice(1)) expect(c.startsWith('```\n')).toBe(true);
  });
});

describe('chunkText: large inputs', () => {
  it('chunks 2 MB of mixed markdown into pieces within the limit', () => {
    const unit =
      'A paragraph with **bold**, emoji 👍🏽 and a flag 🇯🇵. It goes on for a while, then ends.\n' +
      'A second line of it.\n\n```ts\nconst x = 1;\n```\n\n中文句子。另一个句子。\n\n';
    const text = unit.repeat(Math.ceil((2 * 1024 * 1024) / unit.length));
    const pieces = planChunks(text, 4000);
    const chunks = chunkText(text, 4000);
    expect(chunks.length).toBe(pieces.length);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(4000);
    expect(chunks.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
  });

  it('handles 2 MB without any break (emoji only) without splitting clusters', () => {
    const text = FAMILY.repeat(Math.ceil((2 * 1024 * 1024) / FAMILY.length));
    const chunks = chunkText(text, 4000);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(4000);
      expect(c.length % FAMILY.length).toBe(0);
    }
    expect(chunks.join('')).toBe(text);
  });
});
