/** An operator's message (CLI or control API) into the outbox: one rule for both entry points. */
import { randomUUID } from 'node:crypto';
import { chatKeyOf } from '../routing/reply-target.js';
import { parseTarget } from '../routing/targets.js';
import type { GatewayStore } from '../store/index.js';
import { chunkText } from '../workers/chunk-text.js';

export interface OperatorSend {
  accountId: string;
  to: string;
  text: string;
  /** An already staged file (see AccountMedia.stage / stageOutboundFile), sent after the text. */
  stagedFile?: string;
  textChunkLimit: number;
  idempotencyKey?: string;
}

/**
 * Queues the text (in chunks) and then the file, in order. Returns the first row's id. Throws
 * TargetError for a target it cannot read. Operator texts are short: chunked on this thread.
 */
export function enqueueOperatorSend(store: GatewayStore, send: OperatorSend): { id: number; to: string; duplicate: boolean } {
  const target = parseTarget(send.to);
  const key = send.idempotencyKey ? `cli:${send.idempotencyKey}` : `cli:${randomUUID()}`;
  const base = { accountId: send.accountId, chatKey: chatKeyOf(target), target: JSON.stringify(target), source: 'cli' as const };
  const rows = send.text.trim() === '' ? [] : chunkText(send.text, send.textChunkLimit);
  const results = rows.map((text, j) => store.enqueueOutbox({ ...base, idempotencyKey: rows.length === 1 ? key : `${key}:${j}`, text }));
  if (send.stagedFile) results.push(store.enqueueOutbox({ ...base, idempotencyKey: `${key}:file`, text: '', file: send.stagedFile }));
  const first = results[0];
  if (!first) throw new Error('nothing to send: give a text or a file');
  return { id: first.id, to: target.to, duplicate: !first.inserted };
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
