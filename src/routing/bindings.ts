/**
 * Which agent handles a message: the first binding that names this sender or chat (and, if it
 * says so, this account), else the first binding for the account as a whole, else the default
 * agent. Senders compare by their normalised handle, so "+1 (555) 123-4567" binds "+15551234567".
 */
import type { BindingConfig } from '../config/index.js';
import { handleKey, normalizeHandleCached } from './handles.js';

export class AgentRouter {
  private readonly specific: Array<{ agentId: string; accountId?: string; chatId?: number; sender?: string; region?: string }>;
  private readonly byAccount = new Map<string, string>();

  constructor(
    bindings: readonly BindingConfig[],
    private readonly defaultAgentId: string,
    private readonly regionOf: (accountId: string) => string = () => 'US',
  ) {
    this.specific = [];
    for (const b of bindings) {
      const { accountId, chatId, sender } = b.match;
      if (chatId === undefined && sender === undefined) {
        if (accountId !== undefined && !this.byAccount.has(accountId)) this.byAccount.set(accountId, b.agentId);
        continue;
      }
      this.specific.push({
        agentId: b.agentId,
        ...(accountId !== undefined ? { accountId } : {}),
        ...(chatId !== undefined ? { chatId } : {}),
        ...(sender !== undefined ? { sender } : {}),
      });
    }
  }

  agentFor(accountId: string, chatId: number, sender: string): string {
    let senderKey: string | undefined;
    for (const b of this.specific) {
      if (b.accountId !== undefined && b.accountId !== accountId) continue;
      if (b.chatId !== undefined && b.chatId !== chatId) continue;
      if (b.sender !== undefined) {
        const region = this.regionOf(accountId);
        senderKey ??= handleKey(normalizeHandleCached(sender, region));
        if (handleKey(normalizeHandleCached(b.sender, region)) !== senderKey) continue;
      }
      return b.agentId;
    }
    return this.byAccount.get(accountId) ?? this.defaultAgentId;
  }

  /** Agents this account's messages may go to. */
  agentsOf(accountId: string): Set<string> {
    const agents = new Set<string>([this.byAccount.get(accountId) ?? this.defaultAgentId]);
    for (const b of this.specific) if (b.accountId === undefined || b.accountId === accountId) agents.add(b.agentId);
    return agents;
  }
}

/** True when messages of more than one of these accounts may reach `agentId` (group keys then carry the account). */
export function agentSharedAcross(router: AgentRouter, accountIds: readonly string[], agentId: string): boolean {
  return accountIds.filter((id) => router.agentsOf(id).has(agentId)).length > 1;
}
