/**
 * Accounts: the flat `imessage` section is one account ("default"); with a non-empty
 * `imessage.accounts` map, each entry is an account and the top level only supplies values the
 * account does not set itself (key by key; objects such as `groups` are replaced whole). Defaults
 * are applied after inheritance, so a top-level `dmPolicy` always reaches every account.
 */
import { parseDuration } from './duration.js';
import { ACCOUNT_DEFAULTS, DEFAULT_ACCOUNT_ID } from './defaults.js';
import { formatPath, type ConfigIssue, type PathSegment } from './errors.js';
import { expandHome } from './paths.js';
import { hasOwn, isRecordLike } from './raw.js';
import { ACCOUNT_KEYS, type RawAccount, type RawIMessage } from './schema.js';
import type { AccountConfig, GroupConfig } from './types.js';

export interface AccountResolveOptions {
  homeDir: string;
  /** messages.groupChat.historyLimit, used when no imessage-level historyLimit applies. */
  messagesHistoryLimit?: number;
}

/** One account entry as written: its normalised id, key as written, and raw value. */
interface RawEntry {
  id: string;
  key: string | undefined;
  value: Record<string, unknown>;
}

function accountEntries(section: Record<string, unknown>): RawEntry[] {
  const accounts = section.accounts;
  if (isRecordLike(accounts) && Object.keys(accounts).length > 0) {
    return Object.entries(accounts).map(([key, value]) => ({
      id: key.toLowerCase(),
      key,
      value: isRecordLike(value) ? value : {},
    }));
  }
  return [{ id: DEFAULT_ACCOUNT_ID, key: undefined, value: {} }];
}

function isAllowList(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string' || typeof entry === 'number');
}

function isAllowListWithStar(value: unknown): boolean {
  return Array.isArray(value) && value.some((entry) => typeof entry === 'string' && entry.trim() === '*');
}

/**
 * Cross-key checks on the raw section (run even when the shape has errors, so that every problem
 * is reported at once): account ids that collide case-insensitively, and dmPolicy "open" without
 * "*" in the effective allowFrom.
 */
export function checkAccounts(section: unknown, prefix: readonly PathSegment[]): ConfigIssue[] {
  if (!isRecordLike(section)) return [];
  const issues: ConfigIssue[] = [];
  const accounts = section.accounts;
  const flat = !(isRecordLike(accounts) && Object.keys(accounts).length > 0);

  if (!flat) {
    const seen = new Map<string, string>();
    for (const key of Object.keys(accounts as Record<string, unknown>)) {
      const id = key.toLowerCase();
      const previous = seen.get(id);
      if (previous !== undefined) {
        issues.push({
          path: formatPath([...prefix, 'accounts', key]),
          message: `account ids are case-insensitive: ${JSON.stringify(previous)} and ${JSON.stringify(key)} are both the account ${JSON.stringify(id)}; merge them into one entry or rename one`,
        });
      } else {
        seen.set(id, key);
      }
    }
  }

  const topPath = (key: string) => formatPath([...prefix, key]);
  for (const entry of accountEntries(section)) {
    const own = entry.value;
    const accountPath = (key: string) =>
      entry.key === undefined ? topPath(key) : formatPath([...prefix, 'accounts', entry.key, key]);
    const dmPolicy = hasOwn(own, 'dmPolicy') ? own.dmPolicy : section.dmPolicy;
    if (dmPolicy !== 'open') continue;
    const ownAllow = hasOwn(own, 'allowFrom');
    const allowFrom = ownAllow ? own.allowFrom : section.allowFrom;
    if (allowFrom !== undefined && !isAllowList(allowFrom)) continue; // shape error reported by zod
    if (isAllowListWithStar(allowFrom)) continue;
    const dmInherited = entry.key !== undefined && !hasOwn(own, 'dmPolicy');
    const allowPath = ownAllow ? accountPath('allowFrom') : topPath('allowFrom');
    const shown = allowFrom === undefined ? 'unset' : JSON.stringify(allowFrom);
    const where = entry.key === undefined ? '' : ` for account ${JSON.stringify(entry.id)}`;
    const inheritedNote = dmInherited ? ` (inherited from ${topPath('dmPolicy')})` : '';
    issues.push({
      path: accountPath('dmPolicy'),
      message:
        `dmPolicy "open"${inheritedNote} accepts direct messages from anyone, so allowFrom must include "*"${where}; ` +
        `the effective allowFrom (${allowPath}) is ${shown}. Add "*" to ${allowPath}, ` +
        `or use dmPolicy "pairing" (unknown senders get a pairing code) or "allowlist"`,
    });
  }
  return issues;
}

/** Ids of every account the section defines (raw, defensive; used to check bindings). */
export function allAccountIds(section: unknown): string[] {
  return accountEntries(isRecordLike(section) ? section : {}).map((entry) => entry.id);
}

/** Ids of the accounts that would be enabled (raw, defensive; used for the "no agents" check). */
export function enabledAccountIds(section: unknown): string[] {
  const value = isRecordLike(section) ? section : {};
  if (value.enabled === false) return [];
  return accountEntries(value)
    .filter((entry) => entry.value.enabled !== false)
    .map((entry) => entry.id);
}

function normaliseAllowList(list: readonly (string | number)[]): string[] {
  const out: string[] = [];
  for (const entry of list) {
    const value = typeof entry === 'number' ? String(entry) : entry.trim();
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

function copyGroups(
  groups: Record<string, { requireMention?: boolean | undefined; typingIndicator?: boolean | undefined }>,
): Record<string, GroupConfig> {
  return Object.fromEntries(
    Object.entries(groups).map(([key, group]) => [
      key,
      {
        ...(group.requireMention === undefined ? {} : { requireMention: group.requireMention }),
        ...(group.typingIndicator === undefined ? {} : { typingIndicator: group.typingIndicator }),
      },
    ]),
  );
}

/** A validated duration setting: the word that turns it off gives null. */
function durationSetting(value: string | number, off: string): number | null {
  if (typeof value === 'string' && value.trim().toLowerCase() === off) return null;
  return parseDuration(value) ?? null;
}

/** Key-by-key inheritance: the account's own value, else the top-level one. */
function inherit(top: RawIMessage, own: RawAccount): RawAccount {
  const merged: Record<string, unknown> = {};
  for (const key of ACCOUNT_KEYS) {
    const value = own[key] !== undefined ? own[key] : top[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged as RawAccount;
}

function resolveOne(id: string, top: RawIMessage, own: RawAccount, opts: AccountResolveOptions): AccountConfig {
  const m = inherit(top, own);
  const name = m.name?.trim();
  const account: AccountConfig = {
    id,
    enabled: top.enabled !== false && (own.enabled ?? ACCOUNT_DEFAULTS.enabled),
    cliPath: expandHome(m.cliPath ?? ACCOUNT_DEFAULTS.cliPath, opts.homeDir),
    service: m.service ?? ACCOUNT_DEFAULTS.service,
    region: m.region?.trim() ?? ACCOUNT_DEFAULTS.region,
    dmPolicy: m.dmPolicy ?? ACCOUNT_DEFAULTS.dmPolicy,
    allowFrom: normaliseAllowList(m.allowFrom ?? []),
    groupPolicy: m.groupPolicy ?? ACCOUNT_DEFAULTS.groupPolicy,
    historyLimit: m.historyLimit ?? opts.messagesHistoryLimit ?? ACCOUNT_DEFAULTS.historyLimit,
    groups: copyGroups(m.groups ?? {}),
    includeAttachments: m.includeAttachments ?? ACCOUNT_DEFAULTS.includeAttachments,
    mediaMaxMb: m.mediaMaxMb ?? ACCOUNT_DEFAULTS.mediaMaxMb,
    textChunkLimit: m.textChunkLimit ?? ACCOUNT_DEFAULTS.textChunkLimit,
    catchUpMs: durationSetting(m.catchUp ?? ACCOUNT_DEFAULTS.catchUp, 'none'),
    backlogMaxAgeMs: durationSetting(m.backlogMaxAge ?? ACCOUNT_DEFAULTS.backlogMaxAge, 'off'),
    maxSendsWithoutInbound: m.maxSendsWithoutInbound ?? ACCOUNT_DEFAULTS.maxSendsWithoutInbound,
    maxReplyChars: m.maxReplyChars ?? ACCOUNT_DEFAULTS.maxReplyChars,
    maxRowidJump: m.maxRowidJump ?? ACCOUNT_DEFAULTS.maxRowidJump,
    typingIndicator: m.typingIndicator ?? ACCOUNT_DEFAULTS.typingIndicator,
    sendReadReceipts: m.sendReadReceipts ?? ACCOUNT_DEFAULTS.sendReadReceipts,
    reactionNotifications: m.reactionNotifications ?? ACCOUNT_DEFAULTS.reactionNotifications,
  };
  if (name !== undefined && name !== '') account.name = name;
  if (m.dbPath !== undefined) account.dbPath = expandHome(m.dbPath, opts.homeDir);
  if (m.remoteHost !== undefined) account.remoteHost = m.remoteHost;
  if (m.groupAllowFrom !== undefined) account.groupAllowFrom = normaliseAllowList(m.groupAllowFrom);
  if (m.outboundStagingDir !== undefined) account.outboundStagingDir = expandHome(m.outboundStagingDir, opts.homeDir);
  if (m.attachmentRoots !== undefined) {
    account.attachmentRoots = m.attachmentRoots.map((root) => expandHome(root, opts.homeDir));
  }
  return account;
}

/** Resolve a validated section (checkAccounts found nothing) into accounts sorted by id. */
export function resolveAccounts(section: RawIMessage | undefined, opts: AccountResolveOptions): AccountConfig[] {
  const top: RawIMessage = section ?? {};
  const accounts = top.accounts ?? {};
  const entries = Object.entries(accounts);
  const resolved =
    entries.length === 0
      ? [resolveOne(DEFAULT_ACCOUNT_ID, top, {}, opts)]
      : entries.map(([key, own]) => resolveOne(key.toLowerCase(), top, own, opts));
  return resolved.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
