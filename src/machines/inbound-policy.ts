/**
 * Decides, for one inbound message, whether it reaches the agent, and if not, why.
 *
 * This is the place of the policy statechart (access-policy issue): pairing and allowlists are not
 * enforced by this build yet, so `unenforcedPolicy` makes an account that asks for them refuse to
 * start (fail closed) instead of letting everyone through. What is enforced here: the gateway's own
 * messages, tapbacks, malformed rows, dmPolicy open|disabled, groupPolicy open|disabled, the groups
 * map as an allowlist of chats, group-ish threads promoted by config, and mention gating.
 */
import type { ImsgMessage } from '../imsg/types.js';

export type DropReason =
  | 'from-me'
  | 'reaction'
  | 'empty-sender'
  | 'empty-message'
  | 'group-without-chat'
  | 'dm-disabled'
  | 'group-disabled'
  | 'group-not-allowed'
  | 'no-mention'
  | 'backlog'
  | 'duplicate';

export type InboundDecision =
  | { action: 'dispatch'; kind: 'dm' | 'group'; wasMentioned: boolean }
  | { action: 'drop'; reason: DropReason; kind: 'dm' | 'group' };

export interface InboundPolicy {
  dmPolicy: 'pairing' | 'allowlist' | 'open' | 'disabled';
  groupPolicy: 'open' | 'allowlist' | 'disabled';
  allowFrom: readonly string[];
  groups: Readonly<Record<string, { requireMention?: boolean }>>;
  /** Compiled case-insensitive mention patterns of the account's agent. */
  mentionPatterns: readonly RegExp[];
  /** Backlog fence: a message older than this when it arrives is recorded, not acted on. null = off. */
  backlogMaxAgeMs?: number | null;
}

/** Why an account with this policy must not start yet, or undefined when everything is enforced. */
export function unenforcedPolicy(policy: Pick<InboundPolicy, 'dmPolicy' | 'groupPolicy' | 'allowFrom'>): string | undefined {
  const problems: string[] = [];
  if (policy.dmPolicy === 'pairing' || policy.dmPolicy === 'allowlist') {
    problems.push(
      `dmPolicy "${policy.dmPolicy}" is not enforced by this version yet; set dmPolicy "open" (with allowFrom ["*"]) or "disabled"`,
    );
  } else if (policy.dmPolicy === 'open' && !policy.allowFrom.includes('*')) {
    problems.push('dmPolicy "open" requires allowFrom to include "*"');
  }
  if (policy.groupPolicy === 'allowlist') {
    problems.push(
      'groupPolicy "allowlist" (the default) is not enforced by this version yet; set groupPolicy "open" or "disabled"',
    );
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Zero-width, bidi-control, word-joiner, BOM and soft-hyphen characters cannot hide a mention. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

export function isMentioned(text: string, patterns: readonly RegExp[]): boolean {
  const clean = text.replace(INVISIBLE, '');
  return patterns.some((re) => {
    re.lastIndex = 0;
    return re.test(clean);
  });
}

/** True when the message's own date is older than the fence allows at `now`. */
export function isBacklog(createdAt: string, now: number, maxAgeMs: number | null | undefined): boolean {
  if (maxAgeMs === null || maxAgeMs === undefined) return false;
  const at = Date.parse(createdAt);
  return Number.isFinite(at) && now - at > maxAgeMs;
}

export function decideInbound(message: ImsgMessage, policy: InboundPolicy, now = Date.now()): InboundDecision {
  const chatKey = String(message.chat_id);
  const promoted = !message.is_group && message.chat_id > 0 && Object.hasOwn(policy.groups, chatKey);
  const kind = message.is_group || promoted ? 'group' : 'dm';
  const drop = (reason: DropReason): InboundDecision => ({ action: 'drop', reason, kind });

  if (message.is_from_me) return drop('from-me');
  if (message.is_reaction) return drop('reaction');
  if (message.sender.trim() === '') return drop('empty-sender');
  const hasText = message.text.replace(/\uFFFC/g, '').trim().length > 0;
  if (!hasText && message.attachments.length === 0) return drop('empty-message');
  if (isBacklog(message.created_at, now, policy.backlogMaxAgeMs)) return drop('backlog');

  if (kind === 'dm') {
    if (policy.dmPolicy !== 'open') return drop('dm-disabled');
    return { action: 'dispatch', kind, wasMentioned: false };
  }

  if (message.chat_id <= 0) return drop('group-without-chat');
  if (policy.groupPolicy !== 'open') return drop('group-disabled');
  const hasGroups = Object.keys(policy.groups).length > 0;
  if (hasGroups && !Object.hasOwn(policy.groups, chatKey) && !Object.hasOwn(policy.groups, '*')) {
    return drop('group-not-allowed');
  }
  const requireMention = policy.groups[chatKey]?.requireMention ?? policy.groups['*']?.requireMention ?? true;
  const wasMentioned = isMentioned(message.text, policy.mentionPatterns);
  if (requireMention && !wasMentioned) return drop('no-mention');
  return { action: 'dispatch', kind, wasMentioned };
}
