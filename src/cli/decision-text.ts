/**
 * How the CLI prints decisions about inbound messages (issue 16, item 3): one message's decision
 * and trace (`why GUID`, `status --message GUID`) and the recent decisions of one account
 * (`status ACCOUNT`). Pure text; no message text is ever printed (the journal's trace holds none).
 */
import type { CollectedTurn, FlowEntry, ReplyOutcome } from '../store/index.js';
import type { DecisionView } from '../supervisor/decision-view.js';
import { traceText } from '../supervisor/decision-view.js';

/** `dropped (mention-required)`, `dispatched`, `accepted, waiting for its agent`. */
export function outcomeText(state: DecisionView['state'], reason: string | null): string {
  if (state === 'dropped') return `dropped (${reason ?? 'unspecified'})`;
  return state === 'accepted' ? 'accepted, waiting for its agent' : 'dispatched';
}

/** A turn's replies: `reply sent`, `2 replies failed (automation denied)`, `no reply`. */
export function replyText(reply: ReplyOutcome | null): string {
  if (reply === null) return 'no reply';
  const n = reply.count === 1 ? 'reply' : `${reply.count} replies`;
  return `${n} ${reply.state}${reply.error && reply.state !== 'sent' ? ` (${reply.error})` : ''}`;
}

function earlierText(earlier: number): string {
  return `collected ${earlier} earlier message${earlier === 1 ? '' : 's'}`;
}

/**
 * What became of a message's turn, after its outcome ('' when there is nothing to say):
 * - an earlier message of a collected turn: `answered in the collected turn of G5: reply sent`
 *   (`in the collected turn of G5: no reply`; `failed in the collected turn of G5` when the turn
 *   failed every attempt);
 * - the latest message of a collected turn: `collected 4 earlier messages, reply sent`;
 * - a turn of one message: `reply sent`, `no reply` (dispatched), nothing while accepted or dropped.
 */
export function turnText(m: { guid: string; state: DecisionView['state']; reply: ReplyOutcome | null; turn?: CollectedTurn | null | undefined }): string {
  const { turn, reply, state } = m;
  if (turn && turn.latestGuid !== m.guid) {
    const of = `the collected turn of ${turn.latestGuid}`;
    if (state === 'dropped') return `failed in ${of}`;
    if (state === 'accepted') return '';
    return reply === null ? `in ${of}: no reply` : `answered in ${of}: ${replyText(reply)}`;
  }
  const reported = reply !== null || state === 'dispatched' ? replyText(reply) : '';
  if (turn) return state === 'dispatched' ? `${earlierText(turn.earlier)}, ${reported}` : earlierText(turn.earlier);
  return reported;
}

/** One message's decision: what, from whom, what became of its turn, and the rules that fired. */
export function decisionLines(r: DecisionView): string[] {
  const turn = turnText(r);
  return [
    `${r.account} ${r.guid}: ${outcomeText(r.state, r.reason)}${turn ? `, ${turn}` : ''}`,
    `  from ${r.sender} in chat ${r.chatId}, row ${r.rowid}, journalled ${r.recordedAt}`,
    `  ${traceText(r.trace)}`,
  ];
}

/** A flow entry's trace as the journal keeps it: an array of rule names, else none. */
function traceOf(entry: FlowEntry): string[] | null {
  return Array.isArray(entry.trace) && entry.trace.every((t) => typeof t === 'string') ? (entry.trace as string[]) : null;
}

/**
 * The recent decisions of one account, newest first, two lines each:
 *   `    2026-11-30T10:21:03.120Z dropped (mention-required), +15551230001 in chat 3, guid G`
 *   `      group → groupPolicy:open → mention:missing → drop`
 */
export function recentDecisionLines(entries: readonly FlowEntry[], indent = '    '): string[] {
  if (entries.length === 0) return [`${indent}recent decisions: none journalled yet`];
  const lines = [`${indent}recent decisions, newest first (\`imessage-gateway why GUID\` for one message):`];
  for (const e of entries) {
    const reply = turnText({ guid: e.guid, state: e.decision, reply: e.reply, turn: e.turn });
    lines.push(
      `${indent}  ${new Date(e.recordedAt).toISOString()} ${outcomeText(e.decision, e.reason)}, ${e.sender} in chat ${e.chatId}` +
        `${reply ? `, ${reply}` : ''}, guid ${e.guid || `(row ${e.rowid})`}`,
    );
    lines.push(`${indent}    ${traceText(traceOf(e))}`);
  }
  return lines;
}
