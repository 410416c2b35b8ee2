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

/**
 * The account a send goes to: the one named, or the only enabled one. `mergedInto` (duplicate id →
 * owner, issue 14 item 7): an account merged into another one sends nothing itself (it runs no
 * imsg child), so naming it is refused with the owner to name instead; without --account, only the
 * owners count.
 */
export function pickAccount(requested: string | undefined, enabled: string[], mergedInto: ReadonlyMap<string, string> = new Map()): string {
  const named = requested?.toLowerCase();
  const owner = named !== undefined ? mergedInto.get(named) : undefined;
  if (named !== undefined && owner !== undefined) {
    throw new Error(
      `account "${named}" shares its Messages source with "${owner}" and is merged into it (it runs no watcher and sends nothing); ` +
        `send with --account ${owner}, or give ${named} its own dbPath`,
    );
  }
  const senders = enabled.filter((id) => !mergedInto.has(id));
  const wanted = named ?? (senders.length === 1 ? senders[0] : undefined);
  if (!wanted) {
    throw new Error(
      senders.length > 1 ? `name the account (one of: ${senders.join(', ')})` : 'no enabled account to send from',
    );
  }
  if (!senders.includes(wanted)) {
    throw new Error(`unknown or disabled account "${wanted}"${senders.length ? `; known: ${senders.join(', ')}` : ''}`);
  }
  return wanted;
}
