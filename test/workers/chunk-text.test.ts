import { describe, expect, it } from 'vitest';
import {
  CHUNK_LIMIT_UNIT,
  DEFAULT_TEXT_CHUNK_LIMIT,
  chunkLength,
  chunkText,
  exceedsChunkLimit,
  fenceFits,
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
      rule: 'a word boundary without spaces (Chinese, Intl.Segmenter) over a grapheme cut',
      text: '我们今天去公园玩他们明天去学校',
      limit: 8,
      chunks: ['我们今天去公园玩', '他们明天去学校'],
    },
    {
      rule: 'a word boundary without spaces (Thai)',
      text: 'สวัสดีครับวันนี้อากาศดีมาก',
      limit: 12,
      chunks: ['สวัสดีครับ', 'วันนี้อากาศ', 'ดีมาก'],
    },
    {
      rule: 'a word boundary without spaces (Japanese)',
      text: '日本語のテキストです',
      limit: 6,
      chunks: ['日本語の', 'テキストです'],
    },
    {
      rule: 'a grapheme cut over punctuation inside a token (no word on both sides)',
      text: 'a-b-c-d-e-f-g-h-i-j-k',
      limit: 8,
      chunks: ['a-b-c-d-', 'e-f-g-h-', 'i-j-k'],
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

  it.each([
    {
      rule: 'the paragraph break that fits (issue 17: it used to be cut at the limit)',
      text: 'Here is one line\n\nparagraph two starts here and goes on',
      limit: 40,
      chunks: ['Here is one line', 'paragraph two starts here and goes on'],
    },
    {
      rule: 'an early paragraph break over later line breaks',
      text: 'Para.\n\nline one here\nline two goes on and on and on',
      limit: 40,
      chunks: ['Para.', 'line one here', 'line two goes on and on and on'],
    },
    {
      rule: 'an early sentence end over later spaces',
      text: 'Go. alpha beta gamma delta epsilon zeta',
      limit: 20,
      chunks: ['Go.', 'alpha beta gamma', 'delta epsilon zeta'],
    },
    {
      rule: 'an early word boundary over a grapheme cut',
      text: 'a bcdefghijklmnopqrstuvwxyz',
      limit: 10,
      chunks: ['a', 'bcdefghijk', 'lmnopqrstu', 'vwxyz'],
    },
  ])('takes $rule, however early it lies', ({ text, limit, chunks }) => {
    expect(chunkText(text, limit)).toEqual(chunks);
  });
});

/**
 * The reference implementation's tested `length` mode (reference-behaviour.md A.9): one chunk at
 * or under the limit; else the last newline in the window, else the last whitespace, else a hard
 * break at the limit; chunks trimEnd'd, the next trimStart'd, the separator consumed; the limit
 * counts string length (UTF-16). Where the gateway deliberately differs (fences, graphemes), the
 * row says so.
 */
describe('chunkText: the reference behaviour, row by row', () => {
  it.each([
    { row: 'a text at the limit is one chunk, untouched', text: '  ab cd  ', limit: 9, chunks: ['  ab cd  '] },
    { row: 'the last newline in the window beats a later space', text: 'one two\nthree four five six', limit: 20, chunks: ['one two', 'three four five six'] },
    { row: 'else the last whitespace', text: 'alpha beta gamma delta', limit: 12, chunks: ['alpha beta', 'gamma delta'] },
    { row: 'else a hard break at the limit', text: 'abcdefghijklmnop', limit: 8, chunks: ['abcdefgh', 'ijklmnop'] },
    { row: 'the whitespace around a break is dropped', text: 'alpha   \n\n   beta gamma delta', limit: 12, chunks: ['alpha', 'beta gamma', 'delta'] },
    { row: 'the limit counts UTF-16 code units (an emoji is 2)', text: 'ab 👍👍👍', limit: 6, chunks: ['ab', '👍👍👍'] },
    // Differs from the reference on purpose: it splits surrogate pairs at a hard break.
    { row: 'a hard break never splits a surrogate pair', text: 'abc👍def', limit: 4, chunks: ['abc', '👍de', 'f'] },
  ])('$row', ({ text, limit, chunks }) => {
    expect(chunkText(text, limit)).toEqual(chunks);
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

  it.each([
    {
      what: 'a block cut at a line break (the line break goes)',
      text: '```ts\nlet a = 1;\nlet b = 2;\n```',
      limit: 20,
      chunks: ['```ts\nlet a = 1;\n```', '```ts\nlet b = 2;\n```'],
    },
    {
      what: 'a block after text, at the smallest limit that holds its fences',
      text: 'Hi.\n~~~\nab\ncd\n~~~',
      limit: 10,
      chunks: ['Hi.', '~~~\nab\n~~~', '~~~\ncd\n~~~'],
    },
    {
      what: 'a fenced line longer than what fits, split inside the fence',
      text: `\`\`\`py\n${'x'.repeat(20)}\n\`\`\``,
      limit: 16,
      chunks: ['```py\nxxxxxx\n```', '```py\nxxxxxx\n```', '```py\nxxxxxx\n```', '```py\nxx\n```'],
    },
    {
      what: 'a blank line in code as the break (no empty code line after the reopened fence)',
      text: 'Intro line.\n```sh\nls -la\n\necho done\n```\nBye.',
      limit: 22,
      chunks: ['Intro line.', '```sh\nls -la\n```', '```sh\necho done\n```', 'Bye.'],
    },
    {
      what: 'a split long line whose rest is short (the closing fence never goes alone)',
      text: '```\nabcdefghijkl\n```',
      limit: 14,
      chunks: ['```\nabcdef\n```', '```\nghijkl\n```'],
    },
    {
      what: 'a cluster wider than the room inside the fence, cut between code points',
      text: `\`\`\`\n${FAMILY}ab\n\`\`\``,
      limit: 12,
      chunks: ['```\n👨‍\n```', '```\n👩‍\n```', '```\n👧‍\n```', '```\n👦ab\n```'],
    },
  ])('stays balanced: $what', ({ text, limit, chunks }) => {
    expect(chunkText(text, limit)).toEqual(chunks);
  });

  it('treats a block as text below the smallest limit that holds its fences', () => {
    // "```\n" + "\n```" + one code point = 10 > 9.
    const [block] = findFenceBlocks('```\nabcdefgh\n```');
    expect(fenceFits(block!, 10)).toBe(true);
    expect(fenceFits(block!, 9)).toBe(false);
    expect(chunkText('```\nabcdefgh\n```', 9)).toEqual(['```', 'abcdefgh', '```']);
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
