/**
 * Markdown emphasis → imsg's native `text_formatting` (issue 17, item 6): `**bold**`, `*italic*` /
 * `_italic_`, `~~strikethrough~~` become ranges over the text with the markers removed. Pure; run
 * per chunk after chunking, so every range lies inside the chunk it is sent with.
 *
 * Ranges are `{start, length, styles}` in UTF-16 code units (JavaScript string indices, as
 * NSRange counts). This is the shape imsg's bridge helper reads (openclaw/imsg
 * `Sources/IMsgHelper/MessageBody.inc`, `buildFormattedAttributed`: `start`/`length` numbers over
 * the NSString, `styles` from bold, italic, underline, strikethrough; the RPC layer only checks
 * that `text_formatting` is an array of objects and passes it on). The helper silently skips an
 * entry of another shape or outside the text, and sends plain text before macOS 15. Non-overlapping, each with every style that applies to it (`["bold","italic"]`
 * for `***both***`). Only balanced markers count: a marker with no closer, one whose content is
 * empty or starts or ends with a space, or `_` inside a word (`snake_case`) stays as written. Code
 * spans (`` `x` ``) and fenced code blocks are left alone.
 */

export type FormattingStyle = 'bold' | 'italic' | 'strikethrough';

export interface FormattingRange {
  start: number;
  length: number;
  styles: FormattingStyle[];
}

export interface FormattedText {
  text: string;
  ranges: FormattingRange[];
}

const MARKERS: Array<{ m: string; style: FormattingStyle }> = [
  { m: '**', style: 'bold' },
  { m: '~~', style: 'strikethrough' },
  { m: '*', style: 'italic' },
  { m: '_', style: 'italic' },
];
const STYLE_ORDER: FormattingStyle[] = ['bold', 'italic', 'strikethrough'];

const isSpace = (c: string | undefined): boolean => c === undefined || /\s/u.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/** Where the closer of marker `m` opened at `open` is, or -1. */
function findCloser(s: string, open: number, m: string, end: number): number {
  const from = open + m.length;
  if (isSpace(s[from])) return -1;
  if (m === '_' && isWordChar(s[open - 1])) return -1;
  for (let j = from + 1; j + m.length <= end; j++) {
    const c = s[j];
    if (c === '`' || c === '\n' && s[j + 1] === '\n') return -1; // no emphasis across a code span or a paragraph
    if (m.length === 1 && j + 2 <= end && s.startsWith(m + m, j)) {
      j++; // a double marker inside single-marker text belongs to a nested span
      continue;
    }
    if (!s.startsWith(m, j) || isSpace(s[j - 1])) continue;
    if (m === '_' && isWordChar(s[j + 1])) continue;
    // In a longer run (`***` closing `***both***`), the outer marker takes the run's last characters.
    while (m.length > 1 && s[j + m.length] === m[0] && j + 1 + m.length <= end) j++;
    return j;
  }
  return -1;
}

interface Span {
  text: string;
  /** Per UTF-16 unit of `text`: the styles on it. */
  styles: Array<Set<FormattingStyle>>;
}

function parse(s: string, start: number, end: number, inherited: ReadonlySet<FormattingStyle>, out: Span): void {
  let i = start;
  const literal = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      out.text += s[k]!;
      out.styles.push(new Set(inherited));
    }
  };
  while (i < end) {
    // Fenced code block: from a line starting with ``` to the next such line, verbatim.
    if (s.startsWith('```', i) && (i === 0 || s[i - 1] === '\n')) {
      const close = s.indexOf('\n```', i + 3);
      let to = end;
      if (close !== -1 && close < end) {
        const eol = s.indexOf('\n', close + 4);
        if (eol !== -1 && eol < end) to = eol;
      }
      literal(i, to);
      i = to;
      continue;
    }
    if (s[i] === '`') {
      const close = s.indexOf('`', i + 1);
      const to = close === -1 || close >= end ? i + 1 : close + 1;
      literal(i, to);
      i = to;
      continue;
    }
    let matched = false;
    for (const { m, style } of MARKERS) {
      if (!s.startsWith(m, i)) continue;
      const close = findCloser(s, i, m, end);
      if (close === -1) continue;
      const inner = new Set(inherited);
      inner.add(style);
      parse(s, i + m.length, close, inner, out);
      i = close + m.length;
      matched = true;
      break;
    }
    if (!matched) {
      literal(i, i + 1);
      i++;
    }
  }
}

/** The text with the emphasis markers removed, and the ranges they stood for. */
export function markdownToFormatting(input: string): FormattedText {
  const out: Span = { text: '', styles: [] };
  parse(input, 0, input.length, new Set(), out);
  const ranges: FormattingRange[] = [];
  let i = 0;
  while (i < out.styles.length) {
    const set = out.styles[i]!;
    let j = i + 1;
    while (j < out.styles.length && sameSet(out.styles[j]!, set)) j++;
    if (set.size > 0) ranges.push({ start: i, length: j - i, styles: STYLE_ORDER.filter((x) => set.has(x)) });
    i = j;
  }
  return { text: out.text, ranges };
}

function sameSet(a: ReadonlySet<FormattingStyle>, b: ReadonlySet<FormattingStyle>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
