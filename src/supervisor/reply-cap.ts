/**
 * `imessage.maxReplyChars`: the most of one reply's text that is sent. Past it the text is cut at
 * a grapheme-cluster boundary (never inside an emoji or a surrogate pair) and a visible notice is
 * appended, so the reader knows something is missing. Lengths are in the unit of every outbound
 * limit: UTF-16 code units (`string.length`, see chunk-text.ts).
 */
import { chunkLength } from '../workers/chunk-text.js';

export interface CappedReply {
  text: string;
  /** Characters of the original text not sent (0 when it fit). */
  cutChars: number;
}

export function truncationNotice(cutChars: number): string {
  return `… [reply truncated: ${cutChars} characters not sent]`;
}

/** The reply as it is sent: whole when it fits in `max`, else its first part and the notice. */
export function capReply(text: string, max: number): CappedReply {
  if (chunkLength(text) <= max) return { text, cutChars: 0 };
  const keep = graphemeBoundaryAtOrBefore(text, max);
  const kept = text.slice(0, keep).trimEnd();
  const cutChars = chunkLength(text) - chunkLength(kept);
  return { text: `${kept}\n\n${truncationNotice(cutChars)}`, cutChars };
}

const WINDOW = 64;
let segmenter: Intl.Segmenter | undefined;

/** The largest grapheme-cluster boundary ≤ `index` (0 when the first cluster is longer). */
function graphemeBoundaryAtOrBefore(text: string, index: number): number {
  const from = Math.max(0, index - WINDOW);
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let boundary = from;
  for (const { index: start } of segmenter.segment(text.slice(from, Math.min(text.length, index + WINDOW)))) {
    const at = from + start;
    if (at > index) break;
    boundary = at;
  }
  return boundary;
}
