/**
 * What became of an inbound message's turn, as the flow (flow-queries.ts) and `why`
 * (journal-queries.ts) read it from one journal row `j`: the collected turn it was handed to its
 * agent in (`inbound_journal.turn_guid`, schema 13: the guid of the turn's latest message, set on
 * every message of the turn in the transaction that settles them) and the outcome of that turn's
 * replies in the outbox. A turn's replies are keyed by its latest message's envelope id
 * (`<account>:<guid>`, routing/build-envelope.ts), so an earlier message of a collected turn shows
 * the replies that answered it, never "no reply". Never inferred from timing.
 */

export type ReplyState = 'queued' | 'sending' | 'unknown' | 'sent' | 'failed';

/** The reply rows queued for a message's turn: how many, and the least settled state among them. */
export interface ReplyOutcome {
  count: number;
  state: ReplyState;
  error: string | null;
}

/**
 * The collected turn a message was part of (messages.queue `collect`): the guid of its latest
 * message (the one the replies answer; the message's own guid when it is the latest) and how
 * many earlier messages the turn collected.
 */
export interface CollectedTurn {
  latestGuid: string;
  earlier: number;
}

/** The columns this file adds to a query over `inbound_journal j`. */
export interface TurnOutcomeColumns {
  turn_guid: string | null;
  turn_size: number;
  replies: number;
  reply_states: string | null;
  reply_error: string | null;
}

/** The envelope id a journal row's replies carry: its turn's latest message's, else its own. */
const REPLY_ENVELOPE_ID = `j.account_id || ':' || COALESCE(j.turn_guid, CASE WHEN j.guid = '' THEN 'rowid-' || j.msg_rowid ELSE j.guid END)`;

/** SELECT-list items (after a comma) over `inbound_journal j`: the row's turn and its replies. */
export const TURN_OUTCOME_SQL = `
  j.turn_guid AS turn_guid,
  CASE WHEN j.turn_guid IS NULL THEN 0 ELSE
    (SELECT COUNT(*) FROM inbound_journal t WHERE t.account_id = j.account_id AND t.turn_guid = j.turn_guid) END AS turn_size,
  (SELECT COUNT(*) FROM outbox o WHERE o.envelope_id = ${REPLY_ENVELOPE_ID}) AS replies,
  (SELECT group_concat(DISTINCT o.state) FROM outbox o WHERE o.envelope_id = ${REPLY_ENVELOPE_ID}) AS reply_states,
  (SELECT o.error FROM outbox o WHERE o.envelope_id = ${REPLY_ENVELOPE_ID} AND o.error IS NOT NULL ORDER BY o.id DESC LIMIT 1) AS reply_error`;

/** Least settled first: a reply still moving says more than its siblings already sent. */
const REPLY_ORDER: ReplyState[] = ['failed', 'unknown', 'sending', 'queued', 'sent'];

function replyState(states: string | null): ReplyState {
  const seen = new Set((states ?? '').split(','));
  return REPLY_ORDER.find((s) => seen.has(s)) ?? 'sent';
}

export function replyOutcome(r: TurnOutcomeColumns): ReplyOutcome | null {
  return r.replies > 0 ? { count: r.replies, state: replyState(r.reply_states), error: r.reply_error } : null;
}

/** The row's collected turn; null for a message that was a turn of its own (or not handed over yet). */
export function collectedTurn(r: TurnOutcomeColumns): CollectedTurn | null {
  return r.turn_guid === null ? null : { latestGuid: r.turn_guid, earlier: Math.max(0, r.turn_size - 1) };
}
