/**
 * The live message flow (dashboard): each inbound message as journalled (time, account, chat,
 * sender, the decision and its reason, the policy trace when the journal records one) with the
 * outcome of its turn's replies in the outbox (rows whose envelope_id is the turn's envelope id,
 * `<account>:<guid of the turn's latest message>`, see turn-outcome.ts), and for a message of a
 * collected turn, that turn. Read-only; never the text unless asked for.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import { type CollectedTurn, collectedTurn, type ReplyOutcome, replyOutcome, TURN_OUTCOME_SQL, type TurnOutcomeColumns } from './turn-outcome.js';
import type { InboundState } from './types.js';

export type { ReplyState } from './turn-outcome.js';

export interface FlowEntry {
  accountId: string;
  guid: string;
  rowid: number;
  chatId: number;
  sender: string;
  /** When the message was sent (imsg's created_at) and when the gateway journalled it (ms). */
  createdAt: number;
  recordedAt: number;
  /** The journal's decision: accepted (dispatch pending), dispatched, dropped. */
  decision: InboundState;
  reason: string | null;
  /**
   * The reply rows queued for this message's turn: how many, and the least settled state among
   * them (null: no reply). For an earlier message of a collected turn, the replies of that turn.
   */
  reply: ReplyOutcome | null;
  /**
   * Present only for a message of a collected turn (messages.queue `collect`, schema 13): the
   * turn's latest message (this message's own guid when it is the latest) and how many earlier
   * messages it collected.
   */
  turn?: CollectedTurn;
  /** The policy decision trace the journal records (issue 16), when it does. */
  trace?: unknown;
  /** The message text, only when the caller asked for it (gateway.dashboard.showMessageText). */
  text?: string | null;
}

export interface FlowRequest {
  limit: number;
  accountId?: string;
  withText?: boolean;
}

interface FlowRow extends TurnOutcomeColumns {
  account_id: string;
  guid: string;
  msg_rowid: number;
  chat_id: number;
  sender: string;
  created_at: number;
  recorded_at: number;
  state: InboundState;
  reason: string | null;
  trace: string | null;
  text: string | null;
}

function parseTrace(value: string | null): unknown {
  if (value === null) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export class FlowQueries {
  private readonly select: Statement<[string | null, string | null, number, number], FlowRow>;

  constructor(db: SqliteDatabase) {
    this.select = db.prepare(
      `SELECT j.account_id, j.guid, j.msg_rowid, j.chat_id, j.sender, j.created_at, j.recorded_at, j.state, j.reason, j.trace,
              CASE WHEN ?1 IS NULL THEN NULL ELSE json_extract(j.envelope, '$.text') END AS text,
              ${TURN_OUTCOME_SQL}
       FROM inbound_journal j
       WHERE (?2 IS NULL OR j.account_id = ?2)
       ORDER BY j.recorded_at DESC, j.msg_rowid DESC
       LIMIT ?3 OFFSET ?4`,
    );
  }

  recent(request: FlowRequest): FlowEntry[] {
    const rows = this.select.all(request.withText ? 'text' : null, request.accountId ?? null, request.limit, 0);
    return rows.map((r) => {
      const trace = parseTrace(r.trace);
      const turn = collectedTurn(r);
      return {
        accountId: r.account_id,
        guid: r.guid,
        rowid: r.msg_rowid,
        chatId: r.chat_id,
        sender: r.sender,
        createdAt: r.created_at,
        recordedAt: r.recorded_at,
        decision: r.state,
        reason: r.reason,
        reply: replyOutcome(r),
        ...(turn ? { turn } : {}),
        ...(trace !== undefined ? { trace } : {}),
        ...(request.withText ? { text: typeof r.text === 'string' ? r.text : null } : {}),
      };
    });
  }
}
