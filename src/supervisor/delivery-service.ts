/**
 * Dead letters as the operator handles them, one rule for the CLI (on the state database) and the
 * control API (in the running gateway): list with a reason for every row, retry, discard (purge).
 * What the running gateway does after a retry (kick the outbox, run the agent) is left to the caller.
 * Never shows message text: sizes only.
 */
import { basename } from 'node:path';
import type { ReplyTarget } from '../routing/envelope.js';
import { type DeadLetter, type DeadLetterBulkPurge, type GatewayStore, parseDeadLetterId } from '../store/index.js';

export interface DeliveryView {
  id: string;
  kind: DeadLetter['kind'];
  status: DeadLetter['status'];
  account: string;
  chat: string;
  to: string | null;
  reason: string;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  deadAt: string;
  source: DeadLetter['source'];
  chars: number | null;
  file: string | null;
  guid: string | null;
  agentId: string | null;
  /** The account is not in the config any more: retry is refused until it is back. */
  accountMissing: boolean;
  /** What the operator should know before acting (unknown outcome, missing account). */
  note: string | null;
}

export type DeliveryErrorKind = 'bad-id' | 'not-found' | 'in-flight' | 'already-sent' | 'unknown-outcome' | 'account-missing';

/**
 * A request the operator got wrong or that cannot be done now (the error vocabulary: kind,
 * recovery `operator`, remediation); `status` is the HTTP status the API answers.
 */
export class DeliveryError extends Error {
  readonly recovery = 'operator';

  constructor(
    readonly kind: DeliveryErrorKind,
    message: string,
    readonly remediation: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }

  get status(): 400 | 404 | 409 {
    return this.kind === 'bad-id' ? 400 : this.kind === 'not-found' ? 404 : 409;
  }
}

/** The configured account ids, or undefined when the caller cannot know them (the demo without a config file). */
export type KnownAccounts = readonly string[] | undefined;

export const UNKNOWN_OUTCOME_NOTE =
  'its outcome is unknown: it may already have been delivered. Check the chat first; `delivery retry --force` sends it again, `delivery purge --force` forgets it';

export function missingAccountNote(account: string): string {
  return `account "${account}" is no longer in the config: add it back to retry this, or purge it`;
}

export function deliveryView(d: DeadLetter, accounts: KnownAccounts): DeliveryView {
  const accountMissing = accounts !== undefined && !accounts.includes(d.accountId);
  return {
    id: d.id,
    kind: d.kind,
    status: d.status,
    account: d.accountId,
    chat: d.chatKey,
    to: targetOf(d.target),
    reason: d.reason,
    attempts: d.attempts,
    createdAt: iso(d.createdAt),
    lastAttemptAt: d.lastAttemptAt === null ? null : iso(d.lastAttemptAt),
    deadAt: iso(d.deadAt),
    source: d.source,
    chars: d.chars,
    file: d.file === null ? null : basename(d.file),
    guid: d.guid,
    agentId: d.agentId,
    accountMissing,
    note: accountMissing ? missingAccountNote(d.accountId) : d.status === 'unknown' ? UNKNOWN_OUTCOME_NOTE : null,
  };
}

export function listDelivery(store: GatewayStore, request: { account?: string; limit?: number }, accounts: KnownAccounts): DeliveryView[] {
  return store.listDeadLetters(request.account?.toLowerCase(), request.limit).map((d) => deliveryView(d, accounts));
}

export type RetryDone =
  | { id: string; kind: 'send'; account: string; outboxId: number }
  /** `guids`: every message that runs again (a collected turn's, oldest first). */
  | { id: string; kind: 'turn'; account: string; guid: string; guids: string[] };

/** Retries one dead letter; throws DeliveryError with the reason and the way out when it cannot. */
export function retryDelivery(store: GatewayStore, id: string, force: boolean, accounts: KnownAccounts): RetryDone {
  const ref = parseId(id);
  const letter = store.deadLetter(ref);
  if (letter && accounts !== undefined && !accounts.includes(letter.accountId)) {
    throw new DeliveryError(
      'account-missing',
      `${letter.id} cannot be retried: account "${letter.accountId}" is no longer in the config`,
      `add the account back to the config (and reload) to retry it, or \`imessage-gateway delivery purge ${letter.id}\``,
    );
  }
  const result = store.retryDeadLetter(ref, force);
  if (result.ok) {
    return result.kind === 'send'
      ? { id: letter?.id ?? id, kind: 'send', account: result.accountId, outboxId: result.outboxId }
      : { id: letter?.id ?? id, kind: 'turn', account: result.accountId, guid: result.guid, guids: result.guids };
  }
  throw refusal(id, 'retried', result);
}

/** Removes one dead letter (never a row in flight; an unknown send only with force). */
export function discardDelivery(store: GatewayStore, id: string, force: boolean): { id: string } {
  const ref = parseId(id);
  const result = store.purgeDeadLetter(ref, force);
  if (result.ok) return { id: id.trim().toLowerCase() };
  throw refusal(id, 'purged', result);
}

/** Removes failed sends and failed turns that died more than `olderThanMs` ago (unknown sends are left). */
export function discardOlder(store: GatewayStore, olderThanMs: number, now: number, account?: string): DeadLetterBulkPurge {
  return store.purgeDeadLetters(now - olderThanMs, account?.toLowerCase());
}

function parseId(id: string): Exclude<ReturnType<typeof parseDeadLetterId>, { problem: string }> {
  const ref = parseDeadLetterId(id);
  if ('problem' in ref) throw new DeliveryError('bad-id', ref.problem, 'use an id from `imessage-gateway delivery list`');
  return ref;
}

function refusal(
  id: string,
  verb: 'retried' | 'purged',
  result: Exclude<ReturnType<GatewayStore['retryDeadLetter']>, { ok: true }>,
): DeliveryError {
  switch (result.problem) {
    case 'not-found':
      return new DeliveryError('not-found', `no dead letter ${id}`, 'see `imessage-gateway delivery list` for the ids');
    case 'already-sent':
      return new DeliveryError('already-sent', `${id} was sent`, 'nothing to do');
    case 'in-flight':
      return new DeliveryError('in-flight', `${id} is still in flight (${result.state}): it cannot be ${verb}`, 'wait until it is sent or fails');
    case 'unknown-needs-force':
      return verb === 'retried'
        ? new DeliveryError(
            'unknown-outcome',
            `${id} is not sent again without --force: its earlier outcome is unknown and it may already have been delivered`,
            `check the chat first; if it is not there, \`imessage-gateway delivery retry ${id} --force\``,
          )
        : new DeliveryError(
            'unknown-outcome',
            `${id} is not purged without --force: its outcome is unknown and the gateway still reconciles it`,
            `\`imessage-gateway delivery purge ${id} --force\` forgets it`,
          );
  }
}

function targetOf(json: string): string | null {
  try {
    const target = JSON.parse(json) as Partial<ReplyTarget>;
    return typeof target.to === 'string' ? target.to : null;
  } catch {
    return null;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
