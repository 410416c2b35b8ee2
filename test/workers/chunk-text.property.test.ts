import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FenceBlock, chunkText, fenceFits, fenceOverhead, findFenceBlocks, planChunks } from '../../src/workers/chunk-text.js';

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
  // Words without spaces: the chunker's Intl.Segmenter word cuts.
  'สวัสดีครับ',
  '公园玩',
  'テキスト',
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

/** The grapheme cluster of `text` that contains position `i` (i inside it, not at its start). */
function clusterAround(text: string, i: number): string {
  for (const s of graphemes.segment(text)) if (s.index < i && i < s.index + s.segment.length) return s.segment;
  return '';
}

/**
 * The join rule. Rendering piece i gives chunk i = prefix + text.slice(start, end) + suffix, where
 * prefix/suffix are the added fence lines (the block's opening line + "\n", and "\n" + its fence
 * run). Set them aside and put back the gaps between pieces, and you get the text exactly. Each gap
 * is what the rules drop at a cut:
 *   - before the first chunk: the text's leading whitespace;
 *   - at a cut outside code: one whole whitespace run (possibly empty, e.g. after "。");
 *   - at a cut inside a split code block: nothing (a hard cut inside a long line), or one line
 *     break plus the blank lines right after it.
 *   - after the last chunk: the text's trailing whitespace, when the last cut fell in it.
 */
function checkJoin(text: string, max: number): void {
  const pieces = planChunks(text, max);
  const blocks = findFenceBlocks(text);
  let rebuilt = '';
  let at = 0;
  pieces.forEach((p, i) => {
    const gap = text.slice(at, p.start);
    const prev = pieces[i - 1];
    if (prev?.suffix) {
      expect(gap).toMatch(/^(|\r?\n([ \t\r]*\n)*)$/);
      // The cut lies inside one block: the next chunk reopens it and the previous one closes it.
      const block = blocks.find((b) => b.start < prev.end && prev.end < b.end);
      expect(block).toBeDefined();
      expect(prev.suffix).toBe(block!.close);
      expect(p.prefix).toBe(block!.reopen);
    } else {
      expect(gap).toMatch(/^\s*$/);
      expect(p.prefix).toBe('');
    }
    rebuilt += gap + text.slice(p.start, p.end);
    at = p.end;
  });
  const tail = text.slice(at);
  expect(tail).toMatch(/^\s*$/);
  if (tail) expect(pieces.at(-1)!.suffix).toBe('');
  expect(rebuilt + tail).toBe(text);
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
  checkJoin(text, max);

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

/**
 * Small limits, down to the smallest that holds a block's fence lines (fenceFits: the opening line,
 * the closing fence and one code point). Every chunk is within the limit, the join rule holds, every
 * chunk is balanced, and a cut falls inside a grapheme cluster only when that cluster is wider than
 * the room a chunk has for it (the limit less the largest fence overhead).
 */
function checkSmall(text: string, max: number): void {
  const blocks = findFenceBlocks(text);
  const chunks = chunkText(text, max);
  for (const c of chunks) expect(c.length).toBeLessThanOrEqual(max);
  if (text.length <= max) return;
  checkJoin(text, max);
  // Computed here, not by the chunker: a chunk holds the opening line + "\n", one code point and
  // "\n" + the fence run.
  const holdsFences = (b: FenceBlock): boolean => b.reopen.length + 2 + b.close.length <= max;
  for (const b of blocks) expect(fenceFits(b, max)).toBe(holdsFences(b));
  if (blocks.every(holdsFences)) {
    for (const c of chunks) expect(fencesBalanced(c)).toBe(true);
  }
  // A split block never yields a chunk without code: a closed part holds some code after the
  // opening line, and a reopened part holds more than the closing fence line.
  for (const p of planChunks(text, max)) {
    const block = blocks.find((b) => b.start <= p.start && p.start < b.end);
    if (p.prefix && block?.closed) expect(p.start).toBeLessThan(block.closeStart);
    const closing = blocks.find((b) => b.start < p.end && p.end < b.end);
    if (p.suffix && closing && p.start <= closing.start) expect(p.end).toBeGreaterThan(closing.openEnd + 1);
  }
  const room = max - Math.max(0, ...blocks.filter((b) => fenceFits(b, max)).map(fenceOverhead));
  const boundaries = boundarySet(text);
  for (const p of planChunks(text, max)) {
    for (const i of [p.start, p.end]) {
      if (!boundaries.has(i)) expect(clusterAround(text, i).length).toBeGreaterThan(room);
    }
  }
}

describe('chunkText properties', () => {
  it('keeps fences balanced and the join rule at small limits', () => {
    fc.assert(
      fc.property(doc, fc.integer({ min: 8, max: 40 }), (text, max) => checkSmall(text, max)),
      { numRuns: 400 * SCALE },
    );
  });

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
