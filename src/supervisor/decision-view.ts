/**
 * What was decided about one inbound message, and why, as `why`, the control API and the
 * dashboard show it: the journal row's state and reason, and the trace of the access-policy rules
 * that fired (docs/access-policy.md), the outcome of its turn's replies, and the collected turn it
 * was handed over in. No message text: the journal holds none.
 */
import type { CollectedTurn, InboundDecisionRow, ReplyOutcome } from '../store/index.js';

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
  /**
   * The replies queued for the message's turn (count, least settled state, last error); null when
   * none. For an earlier message of a collected turn: the replies of that turn, which answered it.
   */
  reply: ReplyOutcome | null;
  /**
   * The collected turn the message was part of (messages.queue `collect`): the turn's latest
   * message (this one's guid when it is the latest) and how many earlier messages it collected;
   * null for a turn of one message, or a message not handed over yet.
   */
  turn: CollectedTurn | null;
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
    reply: row.reply,
    turn: row.turn,
  };
}

/** The trace as one line: `dm → policy:pairing → sender:approved → dispatch`. */
export function traceText(trace: readonly string[] | null): string {
  return trace === null || trace.length === 0 ? '(no trace: journalled before the gateway kept one)' : trace.join(' → ');
}
