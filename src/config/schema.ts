/**
 * The raw shapes of the config file, as zod schemas. Account-level keys carry NO defaults here:
 * an absent key must stay absent so that an account can inherit it from the top level
 * (resolve-accounts.ts applies defaults after inheritance). Every object is strict.
 */
import { z } from 'zod';
import { COLLECT_WINDOW_RANGE, DM_POLICIES, DM_SCOPES, GROUP_POLICIES, HTTP_MAX_CONNECTIONS_RANGE, LOG_LEVELS, QUEUE_MODES, REACTION_NOTIFICATIONS, SERVICES } from './defaults.js';
import { DURATION_RULE, parseDuration } from './duration.js';
import { mentionPatternReason } from './mention-patterns.js';
import { tildeUserReason } from './paths.js';
import { unsafeExecutableReason } from './safe-executable.js';
import { MIN_CHUNK_LIMIT } from '../workers/chunk-text.js';

/** Account and agent ids: case-insensitive (lowercased on load), usable in session keys and file names. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
export const ID_RULE = 'must start with a letter or digit and contain only letters, digits, "_" and "-" (at most 64 characters)';

/** chat_id digits (as listed by `imsg chats`) or "*" for defaults that apply to every group. */
export const GROUP_KEY_PATTERN = /^(?:\d+|\*)$/;

/** `host` or `user@host` (IPv6 in brackets allowed); never an SSH option. */
const REMOTE_HOST_PATTERN = /^(?:[A-Za-z0-9._%+-]+@)?(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])$/;

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function refined(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const reason = check(value);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
  });
}

export const executableSchema = refined((v) => unsafeExecutableReason(v) ?? tildeUserReason(v));

const pathSchema = refined((v) => (v.trim() === '' ? 'must not be empty' : tildeUserReason(v)));

const absolutePathSchema = refined((v) => {
  if (v.trim() === '') return 'must not be empty';
  const tilde = tildeUserReason(v);
  if (tilde !== undefined) return tilde;
  return v.startsWith('/') || v.startsWith('~') ? undefined : 'must be an absolute path (starting with "/" or "~/")';
});

const remoteHostSchema = refined((v) =>
  REMOTE_HOST_PATTERN.test(v) && !v.startsWith('-')
    ? undefined
    : 'must be "host" or "user@host" (no spaces, no SSH options; put options in ~/.ssh/config)',
);

const nonEmptyTrimmed = refined((v) => (v.trim() === '' ? 'must not be empty' : undefined));

const mentionPatternSchema = refined(mentionPatternReason);
export const mentionPatternsSchema = z.array(mentionPatternSchema);

const handleSchema = z.union([nonEmptyTrimmed, z.number()], {
  error: 'each entry must be a string or a number: a handle ("+15555550123", "user@example.com"), "chat_id:42" or "*"',
});
export const allowListSchema = z.array(handleSchema);

const groupKeySchema = z.string().regex(GROUP_KEY_PATTERN, {
  error: 'a group key must be a chat_id (digits only, as listed by `imsg chats`) or "*" for all groups',
});

export const groupConfigSchema = z.strictObject({
  requireMention: z.boolean().optional(),
  typingIndicator: z.boolean().optional(),
});

const accountIdSchema = z.string().regex(ID_PATTERN, { error: `an account id ${ID_RULE}` });

/** A duration, or one of the given words ("none", "off"). */
function durationOr(...words: string[]) {
  return z.union([z.string(), z.number()]).superRefine((value, ctx) => {
    if (typeof value === 'string' && words.includes(value.trim().toLowerCase())) return;
    if (parseDuration(value) === undefined) {
      const alt = words.map((w) => JSON.stringify(w)).join(' or ');
      ctx.addIssue({ code: 'custom', message: `must be ${DURATION_RULE}${alt ? `, or ${alt}` : ''}` });
    }
  });
}

const int = () => z.number().int();
const positiveInt = () => z.number().int().positive();

/** Keys valid both at the top of `imessage` and inside `imessage.accounts.<id>`. */
export const accountShape = {
  enabled: z.boolean().optional(),
  name: z.string().optional(),
  cliPath: executableSchema.optional(),
  dbPath: pathSchema.optional(),
  remoteHost: remoteHostSchema.optional(),
  service: z.enum(SERVICES).optional(),
  region: nonEmptyTrimmed.optional(),
  dmPolicy: z.enum(DM_POLICIES).optional(),
  allowFrom: allowListSchema.optional(),
  groupPolicy: z.enum(GROUP_POLICIES).optional(),
  groupAllowFrom: allowListSchema.optional(),
  historyLimit: int().min(0).optional(),
  groups: z.record(groupKeySchema, groupConfigSchema).optional(),
  includeAttachments: z.boolean().optional(),
  mediaMaxMb: z.number().positive().optional(),
  textChunkLimit: int().min(MIN_CHUNK_LIMIT).optional(),
  attachmentRoots: z.array(absolutePathSchema).optional(),
  outboundStagingDir: absolutePathSchema.optional(),
  catchUp: durationOr('none').optional(),
  backlogMaxAge: durationOr('off').optional(),
  maxSendsWithoutInbound: positiveInt().optional(),
  maxReplyChars: positiveInt().optional(),
  maxRowidJump: positiveInt().optional(),
  typingIndicator: z.boolean().optional(),
  sendReadReceipts: z.boolean().optional(),
  reactionNotifications: z.enum(REACTION_NOTIFICATIONS).optional(),
};

export const ACCOUNT_KEYS = Object.keys(accountShape) as (keyof typeof accountShape)[];

export const accountSchema = z.strictObject(accountShape);

export const imessageSchema = z.strictObject({
  ...accountShape,
  accounts: z.record(accountIdSchema, accountSchema).optional(),
});

const timeoutMs = positiveInt().optional();

const httpUrlSchema = refined((v) => {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return `must be an absolute http: or https: URL, got ${JSON.stringify(v)}`;
  }
  return url.protocol === 'http:' || url.protocol === 'https:'
    ? undefined
    : `must be an http: or https: URL, got the protocol ${JSON.stringify(url.protocol)}`;
});

const envNameSchema = z.string().regex(ENV_NAME_PATTERN, {
  error: 'an environment variable name must match [A-Za-z_][A-Za-z0-9_]*',
});
/** Headers the http agent's client (undici) sets itself and refuses in a request. */
const CLIENT_SET_HEADERS = new Set(['content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect']);
const headerNameSchema = z
  .string()
  .regex(HEADER_NAME_PATTERN, { error: 'not a valid HTTP header name' })
  .refine((k) => k !== '__proto__', { error: 'not a valid HTTP header name' })
  .refine((k) => !CLIENT_SET_HEADERS.has(k.toLowerCase()), {
    error: (issue) => `"${String(issue.input)}" is set by the gateway's HTTP client, not by configuration: remove it from headers`,
  });
const headerValueSchema = refined((v) => (/[\r\n\0]/.test(v) ? 'a header value must not contain CR, LF or NUL' : undefined));

export const echoHandlerSchema = z.strictObject({ type: z.literal('echo') });
export const silentHandlerSchema = z.strictObject({ type: z.literal('none') });

export const commandHandlerSchema = z.strictObject({
  type: z.literal('command'),
  argv: z.array(z.string()).min(1).superRefine((argv, ctx) => {
    const first = argv[0];
    if (first === undefined) return;
    const reason = unsafeExecutableReason(first) ?? tildeUserReason(first);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason, path: [0] });
  }),
  timeoutMs,
  cwd: pathSchema.optional(),
  env: z.record(envNameSchema, z.string()).optional(),
});

export const httpHandlerSchema = z.strictObject({
  type: z.literal('http'),
  url: httpUrlSchema,
  timeoutMs,
  headers: z.record(headerNameSchema, headerValueSchema).optional(),
});

export const handlerSchema = z.discriminatedUnion('type', [echoHandlerSchema, silentHandlerSchema, commandHandlerSchema, httpHandlerSchema]);

export const agentSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, { error: `an agent id ${ID_RULE}` }),
  default: z.boolean().optional(),
  name: z.string().optional(),
  groupChat: z.strictObject({ mentionPatterns: mentionPatternsSchema.optional() }).optional(),
  handler: handlerSchema,
});

export const agentsSchema = z.strictObject({
  list: z.array(agentSchema).optional(),
});

export const messagesSchema = z.strictObject({
  groupChat: z
    .strictObject({
      mentionPatterns: mentionPatternsSchema.optional(),
      historyLimit: int().min(0).optional(),
    })
    .optional(),
  responsePrefix: z.string().optional(),
  queue: z
    .strictObject({
      mode: z.enum(QUEUE_MODES).optional(),
      collectWindowMs: int().min(COLLECT_WINDOW_RANGE.min).max(COLLECT_WINDOW_RANGE.max).optional(),
    })
    .optional(),
});

export const sessionSchema = z.strictObject({
  dmScope: z.enum(DM_SCOPES).optional(),
});

export const supervisionSchema = z.strictObject({
  backoffInitialMs: positiveInt().optional(),
  backoffMaxMs: positiveInt().optional(),
  restartIntensity: z
    .strictObject({
      maxRestarts: positiveInt().optional(),
      windowMs: positiveInt().optional(),
    })
    .optional(),
  coolDownMs: positiveInt().optional(),
  permissionReprobeMs: positiveInt().optional(),
  livenessIntervalMs: positiveInt().optional(),
  probeTimeoutMs: positiveInt().optional(),
  readTimeoutMs: positiveInt().optional(),
  mutationTimeoutMs: positiveInt().optional(),
  trackedSendWaitMs: positiveInt().optional(),
  /** Older name of readTimeoutMs. */
  requestTimeoutMs: positiveInt().optional(),
  /** Older name of mutationTimeoutMs. */
  sendTimeoutMs: positiveInt().optional(),
  stableAfterMs: positiveInt().optional(),
  stopTimeoutMs: positiveInt().optional(),
});

const portSchema = z.number().int().min(0).max(65535);

/** A duration above zero ("30d", "10m", or milliseconds). */
function positiveDuration() {
  return z.union([z.string(), z.number()]).superRefine((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0) ctx.addIssue({ code: 'custom', message: `must be ${DURATION_RULE}, above zero` });
  });
}

export const deliverySchema = z.strictObject({
  deadLetterRetention: positiveDuration().optional(),
  overdueAfter: positiveDuration().optional(),
});

export const gatewaySchema = z.strictObject({
  logLevel: z.enum(LOG_LEVELS).optional(),
  supervision: supervisionSchema.optional(),
  http: z
    .strictObject({
      enabled: z.boolean().optional(),
      port: portSchema.optional(),
      maxConnections: z
        .number()
        .int()
        .min(HTTP_MAX_CONNECTIONS_RANGE.min)
        .max(HTTP_MAX_CONNECTIONS_RANGE.max)
        .optional(),
      headersTimeoutMs: positiveInt().optional(),
      requestTimeoutMs: positiveInt().optional(),
      keepAliveTimeoutMs: positiveInt().optional(),
      idleTimeoutMs: positiveInt().optional(),
    })
    .optional(),
  inspector: z.strictObject({ enabled: z.boolean().optional(), port: portSchema.optional() }).optional(),
  dashboard: z.strictObject({ showMessageText: z.boolean().optional() }).optional(),
  delivery: deliverySchema.optional(),
});

export const bindingSchema = z.strictObject({
  agentId: z.string().regex(ID_PATTERN, { error: `an agent id ${ID_RULE}` }),
  match: z
    .strictObject({
      accountId: z.string().regex(ID_PATTERN, { error: `an account id ${ID_RULE}` }).optional(),
      chatId: z.number().int().positive().optional(),
      sender: nonEmptyTrimmed.optional(),
    })
    .refine((m) => m.accountId !== undefined || m.chatId !== undefined || m.sender !== undefined, {
      error: 'a binding must match on at least one of accountId, chatId, sender',
    }),
});

export const rootSchema = z.strictObject({
  imessage: imessageSchema.optional(),
  bindings: z.array(bindingSchema).optional(),
  channels: z.strictObject({ imessage: imessageSchema.optional() }).optional(),
  agents: agentsSchema.optional(),
  messages: messagesSchema.optional(),
  session: sessionSchema.optional(),
  gateway: gatewaySchema.optional(),
});

export type RawAccount = z.infer<typeof accountSchema>;
export type RawIMessage = z.infer<typeof imessageSchema>;
export type RawAgent = z.infer<typeof agentSchema>;
export type RawHandler = z.infer<typeof handlerSchema>;
export type RawMessages = z.infer<typeof messagesSchema>;
export type RawSupervision = z.infer<typeof supervisionSchema>;
export type RawGateway = z.infer<typeof gatewaySchema>;
export type RawConfig = z.infer<typeof rootSchema>;
export type RawBinding = z.infer<typeof bindingSchema>;
