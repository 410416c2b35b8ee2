/**
 * Catch-up with `messages.after` (imsg 0.14+, imsg-rpc-current.md §9.2): the pure decisions of the
 * page loop and the progress shown in status. The loop itself (requests, delivery, persisting the
 * cursor) is the account runtime's `catchUp` actor (src/supervisor/catch-up-runner.ts).
 *
 * - The cursor moves to `next_rowid` after every page (even an empty one), never backwards.
 * - Done is `has_more: false`, never inferred from the count or the last id.
 * - A page that says `has_more` without moving the cursor, or an answer without `next_rowid` /
 *   `has_more`, ends the paging: the watch subscribes from the cursor (`since_rowid`), which covers
 *   the rest as it does on imsg ≤0.13, instead of asking the same page forever.
 */

/** What one `messages.after` answer says, once read. */
export interface AfterPage {
  messages: unknown[];
  nextRowid: number;
  hasMore: boolean;
}

export type ParsedAfter = { ok: true; page: AfterPage } | { ok: false; problem: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseAfterResult(result: unknown): ParsedAfter {
  if (!isRecord(result) || !Array.isArray(result.messages)) return { ok: false, problem: 'messages.after answered without a messages list' };
  if (!Number.isSafeInteger(result.next_rowid)) return { ok: false, problem: 'messages.after answered without an integer next_rowid' };
  if (typeof result.has_more !== 'boolean') return { ok: false, problem: 'messages.after answered without has_more' };
  return { ok: true, page: { messages: result.messages, nextRowid: result.next_rowid as number, hasMore: result.has_more } };
}

export interface CatchUpState {
  startedAt: number;
  fromRowid: number;
  /** Exclusive: the next page asks for rows after this one. */
  cursor: number;
  /** The newest row id known (estimated at the start, raised by what the pages show); null if unknown. */
  head: number | null;
  rows: number;
  pages: number;
}

export type StopReason = 'caught-up' | 'stalled' | 'malformed';

export type PageDecision = { next: 'page' } | { next: 'subscribe'; why: StopReason };

export function startCatchUp(fromRowid: number, head: number | null, now: number): CatchUpState {
  const from = Math.max(fromRowid, 0);
  return { startedAt: now, fromRowid: from, cursor: from, head: head === null ? null : Math.max(head, from), rows: 0, pages: 0 };
}

/** The `messages.after` params for the next page (§9.2: `since_rowid` ≥ 0). */
export function pageParams(state: CatchUpState, limit: number, attachments: boolean): Record<string, unknown> {
  return { since_rowid: Math.max(state.cursor, 0), limit, attachments };
}

/** Folds one answer into the state and decides whether to ask for another page. */
export function afterPage(state: CatchUpState, parsed: ParsedAfter): { state: CatchUpState; decision: PageDecision } {
  if (!parsed.ok) return { state, decision: { next: 'subscribe', why: 'malformed' } };
  const { page } = parsed;
  const ids = page.messages.map((m) => (isRecord(m) && Number.isSafeInteger(m.id) ? (m.id as number) : Number.NEGATIVE_INFINITY));
  const cursor = Math.max(state.cursor, page.nextRowid);
  const seen = Math.max(cursor, ...ids);
  const next: CatchUpState = {
    ...state,
    cursor,
    head: state.head === null ? null : Math.max(state.head, seen),
    rows: state.rows + page.messages.length,
    pages: state.pages + 1,
  };
  if (!page.hasMore) return { state: next, decision: { next: 'subscribe', why: 'caught-up' } };
  if (cursor <= state.cursor) return { state: next, decision: { next: 'subscribe', why: 'stalled' } };
  return { state: next, decision: { next: 'page' } };
}

/** What status and the live view show about a catch-up. */
export interface CatchUpProgress {
  /** true while paging; false once the watch took over (the last catch-up's totals). */
  active: boolean;
  startedAt: number;
  fromRowid: number;
  cursor: number;
  /** Rows between the cursor and the newest row known (row ids, so reactions and gaps count); null when unknown. */
  behindBy: number | null;
  rows: number;
  pages: number;
  elapsedMs: number;
  /** Messages handed to the inbound path per second since the start; null before any time passed. */
  rowsPerSecond: number | null;
  /** At this rate, how long the rest takes; null when unknown. */
  etaMs: number | null;
  /** How it ended (absent while active). */
  stoppedBy?: StopReason;
}

export function progressOf(state: CatchUpState, now: number, stoppedBy?: StopReason): CatchUpProgress {
  const elapsedMs = Math.max(now - state.startedAt, 0);
  const done = stoppedBy === 'caught-up';
  const behindBy = done ? 0 : state.head === null ? null : Math.max(state.head - state.cursor, 0);
  const rowsPerSecond = elapsedMs > 0 ? Math.round((state.rows * 1000) / elapsedMs) : null;
  const etaMs =
    behindBy === null ? null : behindBy === 0 ? 0 : rowsPerSecond !== null && rowsPerSecond > 0 ? Math.round((behindBy * 1000) / rowsPerSecond) : null;
  return {
    active: stoppedBy === undefined,
    startedAt: state.startedAt,
    fromRowid: state.fromRowid,
    cursor: state.cursor,
    behindBy,
    rows: state.rows,
    pages: state.pages,
    elapsedMs,
    rowsPerSecond,
    etaMs,
    ...(stoppedBy ? { stoppedBy } : {}),
  };
}

/** "behind by 4,200 rows, 1,850 rows/s": the one line shown beside the state. */
export function describeProgress(p: CatchUpProgress): string {
  const behind = p.behindBy === null ? 'behind by an unknown number of rows' : `behind by ${p.behindBy} rows`;
  const rate = p.rowsPerSecond === null ? '' : `, ${p.rowsPerSecond} rows/s`;
  return `${behind}${rate} (${p.rows} rows in ${p.pages} pages so far)`;
}
