/**
 * The gateway's durable state: per-account cursor, inbound journal and outbox in one SQLite file.
 *
 * Exactly-once rules this class enforces by construction:
 * - recordInbound: the journal rows and the cursor advance commit in ONE transaction, so after a
 *   crash the cursor never points past a message that is not journalled, and a journalled message
 *   is never journalled twice (the key is account + guid, whatever its row id).
 * - completeDispatch: the journal row leaves `accepted` and the agent's replies enter the outbox
 *   in ONE transaction, so a crash either re-dispatches the message (nothing was queued) or finds
 *   its replies queued (it is not dispatched again).
 * - every outbox row carries a UNIQUE idempotency key: re-inserting a reply is a no-op.
 *
 * Every failure of the file or disk surfaces as a StoreError (see errors.ts); programming errors
 * (a missing envelope, an illegal outbox transition) are thrown as they are.
 */
import { resolve } from 'node:path';
import type { CommitStats, SqliteDatabase } from '../sqlite/index.js';
import { BreakerQueries, type BreakerChatRow, type OutboxHead, type SentReplyText } from './breaker-queries.js';
import { hasContent } from './content-queries.js';
import { parseDeadLetterId, type DeadLetterRef } from './dead-letter-id.js';
import { ReactionQueries, type ReactionTargetRow } from './reaction-queries.js';
import { DeadLetterQueries, type DeadLetter, type DeliveryCounts, type DeliveryCountsAt, type FailedTurnInput } from './dead-letter-queries.js';
import { isStorageFailure, StoreError, toStoreError } from './errors.js';
import { type FileIdentity, fileIdentity, identityProblem } from './file-identity.js';
import { type CursorGeneration, type GenerationStart, GenerationQueries } from './generation-queries.js';
import { GroupHistoryQueries } from './group-history-queries.js';
import { type FlowEntry, FlowQueries, type FlowRequest } from './flow-queries.js';
import { type KnownText, KnownTextQueries } from './known-text-queries.js';
import { JournalQueries } from './journal-queries.js';
import { openDatabase } from './open-database.js';
import { type CheckpointMode, DeferredDurability } from './deferred-durability.js';
import { OutboxQueries } from './outbox-queries.js';
import { OutboxTransitionError, transitionAllowed, type OutboxTransition } from './outbox-transitions.js';
import { PairingQueries } from './pairing-queries.js';
import { QuarantineQueries, type QuarantineInsert, type QuarantineRow } from './quarantine-queries.js';
import type {
  ApprovedSenderRow,
  CommitHold,
  GroupHistoryEntry,
  GroupHistoryInsert,
  InboundEntry,
  OutboxInsert,
  OutboxRow,
  OutboxState,
  OutboxStats,
  PairingRequestRow,
  InboundDecisionRow,
  PendingInbound,
  StoreOptions,
} from './types.js';

/** One message a finished agent turn settles: its replies (the latest message's), and its collected turn. */
export interface DispatchItem {
  guid: string;
  replies: OutboxInsert[];
  /** The guid of the collected turn's latest message; absent for a turn of one message. */
  turnGuid?: string;
}

/** How many candidate codes are drawn before giving up on finding one not in use. */
const CODE_ATTEMPTS = 500;

/** SQLite treats a negative LIMIT as "no limit". */
const NO_LIMIT = -1;

export class GatewayStore {
  readonly path: string;
  readonly schemaVersion: number;

  private readonly db: SqliteDatabase;
  private readonly now: () => number;
  /** The file opened (dev, inode): compared with the path before every use. */
  private opened: FileIdentity | undefined;
  /** With `durability: 'deferred'` (the gateway): fsyncs and checkpoints off the event loop. */
  private deferred: DeferredDurability | undefined;
  /** Set once the file is deleted or replaced: from then on every call throws it. */
  private lost: StoreError | undefined;
  private readonly journal: JournalQueries;
  private readonly flow: FlowQueries;
  private readonly outbox: OutboxQueries;
  private readonly breakerQueries: BreakerQueries;
  private readonly quarantineQueries: QuarantineQueries;
  private readonly generations: GenerationQueries;
  private readonly setCursorTx: (accountId: string, rowid: number) => void;
  private readonly nextGenerationTx: (accountId: string, start: GenerationStart) => number;
  private readonly deadLetters: DeadLetterQueries;
  private readonly reactions: ReactionQueries;
  private readonly failTurnTx: (input: FailedTurnInput) => number | undefined;
  private readonly failTurnsTx: (inputs: readonly FailedTurnInput[]) => Array<number | undefined>;
  private readonly retryDeadTx: (ref: DeadLetterRef, force: boolean) => DeadLetterRetry;
  private readonly purgeDeadTx: (ref: DeadLetterRef, force: boolean) => DeadLetterPurge;
  private readonly purgeOlderTx: (olderThan: number, accountId: string | undefined) => DeadLetterBulkPurge;
  private readonly recordTx: (
    accountId: string,
    entries: InboundEntry[],
    cursorRowid: number,
    settling: ReadonlyArray<DispatchItem>,
  ) => boolean[];
  private readonly dispatchTx: (accountId: string, guid: string, replies: OutboxInsert[]) => number[];
  private readonly dispatchManyTx: (accountId: string, items: ReadonlyArray<DispatchItem>) => number[][];
  private readonly enqueueTx: (row: OutboxInsert) => { id: number; inserted: boolean };
  private readonly transitionTx: (id: number, transition: OutboxTransition, apply: (now: number) => void) => void;
  private readonly pruneTx: (olderThan: number) => { journal: number; outbox: number };
  private readonly pairing: PairingQueries;
  private readonly history: GroupHistoryQueries;
  private readonly knownTexts: KnownTextQueries;
  private readonly senderTx: (fn: () => unknown) => unknown;
  private readonly appendHistoryTx: (accountId: string, chatId: number, entry: GroupHistoryInsert, limit: number) => boolean;
  private readonly takeHistoryTx: (accountId: string, chatId: number) => GroupHistoryEntry[];

  /**
   * Opens (creating if missing, file 0600, parent dir 0700) the database at `path`, checks it,
   * and migrates it to the latest schema. Throws StoreError: corrupt, unreadable, newer-schema,
   * locked, disk-full, io. Never deletes or recreates an existing file.
   */
  static open(path: string, options: StoreOptions = {}): GatewayStore {
    const abs = resolve(path);
    const { db, schemaVersion } = openDatabase(abs, options.busyTimeoutMs);
    try {
      const store = new GatewayStore(abs, db, schemaVersion, options.now ?? Date.now);
      store.opened = fileIdentity(abs);
      if (options.durability === 'deferred') {
        store.deferred = new DeferredDurability(db, abs, {
          ...(options.onDurabilityProblem ? { onProblem: options.onDurabilityProblem } : {}),
          ...(options.workerFile !== undefined ? { workerFile: options.workerFile } : {}),
          ...(options.walFsync ? { fsync: options.walFsync } : {}),
          ...(options.walTruncate ? { walTruncate: options.walTruncate } : {}),
          ...(options.walWrapFrames !== undefined ? { walWrapFrames: options.walWrapFrames } : {}),
        });
      }
      return store;
    } catch (err) {
      db.close();
      throw toStoreError(err, abs);
    }
  }

  private constructor(path: string, db: SqliteDatabase, schemaVersion: number, now: () => number) {
    this.path = path;
    this.db = db;
    this.schemaVersion = schemaVersion;
    this.now = now;
    this.journal = new JournalQueries(db);
    this.flow = new FlowQueries(db);
    this.outbox = new OutboxQueries(db);
    this.breakerQueries = new BreakerQueries(db);
    this.quarantineQueries = new QuarantineQueries(db);
    this.generations = new GenerationQueries(db);
    this.deadLetters = new DeadLetterQueries(db);
    this.reactions = new ReactionQueries(db);

    const failOne = (input: FailedTurnInput, now: number): number | undefined => {
      const id = this.deadLetters.insertFailedTurn(input, now);
      const settled = this.journal.settle(input.accountId, input.guid, 'dropped', 'agent-failed', now, input.turnGuid ?? null);
      if (!settled && !this.journal.state(input.accountId, input.guid)) {
        throw new Error(`no inbound journal row for account ${input.accountId}, guid ${input.guid}`);
      }
      return id;
    };
    this.failTurnTx = db.transaction((input: FailedTurnInput) => failOne(input, this.now())).immediate;
    this.failTurnsTx = db
      .transaction((inputs: readonly FailedTurnInput[]) => {
        const now = this.now();
        return inputs.map((input) => failOne(input, now));
      })
      .immediate;

    this.retryDeadTx = db
      .transaction((ref: DeadLetterRef, force: boolean): DeadLetterRetry => {
        const now = this.now();
        if (ref.kind === 'turn') {
          const turn = this.deadLetters.failedTurn(ref.n);
          if (!turn) return { ok: false, problem: 'not-found' };
          // A collected turn runs again whole: every message kept from it goes back to accepted.
          const whole = turn.turnGuid !== null ? this.deadLetters.turnMates(turn.accountId, turn.turnGuid) : [turn];
          for (const t of whole) this.deadLetters.reopen(t, now);
          return { ok: true, kind: 'turn', accountId: turn.accountId, guid: turn.guid, guids: whole.map((t) => t.guid) };
        }
        const { letter, state } = this.deadLetters.send(ref.n);
        if (state === undefined) return { ok: false, problem: 'not-found' };
        if (!letter) return { ok: false, problem: state === 'sent' ? 'already-sent' : 'in-flight', state };
        if (letter.status === 'unknown' && !force) return { ok: false, problem: 'unknown-needs-force', letter };
        const note = `queued again by the operator${letter.status === 'unknown' ? ' (--force: its earlier outcome was unknown)' : ''}; before: ${letter.reason}`;
        this.deadLetters.requeue(ref.n, note, now);
        return { ok: true, kind: 'send', accountId: letter.accountId, outboxId: ref.n };
      })
      .immediate;

    this.purgeDeadTx = db
      .transaction((ref: DeadLetterRef, force: boolean): DeadLetterPurge => {
        if (ref.kind === 'turn') {
          return this.deadLetters.removeTurn(ref.n) ? { ok: true } : { ok: false, problem: 'not-found' };
        }
        const { letter, state } = this.deadLetters.send(ref.n);
        if (state === undefined) return { ok: false, problem: 'not-found' };
        if (!letter) return { ok: false, problem: state === 'sent' ? 'already-sent' : 'in-flight', state };
        if (letter.status === 'unknown' && !force) return { ok: false, problem: 'unknown-needs-force', letter };
        this.deadLetters.removeSend(ref.n);
        return { ok: true };
      })
      .immediate;

    this.purgeOlderTx = db
      .transaction((olderThan: number, accountId: string | undefined) => this.deadLetters.removeOlder(olderThan, accountId))
      .immediate;

    this.recordTx = db
      .transaction((accountId: string, entries: InboundEntry[], cursorRowid: number, settling: ReadonlyArray<DispatchItem>) => {
        const now = this.now();
        const fresh = entries.map((entry) => this.journal.insert(accountId, entry, now));
        this.generations.ensureFirst(accountId, cursorRowid, now);
        this.journal.advanceCursor(accountId, cursorRowid, now);
        for (const { guid, replies, turnGuid } of settling) this.settleDispatched(accountId, guid, replies, now, turnGuid ?? null);
        return fresh;
      })
      .immediate;

    this.setCursorTx = db
      .transaction((accountId: string, rowid: number) => {
        const now = this.now();
        this.generations.ensureFirst(accountId, rowid, now);
        this.journal.advanceCursor(accountId, rowid, now);
      })
      .immediate;

    this.nextGenerationTx = db
      .transaction((accountId: string, start: GenerationStart) =>
        this.generations.next(accountId, this.journal.cursor(accountId) ?? null, start, this.now()),
      )
      .immediate;

    this.dispatchTx = db
      .transaction((accountId: string, guid: string, replies: OutboxInsert[]) => this.settleDispatched(accountId, guid, replies, this.now()))
      .immediate;

    // One transaction for the whole batch, the items settled inline: a savepoint per item (two
    // more statements each) bought nothing, since any failure rolls the whole batch back anyway.
    this.dispatchManyTx = db
      .transaction((accountId: string, items: ReadonlyArray<DispatchItem>) => {
        const now = this.now();
        return items.map(({ guid, replies, turnGuid }) => this.settleDispatched(accountId, guid, replies, now, turnGuid ?? null));
      })
      .immediate;

    this.enqueueTx = db
      .transaction((row: OutboxInsert) => this.outbox.insert(row, this.now()))
      .immediate;

    this.transitionTx = db
      .transaction((id: number, transition: OutboxTransition, apply: (now: number) => void) => {
        const from = this.outbox.state(id);
        if (from === undefined || !transitionAllowed(transition, from)) {
          throw new OutboxTransitionError(id, transition, from);
        }
        apply(this.now());
      })
      .immediate;

    this.pruneTx = db
      .transaction((olderThan: number) => ({
        journal: this.journal.prune(olderThan),
        outbox: this.outbox.prune(olderThan),
      }))
      .immediate;

    this.pairing = new PairingQueries(db);
    this.history = new GroupHistoryQueries(db);
    this.knownTexts = new KnownTextQueries(db);

    this.senderTx = db.transaction((fn: () => unknown) => fn()).immediate;

    this.appendHistoryTx = db
      .transaction((accountId: string, chatId: number, entry: GroupHistoryInsert, limit: number) => {
        const added = this.history.insert(accountId, chatId, entry, this.now());
        if (added) this.history.trim(accountId, chatId, limit);
        return added;
      })
      .immediate;

    this.takeHistoryTx = db
      .transaction((accountId: string, chatId: number) => {
        const entries = this.history.read(accountId, chatId);
        if (entries.length > 0) this.history.clear(accountId, chatId);
        return entries;
      })
      .immediate;
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.deferred?.close();
    } finally {
      this.guard(() => this.db.close(), false);
    }
  }

  /**
   * Settles once the store holds no file open: after close(), which asks the checkpoint thread to
   * end without waiting for it. Whoever removes or moves the files next awaits this.
   */
  closed(): Promise<void> {
    return this.deferred?.threadEnded() ?? Promise.resolve();
  }

  /**
   * Resolves once every commit made so far is on disk. At once with `durability: 'full'` (each
   * commit waited for its fsync); with `deferred`, after the WAL fsync that covers them. Anything
   * that acts outside the gateway on the strength of a commit (a send, an API answer) awaits it.
   * Rejects with an `io` StoreError once an fsync of the state database has failed.
   */
  durable(): Promise<void> {
    if (!this.deferred) return Promise.resolve();
    return this.deferred.durable().catch((err: unknown) => {
      throw toStoreError(err, this.path);
    });
  }

  /**
   * How commits reach the disk: `full`, or `deferred` with where checkpoints run, fsyncs so far
   * and WAL wraps so far (checkpoint-worker.ts).
   */
  durability(): { mode: 'full' } | { mode: 'deferred'; checkpoints: CheckpointMode; syncs: number; walWraps: number } {
    const d = this.deferred;
    return d ? { mode: 'deferred', checkpoints: d.checkpoints, syncs: d.syncs, walWraps: d.wraps } : { mode: 'full' };
  }

  /**
   * The checkpoint thread's requests that deferrable commits wait for a WAL wrap: the journal's and
   * the completions' group commits consult it (never held with `durability: 'full'`).
   */
  commitHold(): CommitHold {
    return this.deferred ?? NO_COMMIT_HOLD;
  }

  /**
   * Inside a transaction: the journal row accepted → dispatched (with the collected turn it was
   * part of, `turnGuid`), and the turn's replies into the outbox.
   */
  private settleDispatched(accountId: string, guid: string, replies: OutboxInsert[], now: number, turnGuid: string | null = null): number[] {
    if (!this.journal.settle(accountId, guid, 'dispatched', null, now, turnGuid) && !this.journal.state(accountId, guid)) {
      throw new Error(`no inbound journal row for account ${accountId}, guid ${guid}`);
    }
    return replies.map((reply) => this.outbox.insert(reply, now).id);
  }

  /**
   * Checks now that the path still names the file that was opened. Once it does not (deleted, or
   * another file moved over it), returns the `vanished` StoreError, which every call then throws:
   * nothing is written to a file no one will open again, and nothing is acknowledged as recorded.
   */
  fileProblem(): StoreError | undefined {
    this.checkFile();
    return this.lost;
  }

  /**
   * Set once an fsync of the WAL failed (deferred durability): an `io` StoreError. From then on
   * nothing that relies on a commit goes out (sends, control-API answers) until a restart.
   */
  durabilityProblem(): StoreError | undefined {
    const failed = this.deferred?.failed;
    if (!failed) return undefined;
    return new StoreError(
      'io',
      this.path,
      `an fsync of its write-ahead log failed (${failed.message}); sends and control-API writes are held, since the disk may not hold what they would rely on`,
      { cause: failed },
    );
  }

  /** True once a call or fileProblem() found the file vanished (no new look at the file: cheap). */
  get vanished(): boolean {
    return this.lost !== undefined;
  }

  /** True once the store holds a cursor, a journal or outbox row, an approved sender or a pairing request. */
  hasContent(): boolean {
    return this.guard(() => hasContent(this.db));
  }

  // ── cursor ──────────────────────────────────────────────────────────────

  /** The last imsg row id durably recorded for the account; undefined for an account never seen. */
  getCursor(accountId: string): number | undefined {
    return this.guard(() => this.journal.cursor(accountId));
  }

  /** Moves the cursor forward (MAX of old and new); a lower row id is ignored. The first one starts generation 1. */
  setCursor(accountId: string, rowid: number): void {
    this.guard(() => this.setCursorTx(accountId, rowid));
  }

  // ── chat.db generations (schema v6) ─────────────────────────────────────

  /** The generation of chat.db the account's cursor belongs to; undefined before its first cursor. */
  cursorGeneration(accountId: string): CursorGeneration | undefined {
    return this.guard(() => this.generations.current(accountId));
  }

  /**
   * ONE transaction: the current generation ends at the current cursor, the next one starts and the
   * cursor is set to `start.startRowid`, even when that is lower (the only backwards move: the row
   * ids of another database start over). Returns the new generation number.
   */
  startGeneration(accountId: string, start: GenerationStart): number {
    return this.guard(() => this.nextGenerationTx(accountId, start));
  }

  /** Records the chat.db identity (`dev:ino`) of a generation that had none (first start, upgraded). */
  setGenerationIdentity(accountId: string, generation: number, identity: string): void {
    this.guard(() => this.generations.setIdentity(accountId, generation, identity));
  }

  /** The date (ms, imsg's created_at) of the newest message journalled for the account; undefined when none is. */
  lastInboundAt(accountId: string): number | undefined {
    return this.guard(() => this.generations.lastCreatedAt(accountId));
  }

  /** A message's text by guid: journalled inbound, or sent by the gateway; undefined when unknown. */
  knownText(accountId: string, guid: string): KnownText | undefined {
    return this.guard(() => this.knownTexts.find(accountId, guid));
  }

  /** The chat.db row id a message was journalled with (by guid); undefined when it never was. */
  journalledRowid(accountId: string, guid: string): number | undefined {
    return this.guard(() => this.generations.journalRowid(accountId, guid));
  }

  /** Write commits of the store's connection since it opened, and how long they blocked (docs/performance.md). */
  commitStats(): CommitStats {
    return this.db.commitStats();
  }

  // ── inbound journal ─────────────────────────────────────────────────────

  /**
   * ONE transaction (group commit): insert-or-ignore each entry keyed by (account, guid), then
   * cursor = MAX(cursor, cursorRowid). Returns per entry, in order, true if new, false if a
   * duplicate (also within the batch).
   *
   * `settling`: finished agent turns of the same account settled in the same transaction, as
   * completeDispatchMany would (one commit instead of two; all or nothing with the entries).
   */
  recordInbound(accountId: string, entries: InboundEntry[], cursorRowid: number, settling: ReadonlyArray<DispatchItem> = []): boolean[] {
    for (const entry of entries) {
      if (entry.state === 'accepted' && entry.envelope === undefined) {
        throw new TypeError(`accepted inbound entry ${entry.guid} has no envelope: it could not be re-dispatched`);
      }
    }
    return this.guard(() => this.recordTx(accountId, entries, cursorRowid, settling));
  }

  /**
   * ONE transaction: the journal row accepted → dispatched, and the replies into the outbox
   * (duplicate idempotency keys ignored). Returns the outbox ids (the existing id for a duplicate
   * key). Calling it again for a dispatched (or dropped) row changes no state and inserts nothing
   * new. Throws when the message was never journalled.
   */
  completeDispatch(accountId: string, guid: string, replies: OutboxInsert[]): number[] {
    return this.guard(() => this.dispatchTx(accountId, guid, replies));
  }

  /**
   * completeDispatch for several messages in ONE transaction (group commit: one disk flush for a
   * batch of finished agent turns). All or nothing, like each single one. Each message of a
   * collected turn names the turn's latest message (`turnGuid`, the same on all of them, the
   * latest's own guid on the latest): the journal keeps it (schema 13) for the flow and `why`.
   */
  completeDispatchMany(accountId: string, items: ReadonlyArray<DispatchItem>): number[][] {
    return this.guard(() => this.dispatchManyTx(accountId, items));
  }

  /**
   * Replaces the envelope journalled for a message that is still accepted (not yet dispatched):
   * the group history it took must be there if it is dispatched again after a crash.
   */
  replaceInboundEnvelope(accountId: string, guid: string, envelope: string): boolean {
    return this.guard(() => this.journal.replaceEnvelope(accountId, guid, envelope, this.now()));
  }

  /** accepted → dropped with a reason. A row already dispatched or dropped is left as it is. */
  dropInbound(accountId: string, guid: string, reason: string): void {
    this.guard(() => {
      if (!this.journal.settle(accountId, guid, 'dropped', reason, this.now()) && !this.journal.state(accountId, guid)) {
        throw new Error(`no inbound journal row for account ${accountId}, guid ${guid}`);
      }
    });
  }

  /**
   * What was decided about a message and why (state, reason, trace): the row of this guid on
   * `accountId`, or on every account that journalled it when undefined. Empty when unknown (or
   * already pruned).
   */
  inboundDecisions(guid: string, accountId?: string): InboundDecisionRow[] {
    return this.guard(() => this.journal.decisions(guid, accountId));
  }

  /**
   * A dropped row's reason and trace, replaced by the outcome carrying the decision out settled on
   * (the store had the last word on a pairing request). False when the row is not a dropped one.
   */
  setInboundOutcome(accountId: string, guid: string, reason: string, trace: readonly string[]): boolean {
    return this.guard(() => this.journal.setOutcome(accountId, guid, reason, trace, this.now()));
  }

  /** Accepted, not yet dispatched rows, oldest (lowest imsg row id) first: re-dispatched at start. */
  pendingInbound(accountId: string): PendingInbound[] {
    return this.guard(() => this.journal.pending(accountId));
  }

  /** The live message flow, newest first: journalled inbound messages with their replies' outcome (flow-queries.ts). */
  recentFlow(request: FlowRequest): FlowEntry[] {
    return this.guard(() => this.flow.recent(request));
  }

  /** Rows accepted but not dispatched yet. */
  journalLag(accountId: string): number {
    return this.guard(() => this.journal.lag(accountId));
  }

  /** Dropped rows by reason. */
  dropCounts(accountId: string): Record<string, number> {
    return this.guard(() => this.journal.dropCounts(accountId));
  }

  // ── outbox ──────────────────────────────────────────────────────────────

  enqueueOutbox(row: OutboxInsert): { id: number; inserted: boolean } {
    return this.guard(() => this.enqueueTx(row));
  }

  getOutbox(id: number): OutboxRow | undefined {
    return this.guard(() => this.outbox.get(id));
  }

  /** Rows not settled (queued, sending, unknown), by id, at most `limit` (default: all). */
  pendingOutbox(accountId: string, limit?: number): OutboxRow[] {
    return this.guard(() => this.outbox.pending(accountId, limit ?? NO_LIMIT));
  }

  /**
   * queued → sending: attempts+1, lastAttemptAt = now. `attemptId`: the UUID of a tracked send,
   * written in the same durable step, before the send goes to imsg. A plain send clears it: that
   * attempt can only be reconciled against the chat's history, which also finds an earlier
   * tracked attempt that landed late (same text).
   */
  markSending(id: number, attemptId?: string): void {
    this.transition(id, 'markSending', (now) => this.outbox.sending(id, now, attemptId ?? null));
  }

  /** → sent, with the imsg row id / guid of the sent message when known. */
  markSent(id: number, sent: { rowid?: number; guid?: string } = {}): void {
    this.transition(id, 'markSent', (now) => this.outbox.sent(id, sent.rowid ?? null, sent.guid ?? null, now));
  }

  /** sending → unknown: the outcome is unknown; reconcile against the chat history before any retry. */
  markUnknown(id: number, error: string): void {
    this.transition(id, 'markUnknown', (now) => this.outbox.unknown(id, error, now));
  }

  /** Back to queued, not to be attempted before `nextAttemptAt`. */
  scheduleRetry(id: number, nextAttemptAt: number, error: string): void {
    this.transition(id, 'scheduleRetry', (now) => this.outbox.retry(id, nextAttemptAt, error, now));
  }

  /** → failed (permanently), with the reason shown in status. */
  markFailed(id: number, reason: string): void {
    this.transition(id, 'markFailed', (now) => this.outbox.fail(id, reason, now));
  }

  outboxStats(accountId: string): OutboxStats {
    return this.guard(() => this.outbox.stats(accountId));
  }

  /** Failed rows, most recent first, at most `limit` (default: all). */
  failedOutbox(accountId: string, limit?: number): OutboxRow[] {
    return this.guard(() => this.outbox.failed(accountId, limit ?? NO_LIMIT));
  }

  /** The highest outbox id ever issued (any account): cheap change detection for rows another process inserted. */
  /** True if chat.db row `rowid` is already recorded as the delivery of an outbox row (reconciliation). */
  isSentRowidClaimed(accountId: string, rowid: number, guid?: string): boolean {
    return this.guard(() => this.outbox.claimed(accountId, rowid, guid ?? null));
  }

  maxOutboxId(): number {
    return this.guard(() => this.outbox.maxId());
  }

  /**
   * Deletes settled journal rows (dispatched/dropped) and sent outbox rows last updated before the
   * cutoff. Failed rows are dead letters: purgeDeadLetters drops them after their own retention.
   */
  prune(olderThan: number): { journal: number; outbox: number } {
    return this.guard(() => this.pruneTx(olderThan));
  }

  // ── dead letters (schema v8) ──────────────────────────────────────────

  /**
   * ONE transaction: an agent turn failed all its attempts. Its message (still accepted in the
   * journal) is kept as a dead letter with the reason and the attempts, and the journal row is
   * settled as dropped (`agent-failed`). Returns the failed turn's id (undefined when the message
   * was no longer accepted: nothing is kept then).
   */
  failTurn(input: FailedTurnInput): number | undefined {
    return this.guard(() => this.failTurnTx(input));
  }

  /**
   * failTurn for every message of one collected turn, in ONE transaction: all of them are kept as
   * dead letters (with the same reason and attempts) and settled, or none is.
   */
  failTurns(inputs: readonly FailedTurnInput[]): Array<number | undefined> {
    return this.guard(() => this.failTurnsTx(inputs));
  }

  /** Dead letters (failed and unknown sends, failed agent turns), newest first, at most `limit` (default: all). */
  listDeadLetters(accountId?: string, limit?: number): DeadLetter[] {
    return this.guard(() => this.deadLetters.list(accountId, limit ?? NO_LIMIT));
  }

  /** One dead letter by its id (`send-N`, `turn-N`); undefined when there is none (or the send is not dead). */
  deadLetter(id: string | DeadLetterRef): DeadLetter | undefined {
    const ref = typeof id === 'string' ? parseDeadLetterId(id) : id;
    if ('problem' in ref) return undefined;
    return this.guard(() => (ref.kind === 'turn' ? this.deadLetters.turn(ref.n) : this.deadLetters.send(ref.n).letter));
  }

  /**
   * ONE transaction. A failed send is queued again (the same row and idempotency key, attempts
   * from 0); an unknown one only with `force` (it may have been delivered). A failed turn's message
   * goes back to accepted in the journal, with every other message of its collected turn: the
   * account runs the agent again (at once when told, else at its next start). Rows still queued or
   * sending are refused as in flight.
   */
  retryDeadLetter(ref: DeadLetterRef, force = false): DeadLetterRetry {
    return this.guard(() => this.retryDeadTx(ref, force));
  }

  /** ONE transaction: removes one dead letter; an unknown send only with `force`; never a row in flight. */
  purgeDeadLetter(ref: DeadLetterRef, force = false): DeadLetterPurge {
    return this.guard(() => this.purgeDeadTx(ref, force));
  }

  /**
   * Removes failed sends and failed turns that died before `olderThan` (of one account, or all).
   * Unknown sends are never removed in bulk (the gateway still reconciles them): they are counted.
   * Also what the gateway runs to drop dead letters past their retention.
   */
  purgeDeadLetters(olderThan: number, accountId?: string): DeadLetterBulkPurge {
    return this.guard(() => this.purgeOlderTx(olderThan, accountId));
  }

  /** Per account: sends pending since before `overdueBefore`, unknown sends, dead letters. */
  deliveryCounts(accountId: string, overdueBefore: number): DeliveryCounts {
    return this.guard(() => this.deadLetters.counts(accountId, overdueBefore));
  }

  /**
   * deliveryCounts, and when they next change without a write: `nextPendingAt` is the creation time
   * of the oldest queued or sending row not yet overdue at `overdueBefore` (null: none), so the
   * counts hold for every cutoff up to and including it (status reads them once per change).
   */
  deliveryCountsAt(accountId: string, overdueBefore: number): DeliveryCountsAt {
    return this.guard(() => this.deadLetters.countsAt(accountId, overdueBefore));
  }

  /** Accounts that may have dead letters or unknown sends (also those with only queued rows: check deliveryCounts). */
  deadLetterAccounts(): string[] {
    return this.guard(() => this.deadLetters.accounts());
  }

  // ── echo-loop breaker and fair scheduling (schema v4) ──────────────────

  /** The oldest unsettled row of each chat of the account, by id (one per chat). */
  outboxHeads(accountId: string): OutboxHead[] {
    return this.guard(() => this.breakerQueries.heads(accountId));
  }

  /** Chats with unpaid reply turns or a pause. */
  breakerChats(accountId: string): BreakerChatRow[] {
    return this.guard(() => this.breakerQueries.chats(accountId));
  }

  /** Stores one chat's breaker state (a chat with nothing unpaid and no pause is removed). */
  saveBreakerChat(accountId: string, chat: BreakerChatRow): void {
    this.guard(() => this.breakerQueries.save(accountId, chat, this.now()));
  }

  /** The message a tapback points at: sent by the gateway, or journalled, with its text; undefined when unknown. */
  reactionTarget(accountId: string, guid: string): ReactionTargetRow | undefined {
    return this.guard(() => this.reactions.target(accountId, guid));
  }

  /** Reply rows sent since `since` (ms), oldest first. */
  recentSentReplies(accountId: string, since: number): SentReplyText[] {
    return this.guard(() => this.breakerQueries.recentSent(accountId, since));
  }

  /** Per chat, how many unsettled reply turns are not yet counted by the breaker (their first row is not sent). */
  unstartedReplyTurns(accountId: string): Map<string, number> {
    return this.guard(() => this.breakerQueries.unstartedTurns(accountId));
  }

  // ── quarantine ──────────────────────────────────────────────────────────

  /**
   * Sets an inbound message aside with the reason (one statement; the payload is cut at 64 KiB and
   * at most 10,000 rows are kept per account). Returns the quarantine id.
   */
  quarantine(row: QuarantineInsert): number {
    return this.guard(() => this.quarantineQueries.insert(row, this.now()));
  }

  /** Quarantined messages, newest first, of one account or all, at most `limit` (default: all). */
  listQuarantine(accountId?: string, limit?: number): QuarantineRow[] {
    return this.guard(() => this.quarantineQueries.list(accountId, limit ?? NO_LIMIT));
  }

  /** How many messages of the account were quarantined at or after `since` (ms). */
  quarantineCount(accountId: string, since = 0): number {
    return this.guard(() => this.quarantineQueries.countSince(accountId, since));
  }

  // ── pairing (access policy) ─────────────────────────────────────────────

  /** The stored request of this (normalised) handle, pending or cap-dropped. */
  pairingRequest(accountId: string, handle: string): PairingRequestRow | undefined {
    return this.guard(() => this.pairing.request(accountId, handle));
  }

  /** Pending, unexpired requests of the account, not counting `exceptHandle`'s own. */
  livePairingRequests(accountId: string, now: number, exceptHandle = ''): number {
    return this.guard(() => this.pairing.livePendingExcept(accountId, now, exceptHandle));
  }

  /**
   * ONE IMMEDIATE transaction around `fn`, which reads and writes one sender's rows with the
   * methods below (the sender lifecycle: restore, send one event, persist; and the outbox row of a
   * new code). The write lock is held throughout, so a concurrent stranger cannot take the last slot.
   */
  senderTransaction<T>(fn: () => T): T {
    return this.guard(() => this.senderTx(fn) as T);
  }

  /** The request holding this code (pending, or any state that kept it), across accounts. */
  pairingRequestByCode(code: string): PairingRequestRow | undefined {
    return this.guard(() => this.pairing.byCode(code));
  }

  /** The approved sender whose approval used this code. */
  approvedSenderByCode(code: string): ApprovedSenderRow | undefined {
    return this.guard(() => this.pairing.approvedByCode(code));
  }

  approvedSender(accountId: string, handle: string): ApprovedSenderRow | undefined {
    return this.guard(() => this.pairing.approvedRow(accountId, handle));
  }

  /** A fresh code from `draw`, unique across every stored code. */
  freshPairingCode(draw: () => string): string {
    return this.guard(() => this.freshCode(draw));
  }

  /** Writes a sender's request row as given (see senderTransaction). */
  putPairingRequest(row: PairingRequestRow): void {
    this.guard(() => this.pairing.put(row));
  }

  removePairingRequest(accountId: string, handle: string): void {
    this.guard(() => this.pairing.remove(accountId, handle));
  }

  /** Adds (or updates) an approved sender with when and by which code it was approved. */
  putApprovedSender(accountId: string, handle: string, sender: string, approvedAt: number, code: string | null): void {
    this.guard(() => this.pairing.approve(accountId, handle, sender, approvedAt, code));
  }

  /** Pending, denied and cap-dropped requests, per account, cap-dropped last. */
  listPairingRequests(accountId?: string): PairingRequestRow[] {
    return this.guard(() => this.pairing.list(accountId));
  }

  isApprovedSender(accountId: string, handle: string): boolean {
    return this.guard(() => this.pairing.isApproved(accountId, handle));
  }

  /** Adds a sender to the account's approved senders directly (no code). */
  addApprovedSender(accountId: string, handle: string, sender: string): void {
    this.guard(() => this.pairing.approve(accountId, handle, sender, this.now(), null));
  }

  /** Removes an approved sender; true when one was removed. */
  removeApprovedSender(accountId: string, handle: string): boolean {
    return this.guard(() => this.pairing.revoke(accountId, handle));
  }

  listApprovedSenders(accountId?: string): ApprovedSenderRow[] {
    return this.guard(() => this.pairing.approved(accountId));
  }

  /** Deletes requests expired before `olderThan` and cap-dropped strangers not seen since. */
  prunePairingRequests(olderThan: number): number {
    return this.guard(() => this.pairing.prune(olderThan));
  }

  // ── group history ───────────────────────────────────────────────────────

  /**
   * Keeps a group message that did not trigger the agent, then trims the chat to the newest
   * `limit` entries. limit ≤ 0 keeps nothing. A guid already kept is ignored. Returns true when added.
   */
  appendGroupHistory(accountId: string, chatId: number, entry: GroupHistoryInsert, limit: number): boolean {
    if (!(limit > 0)) return false;
    return this.guard(() => this.appendHistoryTx(accountId, chatId, entry, Math.floor(limit)));
  }

  /** ONE transaction: the chat's kept messages, oldest first, and the chat's history cleared. */
  takeGroupHistory(accountId: string, chatId: number): GroupHistoryEntry[] {
    return this.guard(() => this.takeHistoryTx(accountId, chatId));
  }

  /** How many messages are kept for the chat. */
  groupHistorySize(accountId: string, chatId: number): number {
    return this.guard(() => this.history.count(accountId, chatId));
  }

  // ── internals ───────────────────────────────────────────────────────────

  private freshCode(draw: () => string): string {
    for (let i = 0; i < CODE_ATTEMPTS; i++) {
      const code = draw();
      if (!this.pairing.isCodeTaken(code)) return code;
    }
    throw new Error(`could not draw a pairing code not already in use after ${CODE_ATTEMPTS} attempts`);
  }

  private transition(id: number, transition: OutboxTransition, apply: (now: number) => void): void {
    this.guard(() => this.transitionTx(id, transition, apply));
  }

  private checkFile(): void {
    if (this.lost !== undefined || this.opened === undefined) return;
    let problem: 'deleted' | 'replaced' | undefined;
    try {
      problem = identityProblem(this.opened, fileIdentity(this.path));
    } catch {
      return; // the path cannot be examined (permissions): SQLite reports what that costs
    }
    if (problem === undefined) return;
    this.lost = new StoreError(
      'vanished',
      this.path,
      problem === 'deleted' ? `${this.path} no longer exists` : `another file was put at ${this.path}`,
    );
  }

  /**
   * Storage failures become StoreErrors; programming errors pass through unchanged. A store whose
   * file vanished refuses every call (`checked`: all but close).
   */
  private guard<T>(fn: () => T, checked = true): T {
    if (checked) {
      this.checkFile();
      if (this.lost !== undefined) throw this.lost;
    }
    try {
      return fn();
    } catch (err) {
      if (isStorageFailure(err)) throw toStoreError(err, this.path);
      throw err;
    }
  }
}

const NO_COMMIT_HOLD: CommitHold = { held: () => false, afterHold: (fn) => queueMicrotask(fn) };

export type DeadLetterRetry =
  | { ok: true; kind: 'send'; accountId: string; outboxId: number }
  /** `guids`: every message put back to accepted, oldest first (all of a collected turn's). */
  | { ok: true; kind: 'turn'; accountId: string; guid: string; guids: string[] }
  | { ok: false; problem: 'not-found' }
  | { ok: false; problem: 'in-flight' | 'already-sent'; state: OutboxState }
  | { ok: false; problem: 'unknown-needs-force'; letter: DeadLetter };

export type DeadLetterPurge = { ok: true } | Exclude<DeadLetterRetry, { ok: true }>;

export interface DeadLetterBulkPurge {
  sends: number;
  turns: number;
  /** Unknown sends older than the cutoff, left alone. */
  unknownLeft: number;
}
