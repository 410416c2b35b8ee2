/**
 * Word boundaries between two words written without a space (Chinese, Japanese, Thai, Lao, Khmer,
 * or Latin letters running into ideographs), found by `Intl.Segmenter` with word granularity
 * (UAX #29 plus ICU's dictionaries). Used by the chunker when a window holds no whitespace, line or
 * sentence break: a cut between 公园 and 玩 reads better than one inside a word.
 *
 * Only a boundary with a word on each side counts (both segments `isWordLike`), so punctuation is
 * never a place to cut: a URL or `a-b` is not split at `/` or `-` (it gets a grapheme cut, as
 * before), and emoji runs have no word boundaries.
 */

/** How much text before the window's end is segmented (V8's segmenter is superlinear). */
export const WORD_LOOKBACK = 256;
/** How much text after the window's end is segmented too, so the last word is seen whole. */
const WORD_LOOKAHEAD = 32;

let sharedWordSegmenter: Intl.Segmenter | undefined;
function wordSegmenter(): Intl.Segmenter {
  sharedWordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  return sharedWordSegmenter;
}

/**
 * The last position p with from < p <= to where one word ends and the next begins, looking at
 * most WORD_LOOKBACK units back from `to`; -1 when there is none. `from` should be a grapheme
 * boundary; the caller still checks p against its grapheme oracle.
 */
export function lastWordBoundary(text: string, from: number, to: number): number {
  const start = Math.max(from, to - WORD_LOOKBACK);
  const end = Math.min(text.length, to + WORD_LOOKAHEAD);
  if (to <= start) return -1;
  let best = -1;
  let prevWordLike = false;
  let first = true;
  for (const seg of wordSegmenter().segment(text.slice(start, end))) {
    const p = start + seg.index;
    if (p > to) break;
    const wordLike = seg.isWordLike === true;
    // The first segment may begin mid-word (the slice starts anywhere): no boundary at its start.
    if (!first && wordLike && prevWordLike && p > from) best = p;
    prevWordLike = wordLike;
    first = false;
  }
  return best;
}
