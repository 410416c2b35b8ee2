/**
 * What was decided about one inbound message, and why, as `why`, the control API and the
 * dashboard show it: the journal row's state and reason, and the trace of the access-policy rules
 * that fired (docs/access-policy.md). No message text: the journal holds none.
 */
import type { InboundDecisionRow } from '../store/index.js';

export interface DecisionView {
  account: string;
  guid: string;
  rowid: number;
  chatId: number;
  sender: string;
  /** The message's own date (ISO-8601), null when it had none. */
  createdAt: string | null;
  /** accepted (waiting for its agent), dispatched, or dropped. */
  state: InboundDecisionRow['state'];
  /** The drop reason (dropped rows), else null. */
  reason: string | null;
  /** The rules that fired, in order; null for rows journalled before the trace was kept. */
  trace: string[] | null;
  recordedAt: string;
  updatedAt: string;
}

export function decisionView(row: InboundDecisionRow): DecisionView {
  return {
    account: row.accountId,
    guid: row.guid,
    rowid: row.rowid,
    chatId: row.chatId,
    sender: row.sender,
    createdAt: row.createdAt > 0 ? new Date(row.createdAt).toISOString() : null,
    state: row.state,
    reason: row.reason,
    trace: row.trace,
    recordedAt: new Date(row.recordedAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** The trace as one line: `dm → policy:pairing → sender:approved → dispatch`. */
export function traceText(trace: readonly string[] | null): string {
  return trace === null || trace.length === 0 ? '(no trace: journalled before the gateway kept one)' : trace.join(' → ');
}
