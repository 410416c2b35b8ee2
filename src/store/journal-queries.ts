/** Prepared statements over `account_cursor` and `inbound_journal`. No transactions here: the store composes them. */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import { collectedTurn, replyOutcome, TURN_OUTCOME_SQL, type TurnOutcomeColumns } from './turn-outcome.js';
import type { InboundDecisionRow, InboundEntry, InboundState, PendingInbound } from './types.js';

interface DecisionRecord extends TurnOutcomeColumns {
  account_id: string;
  guid: string;
  msg_rowid: number;
  chat_id: number;
  sender: string;
  created_at: number;
  state: InboundState;
  reason: string | null;
  trace: string | null;
  recorded_at: number;
  updated_at: number;
}

const DECISION_COLUMNS = `j.account_id, j.guid, j.msg_rowid, j.chat_id, j.sender, j.created_at, j.state, j.reason, j.trace,
  j.recorded_at, j.updated_at, ${TURN_OUTCOME_SQL}`;

/** A stored trace: a JSON array of strings, else null (rows from before schema 10, or unreadable). */
function parseTrace(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}

function toDecision(r: DecisionRecord): InboundDecisionRow {
  return {
    accountId: r.account_id,
    guid: r.guid,
    rowid: r.msg_rowid,
    chatId: r.chat_id,
    sender: r.sender,
    createdAt: r.created_at,
    state: r.state,
    reason: r.reason,
    trace: parseTrace(r.trace),
    recordedAt: r.recorded_at,
    updatedAt: r.updated_at,
    reply: replyOutcome(r),
    turn: collectedTurn(r),
  };
}

export const UNSPECIFIED_DROP_REASON = 'unspecified';

export class JournalQueries {
  private readonly selectCursor: Statement<[string], number>;
  private readonly upsertCursor: Statement<[string, number, number]>;
  private readonly insertEntry: Statement<
    [string, string, number, number, string, number, string, string | null, string | null, string | null, number, number]
  >;
  private readonly selectDecision: Statement<[string, string], DecisionRecord>;
  private readonly selectDecisionAnyAccount: Statement<[string], DecisionRecord>;
  private readonly updateOutcome: Statement<[string, string, number, string, string]>;
  private readonly selectState: Statement<[string, string], InboundState>;
  private readonly updateState: Statement<[InboundState, string | null, string | null, number, string, string]>;
  private readonly updateEnvelope: Statement<[string, number, string, string]>;
  private readonly selectPending: Statement<[string], PendingInbound>;
  private readonly countAccepted: Statement<[string], number>;
  private readonly countDropped: Statement<[string], { reason: string | null; n: number }>;
  private readonly deleteSettled: Statement<[number]>;

  constructor(db: SqliteDatabase) {
    this.selectCursor = db
      .prepare<[string], number>('SELECT last_rowid FROM account_cursor WHERE account_id = ?')
      .pluck();
    // Never backwards: the update only happens when the new row id is higher.
    this.upsertCursor = db.prepare(
      `INSERT INTO account_cursor (account_id, last_rowid, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET last_rowid = excluded.last_rowid, updated_at = excluded.updated_at
       WHERE excluded.last_rowid > account_cursor.last_rowid`,
    );
    this.insertEntry = db.prepare(
      `INSERT INTO inbound_journal
         (account_id, guid, msg_rowid, chat_id, sender, created_at, state, reason, envelope, trace, recorded_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, guid) DO NOTHING`,
    );
    this.selectDecision = db.prepare(`SELECT ${DECISION_COLUMNS} FROM inbound_journal j WHERE j.account_id = ? AND j.guid = ?`);
    this.selectDecisionAnyAccount = db.prepare(`SELECT ${DECISION_COLUMNS} FROM inbound_journal j WHERE j.guid = ? ORDER BY j.account_id`);
    // The carried-out outcome of a dropped row, when the store decided otherwise (a pairing race).
    this.updateOutcome = db.prepare(
      `UPDATE inbound_journal SET reason = ?, trace = ?, updated_at = ? WHERE account_id = ? AND guid = ? AND state = 'dropped'`,
    );
    this.selectState = db
      .prepare<[string, string], InboundState>('SELECT state FROM inbound_journal WHERE account_id = ? AND guid = ?')
      .pluck();
    this.updateState = db.prepare(
      `UPDATE inbound_journal SET state = ?, reason = ?, turn_guid = ?, updated_at = ?
       WHERE account_id = ? AND guid = ? AND state = 'accepted'`,
    );
    this.updateEnvelope = db.prepare(
      `UPDATE inbound_journal SET envelope = ?, updated_at = ? WHERE account_id = ? AND guid = ? AND state = 'accepted'`,
    );
    this.selectPending = db.prepare(
      `SELECT guid, msg_rowid AS rowid, envelope FROM inbound_journal
       WHERE account_id = ? AND state = 'accepted' ORDER BY msg_rowid, guid`,
    );
    this.countAccepted = db
      .prepare<[string], number>(`SELECT COUNT(*) FROM inbound_journal WHERE account_id = ? AND state = 'accepted'`)
      .pluck();
    this.countDropped = db.prepare(
      `SELECT reason, COUNT(*) AS n FROM inbound_journal
       WHERE account_id = ? AND state = 'dropped' GROUP BY reason`,
    );
    this.deleteSettled = db.prepare(
      `DELETE FROM inbound_journal WHERE state IN ('dispatched', 'dropped') AND updated_at < ?`,
    );
  }

  cursor(accountId: string): number | undefined {
    return this.selectCursor.get(accountId);
  }

  advanceCursor(accountId: string, rowid: number, now: number): void {
    this.upsertCursor.run(accountId, rowid, now);
  }

  /** True when the entry is new, false when (account, guid) is already journalled. */
  insert(accountId: string, entry: InboundEntry, now: number): boolean {
    const reason = entry.state === 'dropped' ? (entry.reason ?? UNSPECIFIED_DROP_REASON) : (entry.reason ?? null);
    const result = this.insertEntry.run(
      accountId,
      entry.guid,
      entry.rowid,
      entry.chatId,
      entry.sender,
      entry.createdAt,
      entry.state,
      reason,
      entry.envelope ?? null,
      entry.trace ? JSON.stringify(entry.trace) : null,
      now,
      now,
    );
    return result.changes === 1;
  }

  /** The journal rows of this guid: of one account, or of every account that journalled it. */
  decisions(guid: string, accountId?: string): InboundDecisionRow[] {
    if (accountId !== undefined) {
      const r = this.selectDecision.get(accountId, guid);
      return r ? [toDecision(r)] : [];
    }
    return this.selectDecisionAnyAccount.all(guid).map(toDecision);
  }

  /** A dropped row's reason and trace, replaced by what carrying the decision out settled on. */
  setOutcome(accountId: string, guid: string, reason: string, trace: readonly string[], now: number): boolean {
    return this.updateOutcome.run(reason, JSON.stringify(trace), now, accountId, guid).changes === 1;
  }

  state(accountId: string, guid: string): InboundState | undefined {
    return this.selectState.get(accountId, guid);
  }

  /** Replaces the stored envelope of a still-accepted message (it gained its group history). */
  replaceEnvelope(accountId: string, guid: string, envelope: string, now: number): boolean {
    return this.updateEnvelope.run(envelope, now, accountId, guid).changes > 0;
  }

  /**
   * accepted → `to`; returns false when the row is missing or no longer accepted. `turnGuid`: the
   * latest message of the collected turn the row settles with (the row's own guid when it is the
   * latest), null for a turn of one message or a drop outside any turn.
   */
  settle(accountId: string, guid: string, to: 'dispatched' | 'dropped', reason: string | null, now: number, turnGuid: string | null = null): boolean {
    return this.updateState.run(to, reason, turnGuid, now, accountId, guid).changes === 1;
  }

  pending(accountId: string): PendingInbound[] {
    return this.selectPending.all(accountId);
  }

  lag(accountId: string): number {
    return this.countAccepted.get(accountId) ?? 0;
  }

  dropCounts(accountId: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { reason, n } of this.countDropped.all(accountId)) {
      const key = reason ?? UNSPECIFIED_DROP_REASON;
      counts[key] = (counts[key] ?? 0) + n;
    }
    return counts;
  }

  prune(olderThan: number): number {
    return this.deleteSettled.run(olderThan).changes;
  }
}
