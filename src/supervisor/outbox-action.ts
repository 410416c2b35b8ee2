/**
 * A non-text outbox row (issue 17, item 5): an agent's tapback on the message it answered, kept as
 * JSON in `outbox.action` so it goes through the outbox like a reply: an idempotency key, durable
 * `sending` before imsg sees it, reconciled after a crash, sent exactly once.
 */
import type { AgentReaction } from '../agents/agent-reaction.js';

export interface TapbackAction {
  kind: 'tapback';
  /** The guid of the message the tapback goes on. */
  target: string;
  /** The chat it is in, as imsg's bridge methods take it (a chat selector, never `to`). */
  chatGuid?: string;
  chatId?: number;
  reaction: AgentReaction;
}

export type OutboxAction = TapbackAction;

export function encodeAction(a: OutboxAction): string {
  return JSON.stringify(a);
}

/** The action of a row; undefined for a text or file row, or JSON this build does not know. */
export function decodeAction(json: string | null): OutboxAction | undefined {
  if (json === null) return undefined;
  try {
    const v = JSON.parse(json) as Partial<TapbackAction>;
    if (v.kind === 'tapback' && typeof v.target === 'string' && v.reaction && typeof v.reaction === 'object') return v as TapbackAction;
  } catch {
    // fall through
  }
  return undefined;
}

/** How an action is described in logs and dead letters (no message text). */
export function describeAction(a: OutboxAction): string {
  return `tapback ${'kind' in a.reaction ? a.reaction.kind : a.reaction.emoji}`;
}
