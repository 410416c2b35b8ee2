import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText, findFenceBlocks, planChunks } from '../../src/workers/chunk-text.js';

/** CHUNK_PROPERTY_RUNS=20 multiplies the number of runs for a deeper search. */
const SCALE = Number(process.env.CHUNK_PROPERTY_RUNS ?? 1);

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// ---------------------------------------------------------------------------------------------
// Generators: prose with every kind of break, hard graphemes, long words, and fenced blocks.

const word = fc.stringMatching(/^[a-zA-Z]{1,12}$/);
const longWord = fc.integer({ min: 20, max: 120 }).map((k) => 'y'.repeat(k));
const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\n', '\n\n', '\r\n', '\t', '. ', '! ', '? ', ', ', '." ', '\u00a0', '\u3000');
const hard = fc.constantFrom(
  '👨‍👩‍👧‍👦',
  '🇺🇸',
  '🇫🇷🇩🇪',
  'e\u0301',
  'n\u0303\u0323',
  '👍🏽',
  '🏳️‍🌈',
  '𝒜',
  '中文',
  '。',
  '\u0301',
  'ก้',
  'क्षि',
  '각',
  '각',
  '\u0600x',
);
const prose = fc
  .array(fc.oneof({ weight: 10, arbitrary: word }, { weight: 5, arbitrary: separator }, { weight: 3, arbitrary: hard }, { weight: 1, arbitrary: longWord }), {
    maxLength: 80,
  })
  .map((parts) => parts.join(''));

const codeLine = fc.oneof(
  fc.stringMatching(/^[ a-z0-9(){};=.,+*-]{0,50}$/),
  fc.constantFrom('', '    indented();', '\t\ttabbed', 'emoji("👨‍👩‍👧‍👦")', 'x'.repeat(90)),
);
const fence = fc
  .record({
    marker: fc.constantFrom('```', '~~~', '````'),
    info: fc.constantFrom('', 'ts', 'py x', 'sh'),
    body: fc.array(codeLine, { maxLength: 25 }),
  })
  .map(({ marker, info, body }) => `${marker}${info}\n${body.join('\n')}${body.length ? '\n' : ''}${marker}`);

const doc = fc
  .array(fc.oneof({ weight: 3, arbitrary: prose }, { weight: 1, arbitrary: fence }), { maxLength: 8 })
  .map((parts) => parts.join('\n'));
const limit = fc.integer({ min: 40, max: 240 });

// ---------------------------------------------------------------------------------------------
// Independent checkers

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;

/** Each chunk's fences pair up (CommonMark open/close rules). */
function fencesBalanced(chunk: string): boolean {
  let open: { ch: string; len: number } | undefined;
  for (const raw of chunk.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!open) {
      const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
      if (m && !(m[1]![0] === '`' && m[2]!.includes('`'))) open = { ch: m[1]![0]!, len: m[1]!.length };
    } else {
      const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (m && m[1]![0] === open.ch && m[1]!.length >= open.len) open = undefined;
    }
  }
  return open === undefined;
}

/** The text without whitespace and without fence-marker lines. */
function skeleton(text: string): string {
  return text
    .split('\n')
    .filter((line) => !FENCE_LINE.test(line))
    .join('')
    .replace(/\s+/g, '');
}

function boundarySet(text: string): Set<number> {
  const set = new Set<number>([text.length]);
  for (const s of graphemes.segment(text)) set.add(s.index);
  return set;
}

function nonSpaceGraphemes(text: string): string[] {
  return [...graphemes.segment(text)].map((s) => s.segment).filter((g) => !/^\s+$/.test(g));
}

function check(text: string, max: number): void {
  const chunks = chunkText(text, max);
  if (text.length <= max) {
    expect(chunks).toEqual([text]);
    return;
  }
  const pieces = planChunks(text, max);
  expect(chunks).toHaveLength(pieces.length);

  // No chunk exceeds the limit; none is empty.
  for (const c of chunks) {
    expect(c.length).toBeLessThanOrEqual(max);
    expect(c.trim().length).toBeGreaterThan(0);
  }

  // The chunks are the text in order, with only whitespace left out between them and only fence
  // lines added at split points.
  let at = 0;
  pieces.forEach((p, i) => {
    expect(chunks[i]).toBe(p.prefix + text.slice(p.start, p.end) + p.suffix);
    expect(p.start).toBeGreaterThanOrEqual(at);
    expect(text.slice(at, p.start)).toMatch(/^\s*$/);
    if (p.prefix) expect(p.prefix).toMatch(/^ {0,3}(`{3,}|~{3,})[^\n]*\n$/);
    if (p.suffix) expect(p.suffix).toMatch(/^\n(`{3,}|~{3,})$/);
    at = p.end;
  });
  expect(text.slice(at)).toMatch(/^\s*$/);
  expect(skeleton(chunks.join('\n'))).toBe(skeleton(text));

  // No grapheme is split: every cut is a grapheme boundary of the input...
  const boundaries = boundarySet(text);
  for (const p of pieces) {
    expect(boundaries.has(p.start)).toBe(true);
    expect(boundaries.has(p.end)).toBe(true);
  }
  // ...and, without fences, the chunks segment into exactly the input's graphemes.
  if (findFenceBlocks(text).length === 0) {
    expect(chunks.flatMap(nonSpaceGraphemes)).toEqual(nonSpaceGraphemes(text));
  }

  // Fences are balanced in every chunk, and a block that fits is never cut.
  for (const c of chunks) expect(fencesBalanced(c)).toBe(true);
  for (const block of findFenceBlocks(text)) {
    if (block.end - block.start > max) continue;
    expect(pieces.some((p) => p.start <= block.start && block.end <= p.end)).toBe(true);
  }
}

describe('chunkText properties', () => {
  it('reproduces the text, respects the limit, keeps graphemes and fences whole', () => {
    fc.assert(
      fc.property(doc, limit, (text, max) => check(text, max)),
      { numRuns: 400 * SCALE },
    );
  });

  it('holds for prose-only texts with small limits', () => {
    fc.assert(
      fc.property(prose, fc.integer({ min: 12, max: 60 }), (text, max) => check(text, max)),
      { numRuns: 400 * SCALE },
    );
  });

  it('holds for long texts at the default limit', () => {
    fc.assert(
      // Kept to ~20-40 KB: the test's own full-text Intl.Segmenter pass is superlinear.
      fc.property(fc.array(doc, { minLength: 10, maxLength: 20 }), (docs) => check(Array<string>(3).fill(docs.join('\n\n')).join('\n\n'), 4000)),
      { numRuns: 10 * SCALE },
    );
  });

  it('holds for unicode-heavy strings without any structure', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => s.replace(/[`~]/g, '')),
        fc.integer({ min: 30, max: 80 }),
        (text, max) => check(text, max),
      ),
      { numRuns: 300 * SCALE },
    );
  });
});
