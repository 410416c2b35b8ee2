/**
 * How the CLI prints decisions about inbound messages (issue 16, item 3): one message's decision
 * and trace (`why GUID`, `status --message GUID`) and the recent decisions of one account
 * (`status ACCOUNT`). Pure text; no message text is ever printed (the journal's trace holds none).
 */
import type { FlowEntry } from '../store/index.js';
import type { DecisionView } from '../supervisor/decision-view.js';
import { traceText } from '../supervisor/decision-view.js';

/** `dropped (mention-required)`, `dispatched`, `accepted, waiting for its agent`. */
export function outcomeText(state: DecisionView['state'], reason: string | null): string {
  if (state === 'dropped') return `dropped (${reason ?? 'unspecified'})`;
  return state === 'accepted' ? 'accepted, waiting for its agent' : 'dispatched';
}

/** One message's decision: what, from whom, and the rules that fired. */
export function decisionLines(r: DecisionView): string[] {
  return [
    `${r.account} ${r.guid}: ${outcomeText(r.state, r.reason)}`,
    `  from ${r.sender} in chat ${r.chatId}, row ${r.rowid}, journalled ${r.recordedAt}`,
    `  ${traceText(r.trace)}`,
  ];
}

/** A flow entry's trace as the journal keeps it: an array of rule names, else none. */
function traceOf(entry: FlowEntry): string[] | null {
  return Array.isArray(entry.trace) && entry.trace.every((t) => typeof t === 'string') ? (entry.trace as string[]) : null;
}

function replyText(entry: FlowEntry): string {
  if (entry.reply === null) return entry.decision === 'dispatched' ? 'no reply' : '';
  const n = entry.reply.count === 1 ? 'reply' : `${entry.reply.count} replies`;
  return `${n} ${entry.reply.state}${entry.reply.error && entry.reply.state !== 'sent' ? ` (${entry.reply.error})` : ''}`;
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
    const reply = replyText(e);
    lines.push(
      `${indent}  ${new Date(e.recordedAt).toISOString()} ${outcomeText(e.decision, e.reason)}, ${e.sender} in chat ${e.chatId}` +
        `${reply ? `, ${reply}` : ''}, guid ${e.guid || `(row ${e.rowid})`}`,
    );
    lines.push(`${indent}    ${traceText(traceOf(e))}`);
  }
  return lines;
}
