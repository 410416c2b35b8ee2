/** Markdown emphasis → native text_formatting ranges (issue 17, item 6): table tests and properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markdownToFormatting, type FormattingStyle } from '../../src/imsg/text-formatting.js';

describe('markdownToFormatting', () => {
  it.each([
    ['plain text', 'plain text', []],
    ['a **bold** word', 'a bold word', [{ start: 2, length: 4, styles: ['bold'] }]],
    ['*it* and _it_', 'it and it', [{ start: 0, length: 2, styles: ['italic'] }, { start: 7, length: 2, styles: ['italic'] }]],
    ['~~gone~~ now', 'gone now', [{ start: 0, length: 4, styles: ['strikethrough'] }]],
    ['**bold *both* bold**', 'bold both bold', [
      { start: 0, length: 5, styles: ['bold'] },
      { start: 5, length: 4, styles: ['bold', 'italic'] },
      { start: 9, length: 5, styles: ['bold'] },
    ]],
    ['***both***', 'both', [{ start: 0, length: 4, styles: ['bold', 'italic'] }]],
    // Left as written: unbalanced, spaced, intra-word underscores, code.
    ['2 * 3 * 4', '2 * 3 * 4', []],
    ['a **dangling marker', 'a **dangling marker', []],
    ['** not bold **', '** not bold **', []],
    ['snake_case_name', 'snake_case_name', []],
    ['`**code**` and **b**', '`**code**` and b', [{ start: 15, length: 1, styles: ['bold'] }]],
    ['```\n**x**\n```\n**y**', '```\n**x**\n```\ny', [{ start: 14, length: 1, styles: ['bold'] }]],
    ['no *emphasis\n\nacross* paragraphs', 'no *emphasis\n\nacross* paragraphs', []],
    // UTF-16 offsets: an astral emoji counts two.
    ['😀 **b**', '😀 b', [{ start: 3, length: 1, styles: ['bold'] }]],
  ] as Array<[string, string, Array<{ start: number; length: number; styles: FormattingStyle[] }>]>)('%j', (input, text, ranges) => {
    expect(markdownToFormatting(input)).toEqual({ text, ranges });
  });

  it('property: any input gives ranges inside the text, and the text is the input minus some marker characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '*', '_', '~', '`', '\n', 'é', '😀') , maxLength: 60 }), (input) => {
        const { text, ranges } = markdownToFormatting(input);
        let prevEnd = 0;
        for (const r of ranges) {
          expect(r.length).toBeGreaterThan(0);
          expect(r.start).toBeGreaterThanOrEqual(prevEnd);
          expect(r.start + r.length).toBeLessThanOrEqual(text.length);
          prevEnd = r.start + r.length;
        }
        // text is a subsequence of input, and everything dropped is a marker character.
        let j = 0;
        const dropped: string[] = [];
        for (const c of input) {
          if (j < text.length && text.startsWith(c, j)) j += c.length;
          else dropped.push(c);
        }
        expect(j).toBe(text.length);
        expect(dropped.every((c) => c === '*' || c === '_' || c === '~')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: well-formed emphasis gives exactly the words back, with each styled word covered by its style', () => {
    const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    const styled = fc.record({ word, style: fc.constantFrom<FormattingStyle | 'none'>('none', 'bold', 'italic', 'strikethrough') });
    fc.assert(
      fc.property(fc.array(styled, { minLength: 1, maxLength: 8 }), (parts) => {
        const mark = { none: '', bold: '**', italic: '_', strikethrough: '~~' } as const;
        const input = parts.map((p) => `${mark[p.style]}${p.word}${mark[p.style]}`).join(' ');
        const { text, ranges } = markdownToFormatting(input);
        expect(text).toBe(parts.map((p) => p.word).join(' '));
        let at = 0;
        for (const p of parts) {
          const covering = ranges.find((r) => r.start <= at && at + p.word.length <= r.start + r.length);
          if (p.style === 'none') expect(covering).toBeUndefined();
          else expect(covering?.styles).toEqual([p.style]);
          at += p.word.length + 1;
        }
      }),
      { numRuns: 300 },
    );
  });
});
