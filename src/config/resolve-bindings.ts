/**
 * `bindings[]`: route an account, a chat or a sender to an agent. Checked against the agents and
 * accounts that exist (a binding to nothing is a config error, never silently ignored).
 */
import type { ConfigIssue } from './errors.js';
import { isRecordLike } from './raw.js';
import type { RawBinding } from './schema.js';
import type { BindingConfig } from './types.js';

export function checkBindings(raw: unknown, agentIds: string[], accountIds: string[]): ConfigIssue[] {
  const list = isRecordLike(raw) && Array.isArray(raw.bindings) ? (raw.bindings as unknown[]) : [];
  const issues: ConfigIssue[] = [];
  list.forEach((entry, i) => {
    if (!isRecordLike(entry)) return;
    const agentId = typeof entry.agentId === 'string' ? entry.agentId.toLowerCase() : undefined;
    if (agentId !== undefined && !agentIds.includes(agentId)) {
      issues.push({
        path: `bindings[${i}].agentId`,
        message: `no agent "${entry.agentId}" in agents.list${agentIds.length ? ` (agents: ${agentIds.join(', ')})` : ''}`,
      });
    }
    const match = isRecordLike(entry.match) ? entry.match : undefined;
    const accountId = typeof match?.accountId === 'string' ? match.accountId.toLowerCase() : undefined;
    if (accountId !== undefined && !accountIds.includes(accountId)) {
      issues.push({
        path: `bindings[${i}].match.accountId`,
        message: `no account "${match?.accountId}" (accounts: ${accountIds.join(', ') || 'none'})`,
      });
    }
  });
  return issues;
}

export function resolveBindings(raw: RawBinding[] | undefined): BindingConfig[] {
  return (raw ?? []).map((b) => ({
    agentId: b.agentId.toLowerCase(),
    match: {
      ...(b.match.accountId !== undefined ? { accountId: b.match.accountId.toLowerCase() } : {}),
      ...(b.match.chatId !== undefined ? { chatId: b.match.chatId } : {}),
      ...(b.match.sender !== undefined ? { sender: b.match.sender.trim() } : {}),
    },
  }));
}
