/**
 * The access decision for one inbound message: a pure function of the message, the account's
 * compiled policy, the sender's standing (read by the caller) and the time (from the caller's
 * clock). It returns dispatch | drop(reason) | pair, and the trace: the rules that fired, in order.
 *
 *   from-me | reaction | empty-sender | empty-message | backlog ─────────────────────────▶ drop
 *   dm ─ policy:disabled ──────────────────────────────────────────────────────────────▶ drop (dm-disabled)
 *      ─ policy:open ──────────────────────────────────────────────────────────────────▶ dispatch
 *      ─ policy:allowlist | policy:pairing ─ sender:listed (allowFrom) ──────────────────▶ dispatch
 *                                          ─ sender:approved ─────────────────────────────▶ dispatch
 *      ─ policy:allowlist ─ sender-not-listed ──────────────────────────────────────────▶ drop (not-allowlisted)
 *      ─ policy:pairing ─ sender:pending ───────────────────────────────────────────────▶ drop (pairing-pending)
 *                       ─ sender:denied | sender:revoked (until the denial ends) ───────▶ drop (pairing-denied)
 *                       ─ sender:stranger | expired | turned-away ─ cap-reached ────────▶ drop (pairing-cap)
 *                                                                 ─ otherwise ───────────▶ pair
 *   group [groupish] ─ no-chat ──────────────────────────────────────────────────────────▶ drop (group-without-chat)
 *      ─ groupPolicy:disabled ──────────────────────────────────────────────────────────▶ drop (group-disabled)
 *      ─ chat-not-listed (the groups map is an allowlist of chats) ─────────────────────▶ drop (group-not-allowed)
 *      ─ groupPolicy:allowlist ─ sender-not-listed ─────────────────────────────────────▶ drop (not-allowlisted)
 *      ─ mention:required ─ not-mentioned ──────────────────────────────────────────────▶ drop (no-mention)
 *      ─ otherwise ─────────────────────────────────────────────────────────────────────▶ dispatch
 *
 * Every trace ends with its outcome (dispatch, drop, pair).
 */
import type { ImsgMessage } from '../imsg/types.js';
import { chatRefOf } from '../routing/allowlist.js';
import { isBacklog, isEmptyMessage, isGroupish, isMentioned } from './message-rules.js';
import type { CompiledPolicy } from './policy-config.js';
import { statusAt, type SenderStanding } from './sender-standing.js';

export type DropReason =
  | 'own-message'
  | 'reaction'
  | 'empty-sender'
  | 'empty-message'
  | 'backlog'
  | 'dm-disabled'
  | 'not-allowlisted'
  | 'pairing-pending'
  | 'pairing-cap'
  /** A sender denied (`pairing deny`) or revoked (`pairing revoke`): no reply, no new code. */
  | 'pairing-denied'
  | 'group-without-chat'
  | 'group-disabled'
  | 'group-not-allowed'
  | 'no-mention'
  /** Set by the pipeline: the guid is already in the journal. */
  | 'duplicate'
  /** Journal reason of a message answered with a pairing code (action "pair"): not processed. */
  | 'pairing-requested';

export const DROP_REASONS: readonly DropReason[] = [
  'own-message',
  'reaction',
  'empty-sender',
  'empty-message',
  'backlog',
  'dm-disabled',
  'not-allowlisted',
  'pairing-pending',
  'pairing-cap',
  'pairing-denied',
  'group-without-chat',
  'group-disabled',
  'group-not-allowed',
  'no-mention',
  'duplicate',
  'pairing-requested',
];

export type ChatKind = 'dm' | 'group';

export type PolicyDecision =
  | { action: 'dispatch'; kind: ChatKind; wasMentioned: boolean; trace: readonly string[] }
  | { action: 'drop'; reason: DropReason; kind: ChatKind; wasMentioned: boolean; trace: readonly string[] }
  | { action: 'pair'; reason: 'pairing-requested'; kind: 'dm'; wasMentioned: false; trace: readonly string[] };

export interface DecideInput {
  message: ImsgMessage;
  policy: CompiledPolicy;
  /** The sender's standing on this account; read only for DMs under allowlist or pairing (see readsSender). */
  sender: SenderStanding;
  /** The caller's clock (backlog fence, code and denial expiry). */
  now: number;
}

export function kindOf(message: ImsgMessage, policy: CompiledPolicy): ChatKind {
  return message.is_group || isGroupish(message, policy.config.groups) ? 'group' : 'dm';
}

/** The screening rule a message fails before any policy applies, or undefined. */
function screen(message: ImsgMessage, policy: CompiledPolicy, now: number): { rule: string; reason: DropReason } | undefined {
  if (message.is_from_me === true) return { rule: 'from-me', reason: 'own-message' };
  if (message.is_reaction === true) return { rule: 'reaction', reason: 'reaction' };
  if (message.sender.trim() === '') return { rule: 'empty-sender', reason: 'empty-sender' };
  if (isEmptyMessage(message)) return { rule: 'empty-message', reason: 'empty-message' };
  if (isBacklog(message.created_at, now, policy.config.backlogMaxAgeMs)) return { rule: 'backlog', reason: 'backlog' };
  return undefined;
}

/** True when deciding on this message reads the sender's standing (a DM under allowlist or pairing). */
export function readsSender(message: ImsgMessage, policy: CompiledPolicy, now: number): boolean {
  if (screen(message, policy, now) !== undefined || kindOf(message, policy) !== 'dm') return false;
  if (policy.dmPolicy !== 'allowlist' && policy.dmPolicy !== 'pairing') return false;
  // A sender listed in allowFrom is let through on the list alone (decideDm): nothing to read.
  return !policy.allow.admits(message.sender, chatRefOf(message));
}

export function decide(input: DecideInput): PolicyDecision {
  const { message, policy, now } = input;
  const kind = kindOf(message, policy);
  const screened = screen(message, policy, now);
  if (screened) return { action: 'drop', reason: screened.reason, kind, wasMentioned: false, trace: [screened.rule, 'drop'] };
  return kind === 'dm' ? decideDm(input) : decideGroup(input);
}

function decideDm({ message, policy, sender, now }: DecideInput): PolicyDecision {
  const trace: string[] = ['dm'];
  const drop = (reason: DropReason, ...rules: string[]): PolicyDecision => ({
    action: 'drop',
    reason,
    kind: 'dm',
    wasMentioned: false,
    trace: [...trace, ...rules, 'drop'],
  });
  const dispatch = (...rules: string[]): PolicyDecision => ({
    action: 'dispatch',
    kind: 'dm',
    wasMentioned: false,
    trace: [...trace, ...rules, 'dispatch'],
  });
  if (policy.openWithoutWildcard) trace.push('open-without-wildcard');
  trace.push(`policy:${policy.dmPolicy}`);
  if (policy.dmPolicy === 'disabled') return drop('dm-disabled');
  if (policy.dmPolicy === 'open') return dispatch();
  if (policy.allow.admits(message.sender, chatRefOf(message))) return dispatch('sender:listed');
  const status = statusAt(sender, now);
  if (status === 'approved') return dispatch('sender:approved');
  if (policy.dmPolicy === 'allowlist') return drop('not-allowlisted', 'sender-not-listed');
  trace.push(`sender:${status}`);
  if (status === 'pending') return drop('pairing-pending');
  if (status === 'denied' || status === 'revoked') return drop('pairing-denied');
  if (sender.capReached) return drop('pairing-cap', 'cap-reached');
  return { action: 'pair', reason: 'pairing-requested', kind: 'dm', wasMentioned: false, trace: [...trace, 'pair'] };
}

function decideGroup({ message, policy }: DecideInput): PolicyDecision {
  const trace: string[] = ['group'];
  let wasMentioned = false;
  const drop = (reason: DropReason, ...rules: string[]): PolicyDecision => ({
    action: 'drop',
    reason,
    kind: 'group',
    wasMentioned,
    trace: [...trace, ...rules, 'drop'],
  });
  if (!message.is_group) trace.push('groupish');
  if (message.chat_id <= 0) return drop('group-without-chat', 'no-chat');
  const { config } = policy;
  trace.push(`groupPolicy:${config.groupPolicy}`);
  if (config.groupPolicy === 'disabled') return drop('group-disabled');
  const chatKey = String(message.chat_id);
  const own = Object.hasOwn(config.groups, chatKey) ? config.groups[chatKey] : undefined;
  if (policy.hasGroups) {
    if (own !== undefined) trace.push('chat:listed');
    else if (policy.hasStarGroup) trace.push('chat:wildcard');
    else return drop('group-not-allowed', 'chat-not-listed');
  }
  wasMentioned = isMentioned(message.text, config.mentionPatterns);
  if (config.groupPolicy === 'allowlist') {
    if (!policy.groupAllow.admits(message.sender, chatRefOf(message))) return drop('not-allowlisted', 'sender-not-listed');
    trace.push('sender:listed');
  }
  const requireMention = own?.requireMention ?? policy.starRequireMention ?? true;
  if (requireMention) {
    trace.push('mention:required');
    if (!wasMentioned) return drop('no-mention', 'not-mentioned');
    trace.push('mentioned');
  } else {
    trace.push('mention:not-required');
  }
  return { action: 'dispatch', kind: 'group', wasMentioned, trace: [...trace, 'dispatch'] };
}
