/**
 * Tapbacks in (issue 17, item 3), the pure part: whether a reaction row reaches the agent, and the
 * `reaction` block of its envelope. A tapback is never a user turn: it never asks for pairing, is
 * never mention-gated and never becomes group history. It reaches the agent when
 * reactionNotifications allows it (`own`: only tapbacks on messages the gateway sent), it is not
 * our own, and its sender is someone the account's policy lets through (a stranger's tapback is
 * dropped without a pairing code).
 */
import type { ReactionNotifications } from '../config/types.js';
import type { ImsgMessage } from '../imsg/types.js';
import type { PolicyDecision } from '../policy/decide.js';
import type { EnvelopeReaction } from './envelope.js';

export type ReactionDecision = { action: 'dispatch' } | { action: 'drop'; reason: string };

/** What the gateway knows about the tapback's target (store.reactionTarget). */
export interface ReactionTargetFacts {
  fromGateway: boolean;
  text?: string;
  sender?: string;
}

/**
 * Whether the sender would be let through, from the policy's decision on the same row read as a
 * plain message: a mention is not needed (no-mention still counts as admitted); a stranger (pair,
 * pairing-*) is not; any other drop keeps its reason.
 */
export function senderVerdict(decision: PolicyDecision): { admitted: true } | { admitted: false; reason: string } {
  if (decision.action === 'dispatch') return { admitted: true };
  if (decision.action === 'pair') return { admitted: false, reason: 'reaction-stranger' };
  if (decision.reason === 'no-mention') return { admitted: true };
  if (decision.reason.startsWith('pairing-')) return { admitted: false, reason: 'reaction-stranger' };
  return { admitted: false, reason: `reaction-${decision.reason}` };
}

export function decideReaction(input: {
  mode: ReactionNotifications;
  fromMe: boolean;
  sender: { admitted: true } | { admitted: false; reason: string };
  target: ReactionTargetFacts | undefined;
}): ReactionDecision {
  if (input.mode === 'off') return { action: 'drop', reason: 'reactions-off' };
  if (input.fromMe) return { action: 'drop', reason: 'reaction-own' };
  if (!input.sender.admitted) return { action: 'drop', reason: input.sender.reason };
  if (input.mode === 'own' && input.target?.fromGateway !== true) return { action: 'drop', reason: 'reaction-not-own' };
  return { action: 'dispatch' };
}

/** The envelope's `reaction` block: kind and emoji, added or removed, the target as far as it is known. */
export function reactionEventOf(message: ImsgMessage, target: ReactionTargetFacts | undefined): EnvelopeReaction {
  const type = message.reaction_type ?? 'unknown';
  return {
    type,
    ...(message.reaction_emoji !== undefined ? { emoji: message.reaction_emoji } : {}),
    added: message.is_reaction_add !== false,
    targetGuid: message.reacted_to_guid ?? '',
    target:
      target === undefined
        ? 'unknown'
        : {
            fromGateway: target.fromGateway,
            ...(target.text !== undefined ? { text: target.text } : {}),
            ...(target.sender !== undefined ? { sender: target.sender } : {}),
          },
  };
}
