/**
 * validateConfigObject: raw value → GatewayConfig, all or nothing. The shape is checked by zod,
 * the cross-key rules on the raw value (so they are reported even when the shape has errors), and
 * only a config without a single issue is resolved.
 */
import os from 'node:os';
import { ConfigError, type ConfigIssue } from './errors.js';
import { isRecordLike, recordAt } from './raw.js';
import { allAccountIds, checkAccounts, enabledAccountIds, resolveAccounts } from './resolve-accounts.js';
import { checkAgents, resolveAgents } from './resolve-agents.js';
import { checkBindings, resolveBindings } from './resolve-bindings.js';
import { checkGateway, resolveGateway } from './resolve-gateway.js';
import { DEFAULT_DM_SCOPE, DEFAULT_QUEUE } from './defaults.js';
import { rootSchema } from './schema.js';
import type { GatewayConfig, MessagesConfig } from './types.js';
import { convertZodError } from './zod-issues.js';

export interface ConfigOptions {
  /** The user's home, for `~` expansion; default os.homedir(). */
  homeDir?: string;
}

/** Which of the aliases holds the iMessage section: `imessage` or `channels.imessage`. */
function imessageSection(raw: unknown): { value: unknown; path: string[] } {
  const channels = recordAt(raw, 'channels');
  if (isRecordLike(raw) && raw.imessage !== undefined) return { value: raw.imessage, path: ['imessage'] };
  if (channels && channels.imessage !== undefined) return { value: channels.imessage, path: ['channels', 'imessage'] };
  return { value: undefined, path: ['imessage'] };
}

function crossKeyIssues(raw: unknown): ConfigIssue[] {
  if (!isRecordLike(raw)) return [];
  const issues: ConfigIssue[] = [];
  const channels = recordAt(raw, 'channels');
  if (raw.imessage !== undefined && channels?.imessage !== undefined) {
    issues.push({
      path: 'channels.imessage',
      message: '"imessage" and "channels.imessage" are the same section under two names and both are set; keep only one',
    });
  }
  const section = imessageSection(raw);
  const sectionPath = section.path.join('.');
  const sectionValid = section.value === undefined || isRecordLike(section.value);
  issues.push(...checkAccounts(section.value, section.path));
  issues.push(...checkAgents(raw, sectionValid ? enabledAccountIds(section.value) : [], sectionPath));
  issues.push(...checkGateway(raw));
  const list = recordAt(raw, 'agents')?.list;
  const agentIds = Array.isArray(list)
    ? list.flatMap((a: unknown) => (isRecordLike(a) && typeof a.id === 'string' ? [a.id.toLowerCase()] : []))
    : [];
  const accountIds = sectionValid ? allAccountIds(section.value) : [];
  issues.push(...checkBindings(raw, agentIds, accountIds));
  return issues;
}

export function validateConfigObject(raw: unknown, source: string, opts: ConfigOptions = {}): GatewayConfig {
  const parsed = rootSchema.safeParse(raw);
  const issues: ConfigIssue[] = [];
  if (!parsed.success) issues.push(...convertZodError(parsed.error, raw));
  issues.push(...crossKeyIssues(raw));
  if (!parsed.success || issues.length > 0) throw new ConfigError(source, issues);

  const config = parsed.data;
  const homeDir = opts.homeDir ?? os.homedir();
  const groupChat = config.messages?.groupChat;
  const messages: MessagesConfig = {
    queue: {
      mode: config.messages?.queue?.mode ?? DEFAULT_QUEUE.mode,
      collectWindowMs: config.messages?.queue?.collectWindowMs ?? DEFAULT_QUEUE.collectWindowMs,
    },
  };
  if (groupChat?.mentionPatterns !== undefined) messages.mentionPatterns = [...groupChat.mentionPatterns];
  if (groupChat?.historyLimit !== undefined) messages.historyLimit = groupChat.historyLimit;
  if (config.messages?.responsePrefix !== undefined) messages.responsePrefix = config.messages.responsePrefix;

  const accounts = resolveAccounts(config.imessage ?? config.channels?.imessage, {
    homeDir,
    ...(messages.historyLimit !== undefined ? { messagesHistoryLimit: messages.historyLimit } : {}),
  });
  const { agents, defaultAgentId } = resolveAgents(config.agents?.list, homeDir);
  return {
    accounts,
    agents,
    defaultAgentId,
    bindings: resolveBindings(config.bindings),
    messages,
    session: { dmScope: config.session?.dmScope ?? DEFAULT_DM_SCOPE },
    gateway: resolveGateway(config.gateway),
  };
}
