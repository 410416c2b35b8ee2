/** The shapes the store reads and writes. Column names stay in the query files; these are camelCase. */
import type { CollectedTurn, ReplyOutcome } from './turn-outcome.js';

/** One inbound message as the gateway records it, before it acts on it. */
export interface InboundEntry {
  guid: string;
  rowid: number;
  chatId: number;
  sender: string;
  /** ms since epoch (the message's own date). */
  createdAt: number;
  state: 'accepted' | 'dropped';
  /** Drop reason (dropped entries); `unspecified` when a dropped entry carries none. */
  reason?: string;
  /** JSON of the envelope; required for accepted entries (re-dispatched after a crash). */
  envelope?: string;
  /** The access decision's trace: the rules that fired, in order (stored as a JSON array). */
  trace?: readonly string[];
}

/** One journal row as `why` and the control API show it: what was decided about a message, and why. */
export interface InboundDecisionRow {
  accountId: string;
  guid: string;
  rowid: number;
  chatId: number;
  sender: string;
  /** ms since epoch (the message's own date). */
  createdAt: number;
  state: InboundState;
  /** Drop reason (dropped rows), or null. */
  reason: string | null;
  /** The rules that fired, in order; null for rows journalled before schema version 10. */
  trace: string[] | null;
  recordedAt: number;
  updatedAt: number;
  /** The replies queued for the message's turn (a collected turn's, for each of its messages); null: none. */
  reply: ReplyOutcome | null;
  /** The collected turn the message was part of (schema 13); null for a turn of one message, or none yet. */
  turn: CollectedTurn | null;
}

/** A journal row's lifecycle: accepted → dispatched, or accepted → dropped (or dropped at once). */
export type InboundState = 'accepted' | 'dispatched' | 'dropped';

export interface PendingInbound {
  guid: string;
  rowid: number;
  envelope: string;
}

export type OutboxSource = 'reply' | 'cli' | 'pairing' | 'system';

export interface OutboxInsert {
  accountId: string;
  /** UNIQUE across the table: a second insert with the same key is ignored and returns the existing row's id. */
  idempotencyKey: string;
  /** Ordering key: rows of one chat are sent in id order. */
  chatKey: string;
  /** JSON of the reply target. */
  target: string;
  text: string;
  /** Optional attachment path; null when absent. */
  file?: string;
  source: OutboxSource;
  envelopeId?: string;
  /**
   * A threaded reply: the guid of the message it answers (imsg `reply_to`, bridge only). Kept with
   * the row so a retried or reconciled send stays in the thread.
   */
  replyTo?: string;
  /** A non-text action instead of a message, as JSON (outbox-action.ts): an agent's tapback. */
  action?: string;
}

/**
 * queued → sending → sent | unknown | queued (scheduleRetry) | failed;
 * unknown → (reconciled) sent | queued | failed. `sent` and `failed` are settled.
 */
export type OutboxState = 'queued' | 'sending' | 'unknown' | 'sent' | 'failed';

export interface OutboxRow extends Required<Omit<OutboxInsert, 'file' | 'envelopeId' | 'replyTo' | 'action'>> {
  id: number;
  file: string | null;
  envelopeId: string | null;
  replyTo: string | null;
  action: string | null;
  state: OutboxState;
  attempts: number;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  sentRowid: number | null;
  sentGuid: string | null;
  /** The UUID a tracked send (send.tracked) gave this row's message, persisted before the send; null for plain sends. */
  attemptId: string | null;
}

export interface OutboxStats {
  /** Rows not settled (queued, sending, unknown). */
  depth: number;
  /** createdAt of the oldest unsettled row, or null when the outbox is empty. */
  oldestQueuedAt: number | null;
  failed: number;
  unknown: number;
}

export interface StoreOptions {
  /** Clock for every timestamp the store writes (ms since epoch). Default Date.now. */
  now?: () => number;
  /** SQLite busy timeout in ms (default 5000): how long a write waits for another connection's lock. */
  busyTimeoutMs?: number;
  /**
   * `full` (default): every commit waits for its fsync (`synchronous = FULL`), right for the CLI's
   * short writes. `deferred`: the gateway's, commits are fsync'd off the event loop and whatever
   * relies on one awaits `durable()` (deferred-durability.ts).
   */
  durability?: 'full' | 'deferred';
  /** With `deferred`: told when the checkpoint thread is unavailable or failed. */
  onDurabilityProblem?: (message: string) => void;
  /** With `deferred`: the checkpoint worker's file (default: the built one; null: none, for tests). */
  workerFile?: string | null;
  /** With `deferred`: fsyncs the WAL's descriptor (default fs.fsync; tests simulate a failing disk). */
  walFsync?: (fd: number) => Promise<void>;
  /** With `deferred`: when the checkpoint thread cuts a grown WAL back (default 64 MB after 2 s quiet; tests set less). */
  walTruncate?: WalTruncation;
  /** With `deferred`: WAL frames past which the checkpoint thread wraps a burst's WAL (default 4,096; tests set less). */
  walWrapFrames?: number;
}

/**
 * The checkpoint thread's request that the gateway's deferrable commits (the journal's and the
 * completions' group commits) wait a moment, so that a checkpoint can take in the whole WAL and
 * the next write starts it again from its start (checkpoint-worker.ts). A hold lasts at most
 * COMMIT_HOLD_MAX_MS; nothing depends on it for correctness.
 */
export interface CommitHold {
  /** True while the deferrable commits should wait. */
  held(): boolean;
  /** Calls `fn` once the hold is over (at once, in a microtask, when there is none). */
  afterHold(fn: () => void): void;
}

/** A WAL grown past `sizeLimit` bytes is truncated once no commit has come for `quietMs`. */
export interface WalTruncation {
  sizeLimit: number;
  quietMs: number;
}

// ── access policy (schema version 3) ───────────────────────────────────────

/** A stranger who wrote to an account: waiting with a code, or turned away because 3 codes were pending. */
export interface PairingRequestRow {
  accountId: string;
  /** Normalised identity of the sender (`phone:+1555…`, `email:…`, `other:…`). */
  handle: string;
  /** The handle as the sender wrote from (reply target, display). */
  sender: string;
  chatId: number;
  /** denied: a request the operator denied or an approval revoked; no code, no reply until expiresAt. */
  state: 'pending' | 'cap-dropped' | 'denied';
  /** null for cap-dropped and denied rows (no code works). */
  code: string | null;
  /** ms since epoch: when the code was issued (cap-dropped: first time turned away). */
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  /** Messages received from this sender while in this state. */
  messages: number;
  /** (v10) A denied row that is a revoked approval: when it was revoked; null otherwise. */
  revokedAt: number | null;
}

export interface ApprovedSenderRow {
  accountId: string;
  handle: string;
  sender: string;
  approvedAt: number;
  code: string | null;
}

export interface GroupHistoryEntry {
  sender: string;
  text: string;
  /** ISO-8601 time of the message. */
  at: string;
}

export interface GroupHistoryInsert extends GroupHistoryEntry {
  /** Message guid: a message appended twice (a replay) is kept once. */
  guid?: string;
}
