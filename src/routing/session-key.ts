/**
 * Session keys (the shapes of OpenClaw's session.dmScope; docs/configuration.md lists examples).
 *
 * DMs follow `session.dmScope`:
 * - `main` (default): every DM of the agent shares `agent:<agent>:main`;
 * - `per-peer`: `agent:<agent>:dm:<peer>`, one session per sender, whatever the account;
 * - `per-channel-peer`: `agent:<agent>:imessage:dm:<peer>`;
 * - `per-account-channel-peer`: `agent:<agent>:imessage:<account>:dm:<peer>`, so the same sender
 *   writing to two accounts bound to one agent (a bot and a personal identity) has two sessions.
 *
 * `<peer>` is the sender's normalised handle (E.164 phone number, lowercased email). Groups keep
 * their own key whatever the scope. chat_id is a ROWID of one account's database, so when several
 * accounts route to the same agent the group key also carries the account id: two databases'
 * chat 42 never merge into one session. Keys are lowercase.
 */
import type { DmScope } from '../config/types.js';

export interface SessionKeyInput {
  agentId: string;
  accountId: string;
  kind: 'dm' | 'group';
  chatId: number;
  /** True when more than one account routes to this agent. */
  agentShared: boolean;
  /** How DMs are split into sessions; groups ignore it. */
  dmScope: DmScope;
  /** The DM sender's normalised handle; only read for a DM under a scope other than `main`. */
  peer: string;
}

/** The stand-in peer of a DM whose sender handle is empty (never seen from imsg, but never a shared key by accident). */
export const UNKNOWN_PEER = 'unknown';

export function sessionKeyFor(input: SessionKeyInput): string {
  const agent = input.agentId.toLowerCase();
  if (input.kind === 'group') {
    return input.agentShared
      ? `agent:${agent}:imessage:${input.accountId.toLowerCase()}:group:${input.chatId}`
      : `agent:${agent}:imessage:group:${input.chatId}`;
  }
  const peer = input.peer.trim().toLowerCase() || UNKNOWN_PEER;
  switch (input.dmScope) {
    case 'main':
      return `agent:${agent}:main`;
    case 'per-peer':
      return `agent:${agent}:dm:${peer}`;
    case 'per-channel-peer':
      return `agent:${agent}:imessage:dm:${peer}`;
    case 'per-account-channel-peer':
      return `agent:${agent}:imessage:${input.accountId.toLowerCase()}:dm:${peer}`;
  }
}
