/** Prepared statements over `pairing_requests` and `approved_senders`. No transactions here: the store composes them. */
import type { SqliteDatabase, Statement } from '../sqlite/index.js';
import type { ApprovedSenderRow, PairingRequestRow } from './types.js';

interface RequestRecord {
  account_id: string;
  handle: string;
  sender: string;
  chat_id: number;
  state: 'pending' | 'cap-dropped' | 'denied';
  code: string | null;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  messages: number;
  revoked_at: number | null;
}

interface ApprovedRecord {
  account_id: string;
  handle: string;
  sender: string;
  approved_at: number;
  code: string | null;
}

function toRequest(r: RequestRecord): PairingRequestRow {
  return {
    accountId: r.account_id,
    handle: r.handle,
    sender: r.sender,
    chatId: r.chat_id,
    state: r.state,
    code: r.code,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastSeenAt: r.last_seen_at,
    messages: r.messages,
    revokedAt: r.revoked_at,
  };
}

function toApproved(r: ApprovedRecord): ApprovedSenderRow {
  return { accountId: r.account_id, handle: r.handle, sender: r.sender, approvedAt: r.approved_at, code: r.code };
}

const REQUEST_COLUMNS =
  'account_id, handle, sender, chat_id, state, code, created_at, expires_at, last_seen_at, messages, revoked_at';

/** Turned-away strangers kept per account (the newest by last message); older ones are dropped. */
export const MAX_TURNED_AWAY = 100;

export class PairingQueries {
  private readonly selectRequest: Statement<[string, string], RequestRecord>;
  private readonly selectByCode: Statement<[string], RequestRecord>;
  private readonly codeTaken: Statement<[string], number>;
  private readonly countLivePending: Statement<[string, number, string], number>;
  private readonly deleteRequest: Statement<[string, string]>;
  private readonly trimCapDropped: Statement<[string, string, number]>;
  private readonly selectRequestsAll: Statement<[], RequestRecord>;
  private readonly selectRequestsOf: Statement<[string], RequestRecord>;
  private readonly deleteStale: Statement<[number, number]>;
  private readonly selectApproved: Statement<[string, string], number>;
  private readonly upsertApproved: Statement<[string, string, string, number, string | null]>;
  private readonly selectApprovedAll: Statement<[], ApprovedRecord>;
  private readonly selectApprovedOf: Statement<[string], ApprovedRecord>;
  private readonly deleteApproved: Statement<[string, string]>;
  private readonly selectApprovedByCode: Statement<[string], ApprovedRecord>;
  private readonly selectApprovedRow: Statement<[string, string], ApprovedRecord>;
  private readonly upsertRow: Statement<[string, string, string, number, string, string | null, number, number, number, number, number | null]>;

  constructor(db: SqliteDatabase) {
    this.selectRequest = db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM pairing_requests WHERE account_id = ? AND handle = ?`,
    );
    this.selectByCode = db.prepare(`SELECT ${REQUEST_COLUMNS} FROM pairing_requests WHERE code = ?`);
    this.codeTaken = db.prepare<[string], number>('SELECT 1 FROM pairing_requests WHERE code = ?').pluck();
    this.countLivePending = db
      .prepare<[string, number, string], number>(
        `SELECT COUNT(*) FROM pairing_requests
         WHERE account_id = ? AND state = 'pending' AND expires_at > ? AND handle <> ?`,
      )
      .pluck();
    this.deleteRequest = db.prepare('DELETE FROM pairing_requests WHERE account_id = ? AND handle = ?');
    // Keeps the `limit` most recently seen turned-away strangers of an account; older ones go.
    this.trimCapDropped = db.prepare(
      `DELETE FROM pairing_requests WHERE account_id = ? AND state = 'cap-dropped' AND handle NOT IN (
         SELECT handle FROM pairing_requests WHERE account_id = ? AND state = 'cap-dropped'
         ORDER BY last_seen_at DESC, handle LIMIT ?)`,
    );
    this.selectRequestsAll = db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM pairing_requests ORDER BY account_id, state DESC, created_at, handle`,
    );
    this.selectRequestsOf = db.prepare(
      `SELECT ${REQUEST_COLUMNS} FROM pairing_requests WHERE account_id = ? ORDER BY state DESC, created_at, handle`,
    );
    this.deleteStale = db.prepare(
      `DELETE FROM pairing_requests
       WHERE (state IN ('pending', 'denied') AND expires_at < ?) OR (state = 'cap-dropped' AND last_seen_at < ?)`,
    );
    // A sender's whole row, as the sender lifecycle (src/policy/sender-lifecycle.ts) settled it.
    this.upsertRow = db.prepare(
      `INSERT INTO pairing_requests (${REQUEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_id, handle) DO UPDATE SET
         sender = excluded.sender, chat_id = excluded.chat_id, state = excluded.state, code = excluded.code,
         created_at = excluded.created_at, expires_at = excluded.expires_at, last_seen_at = excluded.last_seen_at,
         messages = excluded.messages, revoked_at = excluded.revoked_at`,
    );
    this.selectApproved = db
      .prepare<[string, string], number>('SELECT 1 FROM approved_senders WHERE account_id = ? AND handle = ?')
      .pluck();
    this.upsertApproved = db.prepare(
      `INSERT INTO approved_senders (account_id, handle, sender, approved_at, code) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id, handle) DO UPDATE SET
         sender = excluded.sender, approved_at = excluded.approved_at, code = excluded.code`,
    );
    this.selectApprovedAll = db.prepare(
      'SELECT account_id, handle, sender, approved_at, code FROM approved_senders ORDER BY account_id, approved_at, handle',
    );
    this.selectApprovedOf = db.prepare(
      'SELECT account_id, handle, sender, approved_at, code FROM approved_senders WHERE account_id = ? ORDER BY approved_at, handle',
    );
    this.deleteApproved = db.prepare('DELETE FROM approved_senders WHERE account_id = ? AND handle = ?');
    this.selectApprovedByCode = db.prepare(
      'SELECT account_id, handle, sender, approved_at, code FROM approved_senders WHERE code = ? ORDER BY approved_at DESC LIMIT 1',
    );
    this.selectApprovedRow = db.prepare(
      'SELECT account_id, handle, sender, approved_at, code FROM approved_senders WHERE account_id = ? AND handle = ?',
    );
  }

  request(accountId: string, handle: string): PairingRequestRow | undefined {
    const r = this.selectRequest.get(accountId, handle);
    return r ? toRequest(r) : undefined;
  }

  byCode(code: string): PairingRequestRow | undefined {
    const r = this.selectByCode.get(code);
    return r ? toRequest(r) : undefined;
  }

  isCodeTaken(code: string): boolean {
    return this.codeTaken.get(code) !== undefined;
  }

  /** Pending, unexpired requests of the account other than `exceptHandle`'s. */
  livePendingExcept(accountId: string, now: number, exceptHandle: string): number {
    return this.countLivePending.get(accountId, now, exceptHandle) ?? 0;
  }

  /** Writes the row as given (a cap-dropped row also trims the account's turned-away strangers). */
  put(row: PairingRequestRow): void {
    this.upsertRow.run(
      row.accountId,
      row.handle,
      row.sender,
      row.chatId,
      row.state,
      row.code,
      row.createdAt,
      row.expiresAt,
      row.lastSeenAt,
      row.messages,
      row.revokedAt,
    );
    if (row.state === 'cap-dropped') this.trimCapDropped.run(row.accountId, row.accountId, MAX_TURNED_AWAY);
  }

  remove(accountId: string, handle: string): void {
    this.deleteRequest.run(accountId, handle);
  }

  list(accountId?: string): PairingRequestRow[] {
    const rows = accountId === undefined ? this.selectRequestsAll.all() : this.selectRequestsOf.all(accountId);
    return rows.map(toRequest);
  }

  prune(olderThan: number): number {
    return this.deleteStale.run(olderThan, olderThan).changes;
  }

  isApproved(accountId: string, handle: string): boolean {
    return this.selectApproved.get(accountId, handle) !== undefined;
  }

  approve(accountId: string, handle: string, sender: string, now: number, code: string | null): void {
    this.upsertApproved.run(accountId, handle, sender, now, code);
  }

  approved(accountId?: string): ApprovedSenderRow[] {
    const rows = accountId === undefined ? this.selectApprovedAll.all() : this.selectApprovedOf.all(accountId);
    return rows.map(toApproved);
  }

  /** The approved sender whose approval used this code (codes are unique while pending). */
  approvedByCode(code: string): ApprovedSenderRow | undefined {
    const r = this.selectApprovedByCode.get(code);
    return r ? toApproved(r) : undefined;
  }

  approvedRow(accountId: string, handle: string): ApprovedSenderRow | undefined {
    const r = this.selectApprovedRow.get(accountId, handle);
    return r ? toApproved(r) : undefined;
  }

  revoke(accountId: string, handle: string): boolean {
    return this.deleteApproved.run(accountId, handle).changes > 0;
  }
}
