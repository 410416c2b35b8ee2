/** The status document: what `imessage-gateway status` prints and the status file holds. */
import type { RuntimeVersions } from '../util/runtime-versions.js';
import type { AccountCounters } from './account-counters.js';
import type { CommitStats } from '../sqlite/index.js';
import type { StoreHealth } from './store-watch.js';
import type { AccountHealth, DegradedReason } from './account-health.js';
import type { CatchUpProgress } from '../account-rules/catch-up.js';
import type { DeliveryStatus } from './delivery-health.js';

export interface TransitionRecord {
  at: string;
  from: string;
  to: string;
  reason: string;
}

export interface AccountStatus {
  id: string;
  name: string | null;
  enabled: boolean;
  /** spawning | initializing | catching-up | streaming | resubscribing | regenerating | awaiting-permissions | misconfigured | backoff-restart | cooling-down | stopping | stopped | disabled | refused | merged */
  state: string;
  /**
   * `merged`: the account shares its Messages source with this account (the owner), which runs the
   * one imsg watcher and handles every message; this account runs no child (issue 14, item 7).
   */
  mergedInto?: string;
  /** An owner: the accounts merged into it (absent when none). */
  mergedAccounts?: string[];
  /** The account machine's active leaf state, e.g. `child.streaming.idle` (absent in older status files and while failed). */
  statePath?: string;
  since: string;
  lastError: string | null;
  lastErrorClass: string | null;
  remediation: string | null;
  lastErrorAt: string | null;
  restarts: number;
  attempt: number;
  nextRetryAt: string | null;
  reason: string;
  childPid: number | null;
  /** The imsg child as negotiated (absent before the first negotiation and in older status files). */
  imsg?: {
    version: string | null;
    protocol: 'v1' | 'legacy';
    /** v1: the methods usable now (`status.methods`); null in legacy mode. */
    methods: string[] | null;
    /** v1: whether imsg has the Messages database open; null in legacy mode. */
    databaseReady: boolean | null;
    features: Record<string, number>;
    /** Legacy mode although imsg claimed protocol v1 (it rejected `status`): why. Absent otherwise. */
    fallback?: string;
  };
  cursor: number | null;
  /**
   * The generation of chat.db the cursor belongs to (issue 12, item 5): a new one starts when the
   * database is replaced or restored. null before the first cursor; absent in older status files.
   */
  generation?: { number: number; since: string; reason: string } | null;
  /**
   * imsg 0.14+: the catch-up with messages.after, while it runs (`active`) and the last one after
   * (behind by, rows/s, how it ended); absent before the first and with older imsg.
   */
  catchUp?: Omit<CatchUpProgress, 'startedAt'> & { startedAt: string };
  agentId: string | null;
  counters: AccountCounters;
  /** Journal rows accepted but not yet dispatched (plus messages not yet written). */
  journalLag: number;
  outbox: { depth: number; oldestQueuedAt: string | null; failed: number; unknown: number };
  /** Sends pending past the threshold, unknown sends, dead letters (absent in older status files and when unreadable). */
  delivery?: DeliveryStatus;
  /** Chats whose replies the echo-loop breaker holds back. */
  pausedChats: string[];
  /**
   * Beside the state: `degraded` when the account is not fully doing its job (messages held, store
   * writes failing, quarantines, a paused chat, an internal error); the reasons say which (account-health.ts).
   * `warning`: a `merged` account (its messages are handled, by its owner, but its config asks for
   * something the gateway does not do); not counted as degraded.
   */
  health: AccountHealth;
  degradedReasons: DegradedReason[];
  transitions: TransitionRecord[];
}

export interface GatewayStatus {
  running: boolean;
  pid: number;
  startedAt: string;
  updatedAt: string;
  configPath: string | null;
  /** What the gateway runs on (absent in status files written before it was recorded). */
  runtime?: RuntimeVersions;
  /** The last config reload (SIGHUP or `imessage-gateway reload`). */
  lastReload?: {
    at: string;
    ok: boolean;
    restarted: string[];
    started: string[];
    stopped: string[];
    error?: string;
    /** gateway.* settings that changed but apply only after a restart of the gateway (`gateway.http.port`, …). */
    needsRestart?: string[];
  };
  /** The state database: `ok: false` once its file was deleted or replaced while running (absent in older status files). */
  store?: StoreHealth;
  /**
   * The state database's write commits since the start and how long they blocked the event loop
   * (docs/performance.md; absent in older status files).
   */
  storeCommits?: CommitStats;
  /**
   * How the store's commits reach the disk (docs/durability.md#deferred-durability): the gateway's
   * is `deferred`, with where checkpoints run (`thread`, or `connection` after a fallback, which
   * the log explains) and the WAL fsyncs so far.
   */
  storeDurability?: { mode: 'full' } | { mode: 'deferred'; checkpoints: 'thread' | 'connection'; syncs: number; walWraps?: number };
  /**
   * Event-loop delay since the start, in ms: how late the 10 ms sampling timer fired, the interval
   * itself not counted (util/loop-delay.ts; absent in older status files).
   */
  eventLoop?: { p50Ms: number; p99Ms: number; maxMs: number };
  /** Dead letters of accounts no longer in the config (they keep the status from "ok"). */
  removedAccounts?: Array<{ id: string; deadLetters: number; unknown: number }>;
  /** The live dashboard, without its token (the token is in <home>/control-token). */
  controlUrl?: string;
  /** Why the control API is not listening (gateway.http.enabled false, its port taken): the CLI says so at once. */
  controlProblem?: string;
  accounts: AccountStatus[];
}
