/**
 * Prepared statements for dead letters. No transactions here: the store composes them.
 *
 * A dead letter is either an outbox row that failed for good (`failed`) or whose outcome is
 * unknown (`unknown`: listed so the operator can decide, never purged in bulk), or a row of
 * `failed_turns`: an agent turn that failed all its attempts, with the journalled envelope to run
 * it again. Rows still queued or sending are in flight and are never touched here.
 */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import { formatDeadLetterId, type DeadLetterKind } from './dead-letter-id.js';
import { type OutboxRecord, toRow } from './outbox-queries.js';
import type { OutboxSource, OutboxState } from './types.js';

export type DeadLetterStatus = 'failed' | 'unknown' | 'agent-failed';

export interface DeadLetter {
  /** `send-<outbox id>` or `turn-<id>` (dead-letter-id.ts). */
  id: string;
  kind: DeadLetterKind;
  status: DeadLetterStatus;
  accountId: string;
  chatKey: string;
  /** JSON of the reply target. */
  target: string;
  reason: string;
  attempts: number;
  /** ms: when the send was queued, or when the message was received. */
  createdAt: number;
  lastAttemptAt: number | null;
  /** ms: when it failed for good (or its outcome became unknown). */
  deadAt: number;
  /** Sends: the outbox row, what put it there, the text size and the file, if any. */
  outboxId: number | null;
  source: OutboxSource | null;
  envelopeId: string | null;
  chars: number | null;
  file: string | null;
  /** Agent turns: the message (guid, imsg row id) and the agent. */
  guid: string | null;
  rowid: number | null;
  agentId: string | null;
}

export interface FailedTurnInput {
  accountId: string;
  guid: string;
  chatKey: string;
  target: string;
  agentId: string;
  reason: string;
  attempts: number;
  firstAttemptAt: number;
  /** A collected turn: the guid of its latest message, the same for every message of the turn. */
  turnGuid?: string;
}

interface FailedTurnRecord {
  id: number;
  account_id: string;
  guid: string;
  msg_rowid: number;
  chat_id: number;
  sender: string;
  created_at: number;
  chat_key: string;
  target: string;
  agent_id: string;
  envelope: string;
  reason: string;
  attempts: number;
  first_attempt_at: number;
  failed_at: number;
  turn_guid: string | null;
}

export interface FailedTurn {
  id: number;
  accountId: string;
  guid: string;
  rowid: number;
  chatId: number;
  sender: string;
  createdAt: number;
  envelope: string;
  /** The latest message of the collected turn it failed in; null for a turn of one message. */
  turnGuid: string | null;
}

export interface DeliveryCounts {
  /** Queued or sending, created before the overdue cutoff. */
  pendingOverdue: number;
  /** Sends whose outcome is unknown. */
  unknown: number;
  /** Failed sends and failed agent turns kept as dead letters. */
  deadLetters: number;
}

/**
 * Delivery counts at one overdue cutoff, and how long they hold without a write: until the cutoff
 * passes `nextPendingAt` (the oldest queued or sending row not yet overdue), nothing but a write
 * can change them.
 */
export interface DeliveryCountsAt {
  counts: DeliveryCounts;
  /** created_at of the oldest queued or sending row at or after the cutoff; null when there is none. */
  nextPendingAt: number | null;
}

const DEAD_SEND_STATES: readonly OutboxState[] = ['failed', 'unknown'];

export class DeadLetterQueries {
  private readonly insertTurn: Statement<[number, string, string, string, string, number, number, string, string, string | null]>;
  private readonly selectTurn: Statement<[number], FailedTurnRecord>;
  private readonly selectTurnMates: Statement<[string, string], FailedTurnRecord>;
  private readonly selectTurns: Statement<[string | null, string | null, number], FailedTurnRecord>;
  private readonly selectSends: Statement<[string | null, string | null, number], OutboxRecord>;
  private readonly selectSend: Statement<[number], OutboxRecord>;
  private readonly updateRequeue: Statement<[string, number, number]>;
  private readonly deleteSend: Statement<[number]>;
  private readonly deleteTurn: Statement<[number]>;
  private readonly deleteOldSends: Statement<[number, string | null, string | null]>;
  private readonly deleteOldTurns: Statement<[number, string | null, string | null]>;
  private readonly countOldUnknown: Statement<[number, string | null, string | null], number>;
  private readonly reopenJournal: Statement<[string, string, number, number, string, number, string, number, number]>;
  private readonly selectCounts: Statement<[number, string], { overdue: number; unknown: number; failed: number; next: number | null }>;
  private readonly countTurns: Statement<[string], number>;
  private readonly selectAccounts: Statement<[], string>;

  constructor(db: SqliteDatabase) {
    // Copies the journalled message (row id, chat, sender, envelope) while it is still accepted.
    this.insertTurn = db.prepare(
      `INSERT INTO failed_turns
         (account_id, guid, msg_rowid, chat_id, sender, created_at, chat_key, target, agent_id, envelope,
          reason, attempts, first_attempt_at, failed_at, turn_guid)
       SELECT account_id, guid, msg_rowid, chat_id, sender, created_at, ?2, ?3, ?4, envelope, ?5, ?6, ?7, ?1, ?10
       FROM inbound_journal WHERE account_id = ?8 AND guid = ?9 AND state = 'accepted' AND envelope IS NOT NULL
       ON CONFLICT (account_id, guid) DO UPDATE SET
         reason = excluded.reason, attempts = failed_turns.attempts + excluded.attempts,
         failed_at = excluded.failed_at, envelope = excluded.envelope, turn_guid = excluded.turn_guid`,
    );
    this.selectTurn = db.prepare('SELECT * FROM failed_turns WHERE id = ?');
    this.selectTurnMates = db.prepare('SELECT * FROM failed_turns WHERE account_id = ? AND turn_guid = ? ORDER BY msg_rowid, id');
    this.selectTurns = db.prepare(
      `SELECT * FROM failed_turns WHERE (?1 IS NULL OR account_id = ?2) ORDER BY failed_at DESC, id DESC LIMIT ?3`,
    );
    this.selectSends = db.prepare(
      `SELECT * FROM outbox WHERE state IN ('failed', 'unknown') AND (?1 IS NULL OR account_id = ?2)
       ORDER BY updated_at DESC, id DESC LIMIT ?3`,
    );
    this.selectSend = db.prepare('SELECT * FROM outbox WHERE id = ?');
    this.updateRequeue = db.prepare(
      `UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = NULL, error = ?, updated_at = ?
       WHERE id = ? AND state IN ('failed', 'unknown')`,
    );
    this.deleteSend = db.prepare(`DELETE FROM outbox WHERE id = ? AND state IN ('failed', 'unknown')`);
    this.deleteTurn = db.prepare('DELETE FROM failed_turns WHERE id = ?');
    this.deleteOldSends = db.prepare(
      `DELETE FROM outbox WHERE state = 'failed' AND updated_at < ?1 AND (?2 IS NULL OR account_id = ?3)`,
    );
    this.deleteOldTurns = db.prepare(
      `DELETE FROM failed_turns WHERE failed_at < ?1 AND (?2 IS NULL OR account_id = ?3)`,
    );
    this.countOldUnknown = db
      .prepare<[number, string | null, string | null], number>(
        `SELECT COUNT(*) FROM outbox WHERE state = 'unknown' AND updated_at < ?1 AND (?2 IS NULL OR account_id = ?3)`,
      )
      .pluck();
    // Back to accepted (the envelope as it was journalled): the account dispatches it again.
    this.reopenJournal = db.prepare(
      `INSERT INTO inbound_journal
         (account_id, guid, msg_rowid, chat_id, sender, created_at, state, reason, envelope, recorded_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'accepted', NULL, ?, ?, ?)
       ON CONFLICT (account_id, guid) DO UPDATE SET
         state = 'accepted', reason = NULL, envelope = excluded.envelope, turn_guid = NULL, updated_at = excluded.updated_at`,
    );
    this.selectCounts = db.prepare(
      `SELECT
         COUNT(*) FILTER (WHERE state IN ('queued', 'sending') AND created_at < ?1) AS overdue,
         COUNT(*) FILTER (WHERE state = 'unknown') AS unknown,
         COUNT(*) FILTER (WHERE state = 'failed') AS failed,
         MIN(created_at) FILTER (WHERE state IN ('queued', 'sending') AND created_at >= ?1) AS next
       FROM outbox WHERE account_id = ?2 AND state IN ('queued', 'sending', 'unknown', 'failed')`,
    );
    this.countTurns = db
      .prepare<[string], number>('SELECT COUNT(*) FROM failed_turns WHERE account_id = ?')
      .pluck();
    // Read every second by the status: each part walks a small index (the failed rows, the unsettled
    // rows, the failed turns), never the whole outbox. Accounts with only queued rows come back too.
    this.selectAccounts = db
      .prepare<[], string>(
        `SELECT account_id FROM outbox WHERE state = 'failed'
         UNION SELECT account_id FROM outbox INDEXED BY outbox_unsettled_chat WHERE state IN ('queued', 'sending', 'unknown')
         UNION SELECT account_id FROM failed_turns ORDER BY 1`,
      )
      .pluck();
  }

  /** Keeps a failed agent turn (from its journal row, which must still be accepted); its id, or undefined. */
  insertFailedTurn(input: FailedTurnInput, now: number): number | undefined {
    const result = this.insertTurn.run(
      now,
      input.chatKey,
      input.target,
      input.agentId,
      input.reason,
      input.attempts,
      input.firstAttemptAt,
      input.accountId,
      input.guid,
      input.turnGuid ?? null,
    );
    if (result.changes === 0) return undefined;
    return Number(result.lastInsertRowid);
  }

  /** Dead letters (both kinds), most recent first, at most `limit` (negative: all). */
  list(accountId: string | undefined, limit: number): DeadLetter[] {
    const account = accountId ?? null;
    const sends = this.selectSends.all(account, account, limit).map(sendLetter);
    const turns = this.selectTurns.all(account, account, limit).map(turnLetter);
    const all = [...sends, ...turns].sort((a, b) => b.deadAt - a.deadAt || a.id.localeCompare(b.id));
    return limit < 0 ? all : all.slice(0, limit);
  }

  /** The outbox row behind a `send-N` id, in whatever state it is (undefined when gone). */
  send(id: number): { letter: DeadLetter | undefined; state: OutboxState | undefined } {
    const record = this.selectSend.get(id);
    if (!record) return { letter: undefined, state: undefined };
    return { letter: DEAD_SEND_STATES.includes(record.state) ? sendLetter(record) : undefined, state: record.state };
  }

  turn(id: number): DeadLetter | undefined {
    const record = this.selectTurn.get(id);
    return record ? turnLetter(record) : undefined;
  }

  failedTurn(id: number): FailedTurn | undefined {
    const r = this.selectTurn.get(id);
    return r ? failedTurnOf(r) : undefined;
  }

  /** Every message kept from the collected turn `turnGuid` names, oldest first. */
  turnMates(accountId: string, turnGuid: string): FailedTurn[] {
    return this.selectTurnMates.all(accountId, turnGuid).map(failedTurnOf);
  }

  /** failed | unknown → queued, attempts from 0 (the same row and idempotency key: it cannot be sent twice). */
  requeue(id: number, note: string, now: number): boolean {
    return this.updateRequeue.run(note, now, id).changes === 1;
  }

  /** The failed turn's message back to accepted in the journal; the failed turn removed. */
  reopen(turn: FailedTurn, now: number): void {
    this.reopenJournal.run(turn.accountId, turn.guid, turn.rowid, turn.chatId, turn.sender, turn.createdAt, turn.envelope, now, now);
    this.deleteTurn.run(turn.id);
  }

  removeSend(id: number): boolean {
    return this.deleteSend.run(id).changes === 1;
  }

  removeTurn(id: number): boolean {
    return this.deleteTurn.run(id).changes === 1;
  }

  /** Failed sends and failed turns that died before `olderThan`; unknown sends are left and counted. */
  removeOlder(olderThan: number, accountId: string | undefined): { sends: number; turns: number; unknownLeft: number } {
    const a = accountId ?? null;
    return {
      sends: this.deleteOldSends.run(olderThan, a, a).changes,
      turns: this.deleteOldTurns.run(olderThan, a, a).changes,
      unknownLeft: this.countOldUnknown.get(olderThan, a, a) ?? 0,
    };
  }

  counts(accountId: string, overdueBefore: number): DeliveryCounts {
    return this.countsAt(accountId, overdueBefore).counts;
  }

  /** counts, and the creation time of the oldest pending send not yet overdue (null: none). */
  countsAt(accountId: string, overdueBefore: number): DeliveryCountsAt {
    const c = this.selectCounts.get(overdueBefore, accountId);
    return {
      counts: {
        pendingOverdue: c?.overdue ?? 0,
        unknown: c?.unknown ?? 0,
        deadLetters: (c?.failed ?? 0) + (this.countTurns.get(accountId) ?? 0),
      },
      nextPendingAt: c?.next ?? null,
    };
  }

  /** Accounts that have dead letters (of either kind) or unsettled sends (a superset: check the counts). */
  accounts(): string[] {
    return this.selectAccounts.all();
  }
}

function failedTurnOf(r: FailedTurnRecord): FailedTurn {
  return {
    id: r.id,
    accountId: r.account_id,
    guid: r.guid,
    rowid: r.msg_rowid,
    chatId: r.chat_id,
    sender: r.sender,
    createdAt: r.created_at,
    envelope: r.envelope,
    turnGuid: r.turn_guid,
  };
}

function sendLetter(record: OutboxRecord): DeadLetter {
  const row = toRow(record);
  return {
    id: formatDeadLetterId({ kind: 'send', n: row.id }),
    kind: 'send',
    status: row.state === 'unknown' ? 'unknown' : 'failed',
    accountId: row.accountId,
    chatKey: row.chatKey,
    target: row.target,
    reason: row.error ?? (row.state === 'unknown' ? 'outcome unknown' : 'failed'),
    attempts: row.attempts,
    createdAt: row.createdAt,
    lastAttemptAt: row.lastAttemptAt,
    deadAt: row.updatedAt,
    outboxId: row.id,
    source: row.source,
    envelopeId: row.envelopeId,
    chars: row.text.length,
    file: row.file,
    guid: null,
    rowid: null,
    agentId: null,
  };
}

function turnLetter(r: FailedTurnRecord): DeadLetter {
  return {
    id: formatDeadLetterId({ kind: 'turn', n: r.id }),
    kind: 'turn',
    status: 'agent-failed',
    accountId: r.account_id,
    chatKey: r.chat_key,
    target: r.target,
    reason: r.reason,
    attempts: r.attempts,
    createdAt: r.created_at,
    lastAttemptAt: r.failed_at,
    deadAt: r.failed_at,
    outboxId: null,
    source: null,
    envelopeId: `${r.account_id}:${r.guid}`,
    chars: null,
    file: null,
    guid: r.guid,
    rowid: r.msg_rowid,
    agentId: r.agent_id,
  };
}
