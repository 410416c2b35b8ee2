/** Every default value of the configuration, in one place (docs/configuration.md mirrors this). */
import type { DmPolicy, GroupPolicy, IMessageService, LogLevel, ReactionNotifications, SupervisionConfig } from './types.js';

export const DEFAULT_ACCOUNT_ID = 'default';

export const ACCOUNT_DEFAULTS = {
  enabled: true,
  cliPath: 'imsg',
  service: 'auto' as IMessageService,
  region: 'US',
  dmPolicy: 'pairing' as DmPolicy,
  groupPolicy: 'allowlist' as GroupPolicy,
  /** Used when neither the account, imessage.historyLimit nor messages.groupChat.historyLimit set one. */
  historyLimit: 50,
  includeAttachments: false,
  mediaMaxMb: 16,
  textChunkLimit: 4000,
  catchUp: 'none',
  backlogMaxAge: '15m',
  maxSendsWithoutInbound: 10,
  /** One reply's text is cut past this many characters (UTF-16 code units), with a notice. */
  maxReplyChars: 100_000,
  /** A row id further than this past the highest row seen is quarantined, never the cursor (rowid-jump.ts). */
  maxRowidJump: 1_000_000,
  typingIndicator: true,
  sendReadReceipts: true,
  reactionNotifications: 'own' as ReactionNotifications,
} as const;

export const REACTION_NOTIFICATIONS = ['off', 'own', 'all'] as const;

export const DEFAULT_AGENT_TIMEOUT_MS = 30_000;

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export const DEFAULT_SUPERVISION: SupervisionConfig = Object.freeze({
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  restartIntensity: Object.freeze({ maxRestarts: 5, windowMs: 60_000 }),
  coolDownMs: 300_000,
  permissionReprobeMs: 30_000,
  livenessIntervalMs: 15_000,
  probeTimeoutMs: 10_000,
  readTimeoutMs: 15_000,
  mutationTimeoutMs: 30_000,
  trackedSendWaitMs: 60_000,
  stableAfterMs: 30_000,
  stopTimeoutMs: 3_000,
}) as SupervisionConfig;

export const DM_POLICIES = ['pairing', 'allowlist', 'open', 'disabled'] as const;
/** session.dmScope: how DMs are split into agent sessions (src/routing/session-key.ts). */
export const DM_SCOPES = ['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer'] as const;
export const DEFAULT_DM_SCOPE = 'main';
/**
 * messages.queue.mode: `collect` (default) hands the messages of one chat that waited in a busy
 * session lane to the agent as ONE turn; `followup` runs one turn per message (src/agents/turn-collector.ts).
 */
export const QUEUE_MODES = ['collect', 'followup'] as const;
export const DEFAULT_QUEUE = Object.freeze({ mode: 'collect' as const, collectWindowMs: 300 });
/** messages.queue.collectWindowMs bounds (ms): 0 collects only what waits behind a busy agent. */
export const COLLECT_WINDOW_RANGE = Object.freeze({ min: 0, max: 10_000 });
export const GROUP_POLICIES = ['open', 'allowlist', 'disabled'] as const;
export const SERVICES = ['imessage', 'sms', 'auto'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * gateway.http: the control API and dashboard, loopback only, with its resource limits: the
 * connection cap and the header, request, keep-alive and idle timeouts (docs/dashboard.md).
 */
export const DEFAULT_HTTP = Object.freeze({
  enabled: true,
  port: 7545,
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 120_000,
});
/** gateway.http.maxConnections bounds: room for the reserved short-request slots, and below any descriptor limit worth having. */
export const HTTP_MAX_CONNECTIONS_RANGE = Object.freeze({ min: 4, max: 4096 });
/**
 * gateway.delivery: how long dead letters (failed sends, failed agent turns) are kept, and how long
 * a send may wait before `status` calls it overdue (docs/durability.md).
 */
export const DEFAULT_DELIVERY = Object.freeze({
  deadLetterRetentionMs: 30 * 86_400_000,
  overdueAfterMs: 10 * 60_000,
});
/** gateway.inspector: off unless asked for. */
export const DEFAULT_INSPECTOR = Object.freeze({ enabled: false, port: 7546 });
