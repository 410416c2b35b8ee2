/** The shapes the store reads and writes. Column names stay in the query files; these are camelCase. */

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
}

/**
 * queued → sending → sent | unknown | queued (scheduleRetry) | failed;
 * unknown → (reconciled) sent | queued | failed. `sent` and `failed` are settled.
 */
export type OutboxState = 'queued' | 'sending' | 'unknown' | 'sent' | 'failed';

export interface OutboxRow extends Required<Omit<OutboxInsert, 'file' | 'envelopeId'>> {
  id: number;
  file: string | null;
  envelopeId: string | null;
  state: OutboxState;
  attempts: number;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  sentRowid: number | null;
  sentGuid: string | null;
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
}
