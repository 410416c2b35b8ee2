/**
 * The resolved configuration: what the rest of the gateway consumes. Every value here is final
 * (defaults applied, inheritance done, `~` expanded); nothing downstream should re-apply defaults.
 */

export type DmPolicy = 'pairing' | 'allowlist' | 'open' | 'disabled';
/** How DMs are split into sessions: one per agent (`main`) or one per sender (the `per-*` scopes). */
export type DmScope = 'main' | 'per-peer' | 'per-channel-peer' | 'per-account-channel-peer';
/** messages.queue.mode: one turn per message (`followup`) or one turn for what waited (`collect`). */
export type QueueMode = 'collect' | 'followup';
export type GroupPolicy = 'open' | 'allowlist' | 'disabled';
export type IMessageService = 'imessage' | 'sms' | 'auto';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface GroupConfig {
  requireMention?: boolean;
  /** Show typing in this group while its agent works; unset = the account's typingIndicator. */
  typingIndicator?: boolean;
}

/** Which tapbacks reach the agent as reaction events: none, those on the gateway's own messages, or all. */
export type ReactionNotifications = 'off' | 'own' | 'all';

export interface AccountConfig {
  /** Lowercased account id; "default" for a flat (single-account) config. */
  id: string;
  name?: string;
  enabled: boolean;
  /** Executable for `imsg` (or a wrapper); `~` expanded. */
  cliPath: string;
  /** Messages database; unset = imsg's own default. `~` expanded. */
  dbPath?: string;
  remoteHost?: string;
  service: IMessageService;
  region: string;
  dmPolicy: DmPolicy;
  /** Trimmed, deduplicated handles (numbers converted to strings). */
  allowFrom: string[];
  groupPolicy: GroupPolicy;
  /** Unset (undefined) means "fall back to allowFrom"; [] means "nobody". */
  groupAllowFrom?: string[];
  historyLimit: number;
  groups: Record<string, GroupConfig>;
  includeAttachments: boolean;
  mediaMaxMb: number;
  textChunkLimit: number;
  /** A brand-new account replays this far back (ms); null = start from now. */
  catchUpMs: number | null;
  /** Messages older than this when they arrive are journalled but not dispatched (ms); null = off. */
  backlogMaxAgeMs: number | null;
  /** Echo-loop breaker: sends into one chat without an inbound message from someone else in between. */
  maxSendsWithoutInbound: number;
  /** A reply's text past this many characters (UTF-16 code units) is cut, with a notice appended. */
  maxReplyChars: number;
  /** A message whose row id is further than this past the highest row seen is quarantined; the cursor stays. */
  maxRowidJump: number;
  /** Show typing in a chat from acceptance until the agent's replies are queued (issue 17). */
  typingIndicator: boolean;
  /** Mark a chat read when a message in it is accepted for an agent. */
  sendReadReceipts: boolean;
  /** Tapbacks as reaction events to the agent (imsg include_reactions). */
  reactionNotifications: ReactionNotifications;
  /** Where outbound files are copied before `send` (Messages.app only reads a few directories). `~` expanded. */
  outboundStagingDir?: string;
  /** Extra directories attachments may be read from; unset = the consumer's default. `~` expanded. */
  attachmentRoots?: string[];
}

export type AgentHandlerConfig =
  | { type: 'echo' }
  | { type: 'none' }
  | { type: 'command'; argv: string[]; timeoutMs: number; cwd?: string; env?: Record<string, string> }
  | { type: 'http'; url: string; timeoutMs: number; headers?: Record<string, string> };

export interface AgentConfig {
  /** Lowercased agent id. */
  id: string;
  default: boolean;
  name?: string;
  /** Source strings of case-insensitive regexes (validated); see compileMentionPatterns. */
  mentionPatterns?: string[];
  handler: AgentHandlerConfig;
}

/** Timings of the per-account supervisor (all milliseconds except maxRestarts). */
export interface SupervisionConfig {
  /** First delay before restarting a failed `imsg` child; doubles (with jitter) per consecutive failure. */
  backoffInitialMs: number;
  /** Cap on that restart delay. */
  backoffMaxMs: number;
  /** More than maxRestarts restarts within windowMs (sliding) sends the account to cooling-down. */
  restartIntensity: { maxRestarts: number; windowMs: number };
  /** How long a cooling-down account waits before trying again (an operator retry skips it). */
  coolDownMs: number;
  /** Interval between permission re-probes while awaiting Full Disk Access / Automation. */
  permissionReprobeMs: number;
  /** Interval between liveness probes of a streaming child. */
  livenessIntervalMs: number;
  /** Deadline for a startup or liveness probe to answer before the child counts as hung. */
  probeTimeoutMs: number;
  /** Read deadline: every imsg request that is not a mutation (status, chats.list, messages.history, messages.after, message.send_status, watch.subscribe, ...). */
  readTimeoutMs: number;
  /** Mutation deadline (send, send.tracked); longer than imsg's 8 s receipt check. After it the send is "unknown" and reconciled before any retry. */
  mutationTimeoutMs: number;
  /**
   * A tracked send (send.tracked) whose outcome is unknown and whose attempt id names no message
   * yet: how long after the attempt it is polled (message.send_status every 2 s) before it is
   * re-submitted under the same attempt id (imsg sends it at most once).
   */
  trackedSendWaitMs: number;
  /** Time streaming without a failure after which the backoff resets to backoffInitialMs. */
  stableAfterMs: number;
  /** On stop, grace between asking the child to exit and killing it. */
  stopTimeoutMs: number;
}

export interface QueueConfig {
  mode: QueueMode;
  /**
   * collect: a turn that starts waiting behind a busy agent starts no sooner than this many ms
   * after its first message, so a burst that ends just as the agent frees up is still one turn.
   */
  collectWindowMs: number;
}

export interface MessagesConfig {
  mentionPatterns?: string[];
  historyLimit?: number;
  responsePrefix?: string;
  /** messages.queue: how messages that wait for a busy agent are handed over (default collect, 300 ms). */
  queue: QueueConfig;
}

/** Routes messages to an agent: the most specific match wins (sender or chat, then account). */
export interface BindingConfig {
  agentId: string;
  match: { accountId?: string; chatId?: number; sender?: string };
}

export interface GatewayConfig {
  /** All accounts, sorted by id; disabled ones are included with enabled: false. */
  accounts: AccountConfig[];
  agents: AgentConfig[];
  defaultAgentId: string | undefined;
  bindings: BindingConfig[];
  messages: MessagesConfig;
  /** session.dmScope: how DMs are split into agent sessions (default `main`). */
  session: { dmScope: DmScope };
  /** logLevel is one of LogLevel (validated); typed as string per the module contract. */
  gateway: {
    logLevel: string;
    supervision: SupervisionConfig;
    /** The control API and live dashboard on 127.0.0.1 (port 0: any free port). */
    http: {
      enabled: boolean;
      port: number;
      /** Open connections at most; beyond it the oldest idle one is closed (docs/dashboard.md). */
      maxConnections: number;
      headersTimeoutMs: number;
      requestTimeoutMs: number;
      keepAliveTimeoutMs: number;
      idleTimeoutMs: number;
    };
    /** Streams the account machines to the Stately inspector through a loopback relay. */
    inspector: { enabled: boolean; port: number };
    /** The live dashboard: showMessageText puts message text into its message flow (default off). */
    dashboard: { showMessageText: boolean };
    /** Dead letters kept this long; a send pending longer is overdue (status not ok). */
    delivery: { deadLetterRetentionMs: number; overdueAfterMs: number };
  };
}
