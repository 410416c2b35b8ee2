/**
 * chat.db generations of one account (imsg-rpc-current.md §2.4): the effects around the pure
 * decisions of account-rules/cursor-generation.ts.
 *
 * - `check` runs on every connect, before the first-start anchor, the catch-up and the subscribe:
 *   it observes (the file's identity, the newest rows through the child, the journal) and, when the
 *   database is another one, starts a new generation with a rewound cursor (one warning).
 * - `watch` runs while the account is connected: it notices the file being replaced (its identity,
 *   every 5 s) and, on imsg 0.14+, the newest rows falling below the cursor (every liveness
 *   interval, twice in a row). It then says so to the machine: imsg ≤0.13 keeps reading the old
 *   file until restarted (§2.1), so its child is restarted; 0.14+ reads the new file on new
 *   requests but its subscriptions stay on the old generation, so the same child unsubscribes and
 *   subscribes again (regenerating). Either way the next `check` starts the new generation.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  confirmedWhileRunning,
  type GenerationObservation,
  type GenerationVerdict,
  judgeGeneration,
  type NewestRow,
  rewindSince,
} from '../account-rules/cursor-generation.js';
import type { GatewayStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Recovery, TypedError } from '../util/typed-error.js';
import type { AfterClient } from './catch-up-runner.js';
import { initialCursor } from './initial-cursor.js';

/** How many of the most recently active chats are asked for their newest message. */
const NEWEST_CHATS = 5;
/**
 * How often a connected account compares chat.db's identity with the one recorded. A replaced file
 * is rare (a restore, a new Mac) and nothing is lost while it goes unnoticed (the new generation
 * reads again from before the newest message seen); 100 `stat`s a second were an eighth of an
 * idle 100-account gateway's main thread (issue 15), so every 5 s, not every second.
 */
export const IDENTITY_POLL_MS = 5000;

/**
 * The delay to the next identity look: to the next whole `IDENTITY_POLL_MS` of the clock, so the
 * looks of every connected account fall due together and share one wakeup instead of one each
 * (issue 15: 100 idle accounts woke the gateway 100 times a second for these).
 */
export function nextIdentityLookIn(now: number): number {
  return IDENTITY_POLL_MS - (((now % IDENTITY_POLL_MS) + IDENTITY_POLL_MS) % IDENTITY_POLL_MS);
}
/** The rows probe (6 reads) runs at most this often, and only when the child has nothing in flight. */
const MIN_ROWS_PROBE_MS = 10_000;
const ROWS_PROBE_LIVENESS_FACTOR = 4;

/** How often a connected v1 account compares the newest rows with its cursor. */
export function rowsProbeInterval(livenessIntervalMs: number): number {
  return Math.max(livenessIntervalMs * ROWS_PROBE_LIVENESS_FACTOR, MIN_ROWS_PROBE_MS);
}

/**
 * chat.db is another file (or another database) now: imsg 0.14+ keeps its child and moves the
 * watch (`inPlace`), an older imsg is restarted on the new file.
 */
export class ChatDbReplacedError extends Error implements TypedError {
  readonly kind = 'db-generation';
  readonly recovery: Recovery = 'retry';
  readonly remediation: string;
  constructor(
    detail: string,
    readonly inPlace = false,
  ) {
    super(
      `chat.db was replaced or restored (${detail}); ` +
        (inPlace ? 'moving the watch to the new file on the same imsg' : 'restarting imsg on the new file'),
    );
    this.name = 'ChatDbReplacedError';
    this.remediation =
      `Nothing to do: the gateway ${inPlace ? 'subscribes again on the new file' : 'restarts imsg on the new file'}, starts a new ` +
      'cursor generation and reads again from just before the newest message it had seen (the journal drops those already answered).';
  }
}

export interface DbGenerationsOptions {
  accountId: string;
  /** The chat.db path imsg reads (the account's dbPath, or imsg's default). */
  dbPath: string;
  store: GatewayStore;
  clock: Clock;
  logger: Logger;
  /** Makes what was received durable before the generation ends (pipeline.flush). */
  flush: () => void;
  /** A new generation started: forget per-file state (the cursor-jump baseline). */
  onNewGeneration: () => void;
}

/** Where imsg reads when no --db is given. */
export function defaultChatDbPath(): string {
  return join(homedir(), 'Library', 'Messages', 'chat.db');
}

/** `dev:ino` of a path; null when nothing is there; undefined when it cannot be examined. */
export function identityOf(path: string): string | null | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : undefined;
  }
}

/** The newest message imsg shows, over the most recently active chats; undefined when it cannot be read. */
export async function newestRow(client: AfterClient): Promise<NewestRow | null | undefined> {
  try {
    const { chats } = await client.request<{ chats: Array<{ id: number }> }>('chats.list', { limit: NEWEST_CHATS });
    let best: NewestRow | null = null;
    for (const chat of chats) {
      const { messages } = await client.request<{ messages: Array<{ id: number; guid?: string; url_preview?: { id?: number } }> }>(
        'messages.history',
        { chat_id: chat.id, limit: 1 },
      );
      const m = messages[0];
      if (!m || !Number.isSafeInteger(m.id)) continue;
      const rowid = Math.max(m.id, m.url_preview?.id ?? 0);
      if (!best || rowid > best.rowid) best = { rowid, id: m.id, guid: m.guid ?? '' };
    }
    return best;
  } catch {
    return undefined;
  }
}

export class DbGenerations {
  /** The identity seen at the last connect (what the watch compares with). */
  private seenIdentity: string | null | undefined;
  /** imsg 0.14+ reported the database unavailable while a cursor existed. */
  private unavailableSeen = false;
  /** What the watch saw before asking for a restart: the next check starts the generation. */
  private pending: Extract<GenerationVerdict, { changed: true }> | undefined;

  constructor(private readonly o: DbGenerationsOptions) {}

  /** imsg 0.14+ said `database.ready: false` (or -32002): when it opens again, it may be another file. */
  noteUnavailable(): void {
    if (this.cursor() !== undefined) this.unavailableSeen = true;
  }

  /** On connect: is this still the database the cursor belongs to? If not, a new generation starts. */
  async check(client: AfterClient): Promise<void> {
    const { store, accountId } = this.o;
    const identity = identityOf(this.o.dbPath);
    this.seenIdentity = identity;
    const cursor = store.getCursor(accountId);
    if (cursor === undefined) {
      this.pending = undefined;
      this.unavailableSeen = false;
      return;
    }
    const newest = await newestRow(client);
    const observation = this.observe(cursor, identity, newest);
    const verdict = this.pending ?? judgeGeneration(observation);
    this.pending = undefined;
    this.unavailableSeen = false;
    const generation = store.cursorGeneration(accountId);
    if (!verdict.changed) {
      if (verdict.recordIdentity && generation) store.setGenerationIdentity(accountId, generation.generation, verdict.recordIdentity);
      return;
    }
    this.o.flush();
    const before = store.getCursor(accountId) ?? cursor;
    const now = this.o.clock.now();
    const since = rewindSince(store.lastInboundAt(accountId), now);
    const startRowid = Math.max(await initialCursor(client, now - since, now), 0);
    const next = store.startGeneration(accountId, {
      reason: verdict.reason,
      startRowid,
      dbIdentity: typeof identity === 'string' ? identity : null,
      anchorGuid: newest ? newest.guid || null : null,
    });
    this.o.onNewGeneration();
    this.o.logger.warn(
      {
        generation: next,
        previousGeneration: generation?.generation ?? null,
        reason: verdict.reason,
        previousCursor: before,
        startRowid,
        newestRowid: newest ? newest.rowid : null,
        rereadSince: new Date(since).toISOString(),
      },
      `chat.db was replaced or restored: ${verdict.detail}. Generation ${next} starts; reading resumes after row ${startRowid} ` +
        `(the old cursor ${before} belongs to the old file). Messages dated from ${new Date(since).toISOString()} are read again; ` +
        'the journal drops those already answered',
    );
  }

  /**
   * While connected: polls the file's identity (every IDENTITY_POLL_MS, on its whole multiples of the clock) and, when `v1` (imsg 0.14+, whose
   * new requests see the new file), the newest rows every `rowsEveryMs` while the child has no
   * request in flight (the probe never queues behind other work and so never trips a deadline).
   * Calls `changed` once when the database is another one (in place on v1). Returns the cleanup
   * (no timer outlives it).
   */
  watch(
    client: AfterClient & { readonly inFlight: number },
    v1: boolean,
    rowsEveryMs: number,
    changed: (error: ChatDbReplacedError) => void,
  ): () => void {
    const { clock, store, accountId } = this.o;
    // An account's first generation started after this connect's check: record its file now.
    try {
      const generation = store.cursorGeneration(accountId);
      if (generation && generation.dbIdentity === null && typeof this.seenIdentity === 'string') {
        store.setGenerationIdentity(accountId, generation.generation, this.seenIdentity);
      }
    } catch {
      // the state database is failing: its own health check reports it
    }
    let stopped = false;
    let fired = false;
    let identityTimer: unknown;
    let rowsTimer: unknown;
    let previous: GenerationVerdict | undefined;
    const fire = (verdict: Extract<GenerationVerdict, { changed: true }>) => {
      if (fired || stopped) return;
      fired = true;
      this.pending = verdict;
      changed(new ChatDbReplacedError(verdict.detail, v1));
    };
    const identityTick = () => {
      if (stopped || fired) return;
      const seen = this.seenIdentity;
      const now = identityOf(this.o.dbPath);
      // A file that is gone is not judged (imsg reports it); the one that appears next is.
      if (typeof seen === 'string' && typeof now === 'string' && now !== seen) {
        fire({ changed: true, reason: 'file-replaced', detail: `chat.db is another file now (${seen} → ${now})` });
        return;
      }
      if (typeof seen !== 'string' && typeof now === 'string') this.seenIdentity = now;
      identityTimer = clock.setTimeout(identityTick, nextIdentityLookIn(clock.now()));
    };
    const rowsTick = async () => {
      if (stopped || fired) return;
      try {
        const cursor = this.cursor();
        if (cursor !== undefined && client.inFlight === 0) {
          const newest = await newestRow(client);
          if (stopped || fired) return;
          // Judge the rows only: the identity is the other timer's.
          const verdict = judgeGeneration({ ...this.observe(this.cursor() ?? cursor, undefined, newest), reopened: false });
          if (confirmedWhileRunning(previous, verdict) && verdict.changed) {
            fire(verdict);
            return;
          }
          previous = verdict;
        }
      } catch {
        // The state database cannot be read right now (its health check reports it): look again next time.
        previous = undefined;
      }
      if (!stopped) rowsTimer = clock.setTimeout(() => void rowsTick(), rowsEveryMs);
    };
    identityTimer = clock.setTimeout(identityTick, nextIdentityLookIn(clock.now()));
    if (v1) rowsTimer = clock.setTimeout(() => void rowsTick(), rowsEveryMs);
    return () => {
      stopped = true;
      clock.clearTimeout(identityTimer);
      clock.clearTimeout(rowsTimer);
    };
  }

  private observe(cursor: number, identity: string | null | undefined, newest: NewestRow | null | undefined): GenerationObservation {
    const { store, accountId } = this.o;
    const generation = store.cursorGeneration(accountId);
    return {
      cursor,
      recordedIdentity: generation?.dbIdentity ?? null,
      identity,
      newest,
      newestJournalRowid: newest && newest.guid ? store.journalledRowid(accountId, newest.guid) : undefined,
      anchorGuid: generation?.anchorGuid ?? null,
      reopened: this.unavailableSeen,
    };
  }

  private cursor(): number | undefined {
    try {
      return this.o.store.getCursor(this.o.accountId);
    } catch {
      return undefined;
    }
  }
}
