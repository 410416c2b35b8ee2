/**
 * Session keys: DMs share the agent's main session; each group chat has its own. chat_id is a
 * ROWID of one account's database, so when several accounts route to the same agent the group key
 * also carries the account id: two databases' chat 42 never merge into one session.
 */
export interface SessionKeyInput {
  agentId: string;
  accountId: string;
  kind: 'dm' | 'group';
  chatId: number;
  /** True when more than one account routes to this agent. */
  agentShared: boolean;
}

export function sessionKeyFor(input: SessionKeyInput): string {
  if (input.kind === 'dm') return `agent:${input.agentId}:main`;
  return input.agentShared
    ? `agent:${input.agentId}:imessage:${input.accountId}:group:${input.chatId}`
    : `agent:${input.agentId}:imessage:group:${input.chatId}`;
}
