/**
 * Splits a reply into chunks of at most `limit` UTF-16 code units (`string.length`, the unit of
 * `textChunkLimit`; see docs/media.md). Pure and linear in the length of the text.
 *
 * Where a chunk ends: the LAST break of the best class that fits, classes best first:
 *   1. a paragraph break (a blank line), 2. a line break, 3. the end of a sentence,
 *   4. a word boundary: whitespace, or, when the window holds no break of classes 1-3, also a
 *      boundary between two words written without a space (Intl.Segmenter, word-breaks.ts),
 *   5. a grapheme-cluster boundary (a "hard" cut).
 * A better class wins however early it lies in the window (the reference chunker does the same
 * for line breaks), so a chunk may be short.
 * The whitespace run at a cut of classes 1-4 is dropped (from the end of one chunk and the start
 * of the next), as is leading whitespace of a split text; nothing else is.
 *
 * Fenced code blocks (``` or ~~~, CommonMark rules, top level only) are never cut unless the block
 * alone exceeds the limit. Such a block is cut at line breaks inside it (the line break itself is
 * dropped), or, for a line longer than what fits, inside the line (nothing dropped): the chunk
 * gets "\n" + the closing fence and the next chunk starts with the opening line (fence + info
 * string) and "\n" again. Every chunk stays balanced whenever the limit can hold the opening
 * line, the closing fence and one code point (fenceFits); below that the block is plain text.
 *
 * Grapheme clusters (emoji ZWJ sequences, flags, combining marks, CR LF) and surrogate pairs are
 * never split. Boundaries are decided by a fast rule for the common scripts and by
 * `Intl.Segmenter` on a short window otherwise; a full segmentation of one window at most once
 * per chunk keeps pathological inputs linear too. Only a single grapheme cluster longer than the
 * room a chunk has for it (the limit, less the fence lines inside a split block) is cut, between
 * code points, never inside a surrogate pair.
 */

import { lastWordBoundary } from './word-breaks.js';

export const DEFAULT_TEXT_CHUNK_LIMIT = 4000;

/** The unit of every chunk limit in the gateway: UTF-16 code units, i.e. `string.length`. */
export const CHUNK_LIMIT_UNIT = 'utf16-code-units';

/** Length of a text in the unit of the chunk limit. Use this for every outbound length check. */
export function chunkLength(text: string): number {
  return text.length;
}

/** True when `text` must be chunked before it is sent (consistent with chunkText). */
export function exceedsChunkLimit(text: string, limit: number = DEFAULT_TEXT_CHUNK_LIMIT): boolean {
  return chunkLength(text) > limit;
}

/** The smallest limit chunkText accepts (one code point must always fit). */
export const MIN_CHUNK_LIMIT = 2;

/** One chunk: `prefix + text.slice(start, end) + suffix`. prefix/suffix are re-added fence lines. */
export interface ChunkPiece {
  start: number;
  end: number;
  /** The reopened fence line plus "\n", when the chunk starts inside a split code block. */
  prefix: string;
  /** "\n" plus the closing fence, when the chunk ends inside a split code block. */
  suffix: string;
}

export function chunkText(text: string, limit: number = DEFAULT_TEXT_CHUNK_LIMIT): string[] {
  if (text.length <= limit) {
    assertLimit(limit);
    return [text];
  }
  return planChunks(text, limit).map((p) => p.prefix + text.slice(p.start, p.end) + p.suffix);
}

/** Where the chunks of `text` lie in it (the plan chunkText renders). */
export function planChunks(text: string, limit: number = DEFAULT_TEXT_CHUNK_LIMIT): ChunkPiece[] {
  assertLimit(limit);
  const n = text.length;
  if (n <= limit) return [{ start: 0, end: n, prefix: '', suffix: '' }];
  return new Planner(text, limit).run();
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < MIN_CHUNK_LIMIT) {
    throw new RangeError(`chunk limit must be an integer >= ${MIN_CHUNK_LIMIT}, got ${String(limit)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Fenced code blocks

export interface FenceBlock {
  /** Index of the first fence character of the opening line (indentation excluded). */
  start: number;
  /** Index of the "\n" that ends the opening line (n when there is none). */
  openEnd: number;
  /** Index just after the closing fence run (n for an unclosed block). */
  end: number;
  /** Index where the closing fence's line starts (n for an unclosed block). */
  closeStart: number;
  /** Opening line without indentation, plus "\n": prepended when a split block is reopened. */
  reopen: string;
  /** "\n" plus the fence run: appended when a split block is closed. */
  close: string;
  closed: boolean;
}

const BACKTICK = 0x60;
const TILDE = 0x7e;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/** Top-level fenced code blocks of `text`, in order (one pass over the lines). */
export function findFenceBlocks(text: string): FenceBlock[] {
  const n = text.length;
  const blocks: FenceBlock[] = [];
  let i = 0;
  while (i < n) {
    const lineEnd = lineEndOf(text, i);
    const open = parseFenceOpen(text, i, lineEnd);
    if (!open) {
      i = lineEnd + 1;
      continue;
    }
    const { runStart, char, runLen } = open;
    let openLine = text.slice(runStart, lineEnd);
    if (openLine.endsWith('\r')) openLine = openLine.slice(0, -1);
    const fenceRun = String.fromCharCode(char).repeat(runLen);
    let j = lineEnd + 1;
    let end = n;
    let closeStart = n;
    let closed = false;
    while (j < n) {
      const closeEnd = lineEndOf(text, j);
      const runEnd = parseFenceClose(text, j, closeEnd, char, runLen);
      if (runEnd >= 0) {
        end = runEnd;
        closeStart = j;
        closed = true;
        j = closeEnd + 1;
        break;
      }
      j = closeEnd + 1;
    }
    blocks.push({ start: runStart, openEnd: lineEnd, end, closeStart, reopen: `${openLine}\n`, close: `\n${fenceRun}`, closed });
    i = closed ? j : n;
  }
  return blocks;
}

function lineEndOf(text: string, from: number): number {
  const k = text.indexOf('\n', from);
  return k < 0 ? text.length : k;
}

function parseFenceOpen(
  text: string,
  lineStart: number,
  lineEnd: number,
): { runStart: number; char: number; runLen: number } | undefined {
  let k = lineStart;
  while (k < lineEnd && k - lineStart < 3 && text.charCodeAt(k) === SPACE) k++;
  const char = text.charCodeAt(k);
  if (char !== BACKTICK && char !== TILDE) return undefined;
  const runStart = k;
  while (k < lineEnd && text.charCodeAt(k) === char) k++;
  const runLen = k - runStart;
  if (runLen < 3) return undefined;
  if (char === BACKTICK) {
    for (let m = k; m < lineEnd; m++) if (text.charCodeAt(m) === BACKTICK) return undefined;
  }
  return { runStart, char, runLen };
}

/** Index just after the closing run, or -1 when the line does not close the block. */
function parseFenceClose(text: string, lineStart: number, lineEnd: number, char: number, minLen: number): number {
  let k = lineStart;
  while (k < lineEnd && k - lineStart < 3 && text.charCodeAt(k) === SPACE) k++;
  const runStart = k;
  while (k < lineEnd && text.charCodeAt(k) === char) k++;
  if (k - runStart < minLen) return -1;
  const runEnd = k;
  for (; k < lineEnd; k++) {
    const c = text.charCodeAt(k);
    if (c !== SPACE && c !== TAB && c !== CR) return -1;
  }
  return runEnd;
}

// ---------------------------------------------------------------------------------------------
// Characters

/** The characters JavaScript's `\s` matches (what String#trim drops). */
export function isWs(c: number): boolean {
  if (c <= 0x20) return c === SPACE || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Code units whose Grapheme_Cluster_Break property is Other or Control and that are not
 * Extended_Pictographic-after-ZWJ candidates, Prepend, Hangul jamo or regional indicators:
 * between two of them (CR LF aside) there is always a grapheme boundary.
 */
function isSimple(c: number): boolean {
  return (
    c < 0x300 ||
    (c >= 0x370 && c <= 0x482) ||
    isWs(c) ||
    (c >= 0x3001 && c <= 0x3029) ||
    (c >= 0x3041 && c <= 0x3096) ||
    (c >= 0x30a1 && c <= 0x30fa) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xff01 && c <= 0xff5e)
  );
}

const SENTENCE_END = new Set(['.', '!', '?', '…', '。', '！', '？', '‼', '⁇', '⁈', '⁉']);
const CLOSERS = new Set([')', ']', '}', '"', "'", '”', '’', '»', '」', '』', '）']);
const CJK_SENTENCE_END = new Set([0x3002, 0xff01, 0xff1f]);

// ---------------------------------------------------------------------------------------------
// Grapheme boundaries on bounded windows

let sharedSegmenter: Intl.Segmenter | undefined;
function segmenter(): Intl.Segmenter {
  sharedSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return sharedSegmenter;
}

/**
 * Could this code point attach to what precedes it (Grapheme_Cluster_Break Extend, ZWJ or
 * SpacingMark)? A superset: Grapheme_Extend, spacing marks, ZWJ/ZWNJ, emoji modifiers.
 */
const MAY_EXTEND = /[\p{Grapheme_Extend}\p{Mc}\u200c\u200d\u0e33\u0eb3]/u;
function mayExtend(cp: number): boolean {
  if (cp >= 0x1f3fb && cp <= 0x1f3ff) return true;
  return MAY_EXTEND.test(String.fromCodePoint(cp));
}

/** Could this code point be Prepend (which binds to what follows)? A superset of Unicode 16's list. */
function mayPrepend(cp: number): boolean {
  return (
    (cp >= 0x0600 && cp <= 0x0605) ||
    cp === 0x06dd ||
    cp === 0x070f ||
    (cp >= 0x0890 && cp <= 0x0891) ||
    cp === 0x08e2 ||
    cp === 0x0d4e ||
    (cp >= 0x110bd && cp <= 0x11f02)
  );
}

function codePointBefore(text: string, i: number): number {
  const lo = text.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = text.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return (hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
  }
  return lo;
}

/**
 * Grapheme boundary at `i` when the rules of UAX #29 decide it from the two neighbours alone;
 * undefined when it takes a segmenter to tell.
 */
function certainBoundary(text: string, i: number): boolean | undefined {
  if (i <= 0 || i >= text.length) return true;
  const a = text.charCodeAt(i - 1);
  const c = text.charCodeAt(i);
  if (a >= 0xd800 && a <= 0xdbff && c >= 0xdc00 && c <= 0xdfff) return false; // GB999 never splits a pair
  if (a === CR) return c !== LF; // GB3, GB4
  if (a === LF) return true; // GB4
  if (c === LF || c === CR) return true; // GB5
  if (isSimple(a) && isSimple(c)) return true; // GB999: neither side takes part in any joining rule
  const left = codePointBefore(text, i);
  const right = text.codePointAt(i)!;
  if (mayExtend(right)) return undefined; // GB9, GB9a: Extend, ZWJ, SpacingMark attach leftwards
  if (mayPrepend(left)) return undefined; // GB9b
  if (left === 0x200d) return undefined; // GB11: ZWJ x Extended_Pictographic
  if (mayExtend(left) && right >= 0x0900 && right <= 0x0d7f) return undefined; // GB9c: Linker x Consonant
  if (isRegionalIndicator(left) && isRegionalIndicator(right)) return undefined; // GB12, GB13
  if (isHangul(left) && isHangul(right)) return undefined; // GB6-GB8
  return true; // GB999
}

function isRegionalIndicator(cp: number): boolean {
  return cp >= 0x1f1e6 && cp <= 0x1f1ff;
}

function isHangul(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xd7b0 && cp <= 0xd7ff);
}

/** How far back a slow check looks for a position whose boundary is certain. */
const SAFE_LOOKBACK = 64;
/** Slow checks per chunk before the chunk's whole window is segmented once. */
const SLOW_CHECKS_BEFORE_FULL = 8;
/**
 * Intl.Segmenter slows down more than linearly with the length of its input (V8 copies the
 * string per step), so long stretches are segmented in windows of this size, each starting at a
 * boundary found by the previous one.
 */
const SEGMENT_WINDOW = 256;

class BoundaryOracle {
  private lo = 0;
  private slowChecks = 0;
  private fullFrom = -1;
  private fullTo = -1;
  private fullBoundaries: Uint8Array | undefined;

  constructor(
    private readonly text: string,
    private readonly span: number,
  ) {}

  /** Start a new chunk: `lo` is a known boundary (the chunk's start). */
  reset(lo: number): void {
    this.lo = lo;
    this.slowChecks = 0;
  }

  isBoundary(i: number): boolean {
    if (i === this.lo) return true;
    return certainBoundary(this.text, i) ?? this.slow(i);
  }

  private slow(i: number): boolean {
    if (this.fullBoundaries && i >= this.fullFrom && i < this.fullTo) {
      return this.fullBoundaries[i - this.fullFrom] === 1;
    }
    const text = this.text;
    if (this.slowChecks < SLOW_CHECKS_BEFORE_FULL) {
      this.slowChecks++;
      const floor = Math.max(this.lo, i - SAFE_LOOKBACK);
      for (let s = i - 1; s > floor; s--) {
        if (certainBoundary(text, s) === true) return segmentStartsAt(text, s, i);
      }
      if (floor === this.lo) return segmentStartsAt(text, this.lo, i);
    }
    // Segment from the chunk's start (a known boundary) once, and answer from the bitmap.
    const from = i < this.lo ? 0 : this.lo;
    const to = Math.min(text.length, Math.max(i + 2, from + this.span));
    this.fullBoundaries = boundaryMap(text, from, to);
    this.fullFrom = from;
    this.fullTo = to;
    return this.fullBoundaries[i - from] === 1;
  }
}

/** Whether a grapheme cluster starts at `i`, given that one starts at `s` (s < i). */
function segmentStartsAt(text: string, s: number, i: number): boolean {
  const slice = text.slice(s, Math.min(text.length, i + 2));
  for (const seg of segmenter().segment(slice)) {
    if (seg.index === i - s) return true;
    if (seg.index > i - s) return false;
  }
  return false;
}

/**
 * map[k] === 1 when a grapheme cluster starts at from + k, for from <= from + k < to. `from` must
 * be a boundary. Segmented window by window: boundaries near a window's end are not trusted (the
 * window may cut what follows), the next window starts at the last trusted one.
 */
export function boundaryMap(text: string, from: number, to: number): Uint8Array {
  const n = text.length;
  const map = new Uint8Array(to - from + 1);
  let s = from;
  let width = SEGMENT_WINDOW;
  while (s < to) {
    map[s - from] = 1;
    const end = Math.min(n, s + width);
    let next = s;
    for (const seg of segmenter().segment(text.slice(s, end))) {
      const p = s + seg.index;
      if (end < n && p > end - 4) break;
      if (p > s) {
        if (p < to) map[p - from] = 1;
        next = p;
      }
    }
    if (next === s) {
      if (end >= n) break;
      width *= 2; // one cluster fills the window: look further
      continue;
    }
    width = SEGMENT_WINDOW;
    s = next;
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// The planner

const PARAGRAPH = 0;
const LINE = 1;
const SENTENCE = 2;
const WORD = 3;
const CLASSES = 4;

interface Cut {
  /** Chunk content ends here (exclusive). */
  end: number;
  /** The next chunk's content starts here. */
  next: number;
  /** Set when the cut lies inside a split fence: that block. */
  fence: FenceBlock | undefined;
}

class Planner {
  private readonly n: number;
  private readonly fences: FenceBlock[];
  private readonly oracle: BoundaryOracle;

  constructor(
    private readonly text: string,
    private readonly limit: number,
  ) {
    this.n = text.length;
    // A block is kept balanced when a chunk can hold its opening line, its closing fence and one
    // code point between them; at smaller limits (or for a huge info string) it is treated as text.
    this.fences = findFenceBlocks(text).filter((f) => fenceFits(f, limit));
    this.oracle = new BoundaryOracle(text, limit + 2);
  }

  private oversized(f: FenceBlock): boolean {
    return f.end - f.start > this.limit;
  }

  run(): ChunkPiece[] {
    const { text, n, limit, fences } = this;
    const pieces: ChunkPiece[] = [];
    let pos = skipWs(text, 0, n);
    this.oracle.reset(0);
    if (!this.oracle.isBoundary(pos)) pos = 0; // leading whitespace that a mark attaches to stays
    let prefix = '';
    let fi = 0;
    while (pos < n) {
      while (fi < fences.length && fences[fi]!.end <= pos) fi++;
      const budget = limit - prefix.length;
      if (n - pos <= budget) {
        pieces.push({ start: pos, end: n, prefix, suffix: '' });
        break;
      }
      this.oracle.reset(pos);
      const cut = this.findCut(pos, pos + budget, fi) ?? this.hardCut(pos, pos + budget, fi);
      pieces.push({ start: pos, end: cut.end, prefix, suffix: cut.fence ? cut.fence.close : '' });
      prefix = cut.fence ? cut.fence.reopen : '';
      pos = cut.next;
    }
    return pieces;
  }

  /**
   * The last cut of the best class (paragraph, line, sentence, word) in (pos, windowEnd], or
   * undefined. One backward scan of the window: the first cut of a class met from the end is the
   * last one of that class, and the scan stops at the first paragraph break (nothing beats it).
   */
  private findCut(pos: number, windowEnd: number, fi: number): Cut | undefined {
    const { text, n, fences } = this;
    const best: Array<Cut | undefined> = new Array<Cut | undefined>(CLASSES);

    // j: the last fence that starts before b.
    let j = fi - 1;
    const top = Math.min(windowEnd, n - 1);
    while (j + 1 < fences.length && fences[j + 1]!.start < top) j++;

    for (let b = top; b > pos; b--) {
      while (j >= fi && fences[j]!.start >= b) j--;
      const f = j >= fi ? fences[j]! : undefined;
      const c = text.charCodeAt(b);
      if (f && b < f.end) {
        // Inside a fenced block.
        if (!this.oversized(f)) {
          b = f.start; // jump over the block (the loop steps to f.start - 1)
          continue;
        }
        if (c !== LF || b <= f.openEnd) continue;
        const end = text.charCodeAt(b - 1) === CR ? b - 1 : b;
        // A closed part holds some code after its opening line (not just an empty first line).
        if (end <= pos || end <= f.openEnd + 1 || end > windowEnd - f.close.length) continue;
        // The line break goes, and at a paragraph break the blank lines after it too (the next
        // chunk starts with the reopened fence, not an empty code line).
        const next = skipBlankLines(text, b + 1, f.closeStart);
        if (next >= f.closeStart) continue; // never leave the closing fence alone to the next chunk
        const cls = next > b + 1 ? PARAGRAPH : LINE;
        if (best[cls] === undefined) {
          best[cls] = { end, next, fence: f };
          if (cls === PARAGRAPH) break;
        }
        continue;
      }
      if (isWs(c)) {
        // Every position of this whitespace run gives the same cut: decide once, then skip it.
        let end = b;
        while (end > pos && isWs(text.charCodeAt(end - 1))) end--;
        if (end <= pos) break;
        const newlines = countNewlines(text, end, n, 2);
        const cls = newlines >= 2 ? PARAGRAPH : newlines === 1 ? LINE : endsSentence(text, pos, end) ? SENTENCE : WORD;
        if (best[cls] === undefined) {
          const next = skipWs(text, b, n);
          if (this.oracle.isBoundary(end) && this.oracle.isBoundary(next)) {
            best[cls] = { end, next, fence: undefined };
            if (cls === PARAGRAPH) break;
          }
        }
        b = end; // the loop steps to end - 1
        continue;
      }
      if (best[SENTENCE] === undefined && CJK_SENTENCE_END.has(text.charCodeAt(b - 1)) && this.oracle.isBoundary(b)) {
        best[SENTENCE] = { end: b, next: b, fence: undefined };
      }
    }
    if (best[PARAGRAPH] === undefined && best[LINE] === undefined && best[SENTENCE] === undefined) {
      const word = this.wordCut(pos, windowEnd, fi, best[WORD]?.end ?? pos);
      if (word) return word;
    }
    for (const cut of best) if (cut) return cut;
    return undefined;
  }

  /**
   * A word boundary without whitespace (word-breaks.ts) after `after`, outside fenced blocks, or
   * undefined. Nothing is dropped at such a cut.
   */
  private wordCut(pos: number, windowEnd: number, fi: number, after: number): Cut | undefined {
    let from = after;
    const top = Math.min(windowEnd, this.n);
    for (let k = fi; k < this.fences.length && this.fences[k]!.start < top; k++) {
      const f = this.fences[k]!;
      if (f.end >= top) return undefined; // the window ends in a block: its cuts are the block's own
      from = Math.max(from, f.end);
    }
    const b = lastWordBoundary(this.text, Math.max(from, pos), top);
    if (b <= pos || !this.oracle.isBoundary(b)) return undefined;
    return { end: b, next: b, fence: undefined };
  }

  /** No break of any class: cut at the last grapheme boundary that fits. */
  private hardCut(pos: number, windowEnd: number, fi: number): Cut {
    const { text, fences } = this;
    let h = windowEnd;
    let j = fi - 1;
    while (j + 1 < fences.length && fences[j + 1]!.start < h) j++;
    let steps = 0;
    while (h > pos && steps++ <= this.limit) {
      while (j >= fi && fences[j]!.start >= h) j--;
      const f = j >= fi ? fences[j]! : undefined;
      if (f && h < f.end) {
        // A hard cut inside a block keeps at least one unit of code in this chunk and leaves at
        // least one code unit beside the closing fence line for the next one.
        if (!this.oversized(f) || h <= f.openEnd + 1) {
          h = f.start;
          continue;
        }
        const max = Math.min(windowEnd - f.close.length, f.closeStart - 2);
        if (h > max) {
          h = max;
          continue;
        }
        if (this.oracle.isBoundary(h)) return { end: h, next: h, fence: f };
        h--;
        continue;
      }
      if (this.oracle.isBoundary(h)) {
        const next = skipWs(text, h, this.n);
        return { end: h, next: this.oracle.isBoundary(next) ? next : h, fence: undefined };
      }
      h--;
    }
    return this.codePointCut(pos, windowEnd, fi);
  }

  /** Last resort (a single grapheme cluster longer than the window): cut between code points. */
  private codePointCut(pos: number, windowEnd: number, fi: number): Cut {
    const { text, fences } = this;
    let f: FenceBlock | undefined;
    for (let k = fi; k < fences.length && fences[k]!.start < windowEnd; k++) {
      if (windowEnd < fences[k]!.end) f = fences[k];
    }
    let h = f ? windowEnd - f.close.length : windowEnd;
    const hi = text.charCodeAt(h - 1);
    if (hi >= 0xd800 && hi <= 0xdbff) h--;
    if (h <= pos) h = pos + 1 + (isHighSurrogate(text.charCodeAt(pos)) ? 1 : 0);
    return { end: h, next: h, fence: f };
  }
}

/** The room a fence needs around the content of a split block: `reopen` + `close`. */
export function fenceOverhead(f: FenceBlock): number {
  return f.reopen.length + f.close.length;
}

/**
 * Can chunks of at most `limit` keep this block balanced? They must hold its opening line, its
 * closing fence and at least one code point (2 code units) of content.
 */
export function fenceFits(f: FenceBlock, limit: number): boolean {
  return fenceOverhead(f) + MIN_CHUNK_LIMIT <= limit;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function skipWs(text: string, i: number, n: number): number {
  while (i < n && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** Newlines in the whitespace run starting at `from`, counting at most `max`. */
function countNewlines(text: string, from: number, n: number, max: number): number {
  let count = 0;
  for (let k = from; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c === LF) {
      if (++count >= max) return count;
    } else if (!isWs(c)) break;
  }
  return count;
}

/** The start of the first line at or after `from` (a line start) that is not blank, at most `stop`. */
function skipBlankLines(text: string, from: number, stop: number): number {
  let lineStart = from;
  for (let k = from; k < stop; k++) {
    const c = text.charCodeAt(k);
    if (c === LF) lineStart = k + 1;
    else if (c !== SPACE && c !== TAB && c !== CR) return lineStart;
  }
  return stop;
}

/** Does the text just before `end` close a sentence (closing quotes and brackets skipped)? */
function endsSentence(text: string, pos: number, end: number): boolean {
  let k = end - 1;
  for (let skipped = 0; k > pos && skipped < 3 && CLOSERS.has(text[k]!); skipped++) k--;
  return k >= pos && SENTENCE_END.has(text[k]!);
}
