/** An operator's message (CLI or control API) into the outbox: one rule for both entry points. */
import { randomUUID } from 'node:crypto';
import { chatKeyOf } from '../routing/reply-target.js';
import { parseTarget } from '../routing/targets.js';
import type { GatewayStore } from '../store/index.js';

export interface OperatorSend {
  accountId: string;
  to: string;
  text: string;
  idempotencyKey?: string;
}

/** Throws TargetError for a target it cannot read. */
export function enqueueOperatorSend(store: GatewayStore, send: OperatorSend): { id: number; to: string; duplicate: boolean } {
  const target = parseTarget(send.to);
  const { id, inserted } = store.enqueueOutbox({
    accountId: send.accountId,
    idempotencyKey: send.idempotencyKey ? `cli:${send.idempotencyKey}` : `cli:${randomUUID()}`,
    chatKey: chatKeyOf(target),
    target: JSON.stringify(target),
    text: send.text,
    source: 'cli',
  });
  return { id, to: target.to, duplicate: !inserted };
}

/** The account a send goes to: the one named, or the only enabled one. */
export function pickAccount(requested: string | undefined, enabled: string[]): string {
  const wanted = requested?.toLowerCase() ?? (enabled.length === 1 ? enabled[0] : undefined);
  if (!wanted) {
    throw new Error(
      enabled.length > 1 ? `name the account (one of: ${enabled.join(', ')})` : 'no enabled account to send from',
    );
  }
  if (!enabled.includes(wanted)) {
    throw new Error(`unknown or disabled account "${wanted}"${enabled.length ? `; known: ${enabled.join(', ')}` : ''}`);
  }
  return wanted;
}
