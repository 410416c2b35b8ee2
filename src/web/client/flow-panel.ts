/**
 * The live message flow: per inbound message the time, account, chat, sender, the decision and
 * its reason (with the policy trace when the journal records one) and the outcome of its turn's
 * replies (an earlier message of a collected turn: the turn that answered it, and its replies); the
 * accounts' state changes (an imsg child killed, a restart) interleaved where they happened.
 * Message text appears only when the gateway's config turns it on (showText).
 */
import { el, fill, syncRows } from './dom.js';
import { time } from './format.js';
import type { AccountStatus, FlowAnswer, FlowEntry } from './types.js';

const MAX_ROWS = 150;
/** Traces the operator opened stay open across the re-renders (by account and guid). */
const openTraces = new Set<string>();

function traceDetails(e: FlowEntry): HTMLDetailsElement {
  const key = `${e.accountId}\u0000${e.guid}`;
  const details = el('details', { open: openTraces.has(key) }, el('summary', { text: 'trace' }), el('pre', { class: 'trace', 'data-testid': 'flow-trace', text: traceLines(e.trace).join('\n') }));
  details.addEventListener('toggle', () => {
    if (details.open) openTraces.add(key);
    else openTraces.delete(key);
  });
  return details;
}

type Row = { at: number; kind: 'message'; entry: FlowEntry } | { at: number; kind: 'lifecycle'; account: string; from: string; to: string; reason: string };

/** A trace as short lines: an array of steps, an object of fields, or its text. */
export function traceLines(trace: unknown): string[] {
  const line = (step: unknown): string => {
    if (step === null || typeof step !== 'object') return String(step);
    return Object.entries(step as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join(' ');
  };
  if (Array.isArray(trace)) return trace.map(line);
  if (trace !== null && typeof trace === 'object') {
    const steps = (trace as { steps?: unknown }).steps;
    if (Array.isArray(steps)) return steps.map(line);
    return Object.entries(trace as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  }
  return [String(trace)];
}

/** The reply cell: the turn's replies, and for a collected turn which message's turn answered this one. */
export function replyCellText(e: FlowEntry): string {
  const reply = e.reply;
  const outcome = reply ? `${reply.state}${reply.count > 1 ? ` (${reply.count} parts)` : ''}${reply.error ? `: ${reply.error}` : ''}` : e.decision === 'accepted' ? 'pending' : 'no reply';
  const turn = e.turn;
  if (!turn) return outcome;
  if (turn.latestGuid !== e.guid) {
    const of = `the collected turn of ${turn.latestGuid}`;
    if (e.decision === 'dropped') return `failed in ${of}`;
    return reply ? `answered in ${of}: ${outcome}` : `in ${of}: ${outcome}`;
  }
  return `${outcome}; collected ${turn.earlier} earlier message${turn.earlier === 1 ? '' : 's'}`;
}

function messageRow(e: FlowEntry, showText: boolean): HTMLTableRowElement {
  const reply = e.reply;
  return el(
    'tr',
    { class: 'message', 'data-testid': 'flow-row', 'data-kind': 'message', 'data-account': e.accountId, 'data-decision': e.decision, 'data-guid': e.guid },
    el('td', { text: time(e.recordedAt), title: new Date(e.recordedAt).toISOString() }),
    el('td', { text: e.accountId }),
    el('td', { text: `chat ${e.chatId}` }),
    el('td', { text: e.sender }),
    el(
      'td',
      { class: `decision-${e.decision}` },
      `${e.decision}${e.reason ? `: ${e.reason}` : ''}`,
      e.trace !== undefined && e.trace !== null ? traceDetails(e) : null,
    ),
    el('td', {
      class: reply ? `reply-${reply.state}` : 'muted',
      'data-testid': 'flow-reply',
      ...(e.turn ? { 'data-turn': e.turn.latestGuid } : {}),
      text: replyCellText(e),
    }),
    showText ? el('td', { class: 'text', text: e.text ?? '' }) : null,
  );
}

function lifecycleRow(r: Extract<Row, { kind: 'lifecycle' }>, columns: number): HTMLTableRowElement {
  return el(
    'tr',
    { class: 'lifecycle', 'data-testid': 'flow-row', 'data-kind': 'lifecycle', 'data-account': r.account, 'data-to': r.to },
    el('td', { text: time(r.at) }),
    el('td', { text: r.account }),
    el('td', { colspan: columns - 2, text: `${r.from} → ${r.to}: ${r.reason}` }),
  );
}

export function renderFlow(root: HTMLElement, answer: FlowAnswer | undefined, accounts: readonly AccountStatus[], scope: string | null): void {
  const rows: Row[] = [];
  for (const e of answer?.flow ?? []) rows.push({ at: e.recordedAt, kind: 'message', entry: e });
  for (const a of accounts) {
    if (scope !== null && a.id !== scope) continue;
    for (const t of a.transitions) rows.push({ at: Date.parse(t.at), kind: 'lifecycle', account: a.id, from: t.from, to: t.to, reason: t.reason });
  }
  rows.sort((x, y) => y.at - x.at);
  const showText = answer?.showText === true;
  const columns = showText ? 7 : 6;
  const head = el('tr', {}, ...['time', 'account', 'chat', 'sender', 'decision and reason', 'reply', ...(showText ? ['text'] : [])].map((h) => el('th', { text: h })));
  // Each row carries a key (a message by account and guid, a state change by account, time and
  // states; repeats numbered), so the table is updated in place: a click on a trace is not lost to
  // a re-render (one per pushed event).
  const seen = new Map<string, number>();
  const built = rows.slice(0, MAX_ROWS).map((r) => {
    const base = r.kind === 'message' ? `m\u0000${r.entry.accountId}\u0000${r.entry.guid}` : `l\u0000${r.account}\u0000${r.at}\u0000${r.from}\u0000${r.to}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    const row = r.kind === 'message' ? messageRow(r.entry, showText) : lifecycleRow(r, columns);
    row.setAttribute('data-key', `${base}\u0000${n}`);
    return row;
  });
  if (rows.length === 0) {
    fill(root, el('p', { class: 'muted', text: answer ? 'no messages yet' : 'loading…' }));
    return;
  }
  const table = root.querySelector<HTMLTableElement>(':scope > table.flow');
  let body = table?.tHead?.rows[0]?.isEqualNode(head) ? table.tBodies[0] : undefined;
  if (!body) {
    body = el('tbody');
    fill(root, el('table', { class: 'flow' }, el('thead', {}, head), body));
  }
  syncRows(body, built, (row) => row.getAttribute('data-key') ?? '');
}
