/**
 * The live message flow (dashboard): each inbound message as journalled (time, account, chat,
 * sender, the decision and its reason, the policy trace when the journal records one) with the
 * outcome of its replies in the outbox (rows whose envelope_id is the message's envelope id,
 * `<account>:<guid>`, see routing/build-envelope.ts). Read-only; never the text unless asked for.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import type { InboundState } from './types.js';

export type ReplyState = 'queued' | 'sending' | 'unknown' | 'sent' | 'failed';

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
  /** The reply rows queued for this message: how many, and the least settled state among them (null: no reply). */
  reply: { count: number; state: ReplyState; error: string | null } | null;
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

interface FlowRow {
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
  replies: number;
  reply_states: string | null;
  reply_error: string | null;
}

/** Least settled first: a reply still moving says more than its siblings already sent. */
const REPLY_ORDER: ReplyState[] = ['failed', 'unknown', 'sending', 'queued', 'sent'];

function replyState(states: string | null): ReplyState {
  const seen = new Set((states ?? '').split(','));
  return REPLY_ORDER.find((s) => seen.has(s)) ?? 'sent';
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
  readonly hasTrace: boolean;

  constructor(db: SqliteDatabase) {
    const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('inbound_journal')`).all();
    this.hasTrace = columns.some((c) => c.name === 'trace');
    const envelopeId = `j.account_id || ':' || CASE WHEN j.guid = '' THEN 'rowid-' || j.msg_rowid ELSE j.guid END`;
    this.select = db.prepare(
      `SELECT j.account_id, j.guid, j.msg_rowid, j.chat_id, j.sender, j.created_at, j.recorded_at, j.state, j.reason,
              ${this.hasTrace ? 'j.trace' : 'NULL'} AS trace,
              CASE WHEN ?1 IS NULL THEN NULL ELSE json_extract(j.envelope, '$.text') END AS text,
              (SELECT COUNT(*) FROM outbox o WHERE o.envelope_id = ${envelopeId}) AS replies,
              (SELECT group_concat(DISTINCT o.state) FROM outbox o WHERE o.envelope_id = ${envelopeId}) AS reply_states,
              (SELECT o.error FROM outbox o WHERE o.envelope_id = ${envelopeId} AND o.error IS NOT NULL ORDER BY o.id DESC LIMIT 1) AS reply_error
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
        reply: r.replies > 0 ? { count: r.replies, state: replyState(r.reply_states), error: r.reply_error } : null,
        ...(trace !== undefined ? { trace } : {}),
        ...(request.withText ? { text: typeof r.text === 'string' ? r.text : null } : {}),
      };
    });
  }
}
