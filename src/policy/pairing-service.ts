/**
 * Pairing for DMs under dmPolicy "pairing": an unknown sender gets ONE reply with a code; the
 * operator approves the code (`imessage-gateway pairing approve imessage <CODE>`) and the sender
 * joins that account's approved senders (stored, so it survives restarts).
 *
 * Rules (fixing the reference, see docs/access-policy.md):
 * - per account: approving someone on one account never opens another;
 * - a code expires 1 hour after it was issued; writing again does not extend it; after expiry the
 *   sender's next message issues a new code (and a new reply);
 * - at most 3 unexpired codes pending per account; a further stranger gets no reply, is counted
 *   as `pairing-cap` and is listed (cap-dropped) by `pairing list`;
 * - messages from a sender with a pending code are not processed (`pairing-pending`), and are
 *   not replayed after approval;
 * - codes are unique across accounts, so `approve` without --account finds the right one;
 * - `deny` (a pending request, by code or handle) and `revoke` (an approved sender) leave the
 *   sender denied for one TTL (1 hour) from then: no reply and no new code until it passes, then a
 *   stranger again.
 */
import type { GatewayStore } from '../store/index.js';
import type { ApprovedSenderRow, OutboxInsert } from '../store/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { SenderLifecycle, type SenderResult } from './sender-lifecycle.js';
import { DEFAULT_REGION, handleKey, normalizeHandleCached } from '../routing/handles.js';
import type { TypedError } from '../util/typed-error.js';
import { canonicalPairingCode, generatePairingCode, isPairingCodeShape } from './pairing-code.js';
import type { SenderStanding } from './sender-standing.js';

export const PAIRING_TTL_MS = 60 * 60 * 1000;
export const PAIRING_MAX_PENDING = 3;
export const PAIRING_CLI = 'imessage-gateway pairing approve imessage';

export interface PairingServiceOptions {
  ttlMs?: number;
  maxPending?: number;
  /** Integer in [0, max); default crypto.randomInt. */
  random?: (max: number) => number;
  /** Region used to normalise national phone numbers, per account (default "US"). */
  region?: string | ((accountId: string) => string);
  /** The clock of the sender machines' timers (default the system clock). */
  clock?: Pick<Clock, 'now'>;
}

export type PairingErrorKind = 'unknown' | 'expired' | 'invalid' | 'ambiguous' | 'not-approved' | 'already-denied' | 'approved';

const PAIRING_REMEDIATION: Record<PairingErrorKind, string> = {
  unknown: '`imessage-gateway pairing list` shows the pending codes; check the code and the account.',
  expired: 'ask the sender to write again: a new message gets a new code.',
  invalid: 'give a pairing code (and, for a request, the sender handle).',
  ambiguous: 'add --account ID to say which account.',
  'not-approved': '`imessage-gateway pairing list` shows the approved senders.',
  'already-denied': 'nothing to do: the sender stays denied until the time shown.',
  approved: 'use `imessage-gateway pairing revoke <handle>` to take an approval back.',
};

/** A pairing request or approval the caller got wrong: refused, not retried. */
export class PairingError extends Error implements TypedError {
  readonly recovery = 'fatal';
  constructor(
    readonly kind: PairingErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PairingError';
  }
  get remediation(): string {
    return PAIRING_REMEDIATION[this.kind];
  }
}

export type PairingRequestOutcome =
  | { code: string; created: boolean; expiresAt: number }
  | { capReached: true }
  | { denied: true; until: number }
  /** Approved between the decision and its carrying out: nothing to do. */
  | { approved: true };

export interface PairingApproval {
  accountId: string;
  /** The handle as the sender wrote from (where a confirmation goes). */
  handle: string;
  /** Normalised identity stored in approved senders. */
  handleKey: string;
  chatId: number;
  /** The code had been approved before: nothing changed (and no confirmation is queued again). */
  alreadyApproved?: true;
}

/** A denied request or a revoked approval: the sender gets no reply and no new code until `until`. */
export interface PairingDenial {
  accountId: string;
  handle: string;
  handleKey: string;
  until: number;
  /** deny: the code that stopped working (null for a turned-away stranger or an expired request). */
  code?: string | null;
}

export interface PairingListEntry {
  accountId: string;
  /** pending: holds a code; cap-dropped: turned away without a reply because the cap was reached; denied: denied or revoked until expiresAt. */
  state: 'pending' | 'cap-dropped' | 'denied';
  code: string | null;
  handle: string;
  handleKey: string;
  chatId: number;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  messages: number;
  /** pending or denied and past its expiry (the sender's next message issues a new code). */
  expired: boolean;
}

export class PairingService {
  readonly ttlMs: number;
  readonly maxPending: number;
  private readonly random: ((max: number) => number) | undefined;
  private readonly regionOf: (accountId: string) => string;
  private readonly lifecycle: SenderLifecycle;

  constructor(
    private readonly store: GatewayStore,
    options: PairingServiceOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? PAIRING_TTL_MS;
    this.maxPending = options.maxPending ?? PAIRING_MAX_PENDING;
    this.random = options.random;
    const region = options.region ?? DEFAULT_REGION;
    this.regionOf = typeof region === 'function' ? region : () => region;
    this.lifecycle = new SenderLifecycle(store, { ttlMs: this.ttlMs, clock: options.clock ?? systemClock });
  }

  /** The stored identity of a sender on an account. */
  keyOf(accountId: string, handle: string): string {
    return handleKey(normalizeHandleCached(handle, this.regionOf(accountId)));
  }

  isApproved(accountId: string, handle: string): boolean {
    return this.store.isApprovedSender(accountId, this.keyOf(accountId, handle));
  }

  /**
   * Where the sender stands with the account, read from the store (the per-message decision is
   * given this; it reads nothing itself): the sender's lifecycle state (sender-lifecycle.ts), with
   * the end of a pending code or a denial, and whether the account's other senders already hold
   * the maximum of unexpired codes.
   */
  standing(accountId: string, handle: string, now: number): SenderStanding {
    const key = this.keyOf(accountId, handle);
    const { value, context } = this.lifecycle.read(accountId, key, handle.trim(), now);
    if (value === 'approved') return { status: 'approved', capReached: false };
    const capReached = this.store.livePairingRequests(accountId, now, key) >= this.maxPending;
    const timed = value === 'pending' || value === 'expired' || value === 'denied' || value === 'revoked';
    return { status: value, ...(timed ? { until: context.until } : {}), capReached };
  }

  /**
   * A stranger wrote (the sender machine's MESSAGE): their unexpired code (created false: do not
   * reply again), a new code (created true: reply once; `reply` builds the outbox row queued in the
   * same transaction), capReached (no reply; listed as turned away), denied (no reply until then),
   * or approved (approved since the decision was taken).
   */
  requestFor(
    accountId: string,
    handle: string,
    chatId: number,
    now: number,
    reply?: (code: string) => OutboxInsert,
  ): PairingRequestOutcome {
    if (handle.trim() === '') throw new PairingError('invalid', 'a pairing request needs a sender handle');
    const key = this.keyOf(accountId, handle);
    const sender = handle.trim();
    const result = this.lifecycle.send(
      { accountId, handle: key, sender },
      () => ({
        type: 'MESSAGE',
        now,
        sender,
        chatId,
        capReached: this.store.livePairingRequests(accountId, now, key) >= this.maxPending,
        newCode: () => this.store.freshPairingCode(() => generatePairingCode(this.random)),
      }),
      now,
      reply,
    );
    const { value, context } = result.after;
    if (value === 'turned-away') return { capReached: true };
    if (value === 'denied' || value === 'revoked') return { denied: true, until: context.until };
    if (value === 'approved') return { approved: true };
    if (value !== 'pending' || context.code === null) throw new Error(`a pairing request left sender ${key} ${value}`);
    return { code: context.code, created: result.outcome.ok && result.outcome.effect === 'code-issued', expiresAt: context.until };
  }

  /**
   * Approves a code (case-insensitive) on `accountId`, or on whichever account issued it when
   * undefined (the sender machine's APPROVE). Throws PairingError for an unknown or expired code;
   * a code already approved says so (alreadyApproved) and changes nothing.
   */
  approve(accountId: string | undefined, code: string, now: number): PairingApproval {
    const wanted = canonicalPairingCode(code);
    if (wanted === '') throw new PairingError('invalid', 'no pairing code given');
    const account = accountId?.trim().toLowerCase() || undefined;
    const onAccount = <R extends { accountId: string }>(row: R | undefined): R | undefined =>
      row && (account === undefined || row.accountId === account) ? row : undefined;
    const target = onAccount(this.store.pairingRequestByCode(wanted)) ?? onAccount(this.store.approvedSenderByCode(wanted));
    const unknown = () =>
      new PairingError(
        'unknown',
        `unknown pairing code ${wanted}${account ? ` for account ${account}` : ''}; ` +
          'run `imessage-gateway pairing list` to see the pending codes',
      );
    if (!target) throw unknown();
    const result = this.lifecycle.send(target, { type: 'APPROVE', now, code: wanted }, now);
    const c = result.after.context;
    const approval = { accountId: c.accountId, handle: c.sender, handleKey: c.handle, chatId: c.chatId };
    if (result.outcome.ok) return approval;
    switch (result.outcome.problem) {
      case 'already-approved':
        return { ...approval, chatId: 0, alreadyApproved: true };
      case 'expired':
        throw new PairingError(
          'expired',
          `pairing code ${wanted} (account ${c.accountId}, sender ${c.sender}) expired at ` +
            `${new Date(c.until).toISOString()}; the sender gets a new code when they write again`,
        );
      default:
        throw unknown();
    }
  }

  /**
   * approve(), plus with `notify` a short confirmation queued to the sender through the outbox
   * (idempotency key `pairing-approved:<account>:<CODE>`). Shared by the CLI and the control API.
   */
  approveRequest(request: { code: string; account?: string; notify?: boolean }, now: number): PairingApproval & {
    notice?: { outboxId: number; inserted: boolean };
  } {
    const approval = this.approve(request.account, request.code, now);
    if (!request.notify || approval.alreadyApproved) return approval;
    const handle = approval.handle;
    const { id, inserted } = this.store.enqueueOutbox({
      accountId: approval.accountId,
      idempotencyKey: `pairing-approved:${approval.accountId}:${canonicalPairingCode(request.code)}`,
      chatKey: `handle:${handle.toLowerCase()}`,
      target: JSON.stringify({ to: handle, handle }),
      text: PAIRING_APPROVED_TEXT,
      source: 'pairing',
    });
    return { ...approval, notice: { outboxId: id, inserted } };
  }

  /**
   * Denies a pending request, by its code (case-insensitive) or by the sender's handle (also a
   * turned-away stranger or an expired request): the sender machine's DENY. The sender is denied
   * for one TTL from `now`. Throws PairingError: unknown code/handle, expired code, already denied,
   * an approved sender (revoke them instead), or a handle on several accounts without `accountId`.
   */
  deny(accountId: string | undefined, codeOrHandle: string, now: number): PairingDenial {
    const input = codeOrHandle.trim();
    if (input === '') throw new PairingError('invalid', 'give the pairing code or the sender handle to deny');
    const account = accountId?.trim().toLowerCase() || undefined;
    const code = canonicalPairingCode(input);
    const onAccount = <R extends { accountId: string }>(row: R | undefined): R | undefined =>
      row && (account === undefined || row.accountId === account) ? row : undefined;
    if (isPairingCodeShape(code)) {
      const byCode = onAccount(this.store.pairingRequestByCode(code)) ?? onAccount(this.store.approvedSenderByCode(code));
      if (byCode) return this.denial(this.lifecycle.send(byCode, { type: 'DENY', now, code }, now), `pairing code ${code}`);
    }
    const target =
      this.resolveHandle(account, input, (a) => this.store.listPairingRequests(a)) ??
      this.resolveHandle(account, input, (a) => this.store.listApprovedSenders(a));
    if (!target) {
      throw new PairingError(
        'unknown',
        `no pairing request ${isPairingCodeShape(code) ? `with code ${code} or ` : ''}from ${JSON.stringify(input)}` +
          `${account ? ` on account ${account}` : ''}; run \`imessage-gateway pairing list\` to see them`,
      );
    }
    return this.denial(this.lifecycle.send({ ...target, sender: input }, { type: 'DENY', now }, now), `the request of ${input}`);
  }

  /**
   * Revokes an approved sender (the sender machine's REVOKE): they lose approval and are denied
   * for one TTL from `now`. Throws PairingError when the handle was never approved (or was already revoked).
   */
  revoke(accountId: string | undefined, handle: string, now: number): PairingDenial {
    const input = handle.trim();
    if (input === '') throw new PairingError('invalid', 'give the handle of the approved sender to revoke');
    const account = accountId?.trim().toLowerCase() || undefined;
    const target = this.resolveHandle(account, input, (a) => this.store.listApprovedSenders(a));
    const result = target ? this.lifecycle.send({ ...target, sender: input }, { type: 'REVOKE', now }, now) : undefined;
    if (!result?.outcome.ok) {
      throw new PairingError(
        'not-approved',
        `${input} is not an approved sender${account ? ` on account ${account}` : ''}; nothing was revoked`,
      );
    }
    const c = result.after.context;
    return { accountId: c.accountId, handle: c.sender, handleKey: c.handle, until: c.until };
  }

  /** The (account, stored identity) a typed handle names among `rows`; refuses a handle on several accounts. */
  private resolveHandle(
    account: string | undefined,
    input: string,
    rows: (account: string | undefined) => Array<{ accountId: string; handle: string }>,
  ): { accountId: string; handle: string } | undefined {
    const matches = rows(account).filter((r) => r.handle === this.keyOf(r.accountId, input));
    const accounts = [...new Set(matches.map((m) => m.accountId))];
    if (accounts.length > 1) {
      throw new PairingError('ambiguous', `${input} is on several accounts (${accounts.join(', ')}); add --account ID`);
    }
    const [match] = matches;
    return match ? { accountId: match.accountId, handle: match.handle } : undefined;
  }

  private denial(result: SenderResult, what: string): PairingDenial {
    const c = result.after.context;
    if (result.outcome.ok) {
      return { accountId: c.accountId, handle: c.sender, handleKey: c.handle, until: c.until, code: result.before.context.code };
    }
    switch (result.outcome.problem) {
      case 'expired':
        throw new PairingError(
          'expired',
          `${what} (account ${c.accountId}, sender ${c.sender}) expired at ${new Date(c.until).toISOString()}; ` +
            'deny the sender by handle instead',
        );
      case 'already-denied':
        throw new PairingError('already-denied', `${c.sender} (account ${c.accountId}) is already denied until ${new Date(c.until).toISOString()}`);
      case 'approved':
        throw new PairingError(
          'approved',
          `${c.sender} (account ${c.accountId}) was already approved at ${new Date(c.since).toISOString()}; ` +
            `revoke with \`imessage-gateway pairing revoke ${c.sender}\``,
        );
      default:
        throw new PairingError('unknown', `${what}: no such pending request; run \`imessage-gateway pairing list\``);
    }
  }

  list(accountId: string | undefined, now: number): PairingListEntry[] {
    const account = accountId?.trim().toLowerCase();
    return this.store.listPairingRequests(account === '' ? undefined : account).map((r) => ({
      accountId: r.accountId,
      state: r.state,
      code: r.code,
      handle: r.sender,
      handleKey: r.handle,
      chatId: r.chatId,
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      lastSeenAt: r.lastSeenAt,
      messages: r.messages,
      expired: r.state !== 'cap-dropped' && r.expiresAt <= now,
    }));
  }

  approved(accountId?: string): ApprovedSenderRow[] {
    return this.store.listApprovedSenders(accountId);
  }

  pairingReplyText(code: string, handle: string): string {
    return pairingReplyText(code, handle);
  }
}

/** The one reply a stranger gets. */
export function pairingReplyText(code: string, handle: string): string {
  return [
    'imessage-gateway: access not configured.',
    '',
    `Your iMessage sender id: ${handle}`,
    '',
    `Pairing code: ${code}`,
    '',
    'Ask the bot owner to approve with:',
    `${PAIRING_CLI} ${code}`,
  ].join('\n');
}

/** The confirmation `pairing approve --notify` queues. */
export const PAIRING_APPROVED_TEXT = 'imessage-gateway: access approved. Send a message to start chatting.';
