/**
 * The flow and log panels kept up to date from the event stream (pure): pushed flow entries replace
 * the ones the page holds (by account and guid) or join them, newest first; pushed log records join
 * by their seq, oldest first. Both are bounded.
 */
import type { FlowAnswer, FlowEntry, LogRecord } from './types.js';

export const MAX_FLOW_ENTRIES = 150;
export const MAX_LOG_RECORDS = 300;

function key(e: FlowEntry): string {
  return `${e.accountId}\u0000${e.guid === '' ? `rowid-${e.rowid}` : e.guid}`;
}

/**
 * The flow after pushed entries: those of other accounts than `scope` (when one is selected) are
 * left out; without showText no entry keeps a text.
 */
export function mergeFlow(answer: FlowAnswer | undefined, entries: readonly FlowEntry[], showText: boolean, scope: string | null): FlowAnswer {
  const byKey = new Map<string, FlowEntry>();
  for (const e of answer?.flow ?? []) byKey.set(key(e), e);
  for (const e of entries) if (scope === null || e.accountId === scope) byKey.set(key(e), e);
  const flow = [...byKey.values()]
    .map((e) => {
      if (showText || !('text' in e)) return e;
      const { text: _text, ...rest } = e;
      return rest;
    })
    .sort((a, b) => b.recordedAt - a.recordedAt || b.rowid - a.rowid)
    .slice(0, MAX_FLOW_ENTRIES);
  return { flow, showText };
}

/** The log after pushed records: by seq, oldest first, at most MAX_LOG_RECORDS. */
export function mergeLog(records: readonly LogRecord[], pushed: readonly LogRecord[]): LogRecord[] {
  const bySeq = new Map<number, LogRecord>();
  for (const r of records) bySeq.set(r.seq, r);
  for (const r of pushed) bySeq.set(r.seq, r);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-MAX_LOG_RECORDS);
}
