/**
 * Sender lifecycles persisted in the store, with no actor kept alive: for each event, one store
 * transaction restores the sender's machine (sender-machine.ts) from their rows (pairing_requests,
 * approved_senders), sends the event, writes the state it lands in, and stops the actor. A
 * restart therefore keeps every sender's state: it is the rows.
 *
 *   state          rows
 *   stranger       none (or a denial past its end)
 *   pending        pairing_requests 'pending' with its code, expires_at in the future
 *   expired        pairing_requests 'pending', expires_at passed
 *   turned-away    pairing_requests 'cap-dropped'
 *   denied         pairing_requests 'denied' until expires_at, revoked_at NULL
 *   revoked        pairing_requests 'denied' until expires_at, revoked_at set
 *   approved       approved_senders
 */
import { createActor } from 'xstate';
import type { ApprovedSenderRow, GatewayStore, OutboxInsert, PairingRequestRow } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { createSenderMachine, type SenderContext, type SenderEvent, type SenderMachine, type SenderOutcome, type SenderStateValue } from './sender-machine.js';

export interface SenderRows {
  request: PairingRequestRow | undefined;
  approved: ApprovedSenderRow | undefined;
}

export interface SenderState {
  value: SenderStateValue;
  context: SenderContext;
}

export interface SenderResult {
  before: SenderState;
  after: SenderState;
  outcome: SenderOutcome;
  /** The outbox row queued with a new code (MESSAGE with `reply`). */
  outboxId?: number;
}

/** The state a sender's stored rows stand for at `now`. */
export function senderStateOf(rows: SenderRows, who: { accountId: string; handle: string; sender: string; ttlMs: number }, now: number): SenderState {
  const base: SenderContext = {
    accountId: who.accountId,
    handle: who.handle,
    sender: who.sender,
    chatId: 0,
    code: null,
    since: 0,
    until: 0,
    lastSeenAt: 0,
    messages: 0,
    ttlMs: who.ttlMs,
    outcome: { ok: true, effect: 'none' },
  };
  const { approved, request: r } = rows;
  if (approved) {
    return {
      value: 'approved',
      context: { ...base, sender: approved.sender, code: approved.code, since: approved.approvedAt, until: approved.approvedAt, lastSeenAt: approved.approvedAt },
    };
  }
  if (!r) return { value: 'stranger', context: base };
  const context: SenderContext = {
    ...base,
    sender: r.sender,
    chatId: r.chatId,
    code: r.code,
    since: r.createdAt,
    until: r.expiresAt,
    lastSeenAt: r.lastSeenAt,
    messages: r.messages,
  };
  switch (r.state) {
    case 'pending':
      return { value: r.expiresAt > now ? 'pending' : 'expired', context };
    case 'cap-dropped':
      return { value: 'turned-away', context };
    case 'denied':
      if (r.expiresAt <= now) return { value: 'stranger', context: { ...base, sender: r.sender, chatId: r.chatId } };
      return { value: r.revokedAt !== null ? 'revoked' : 'denied', context };
  }
}

export class SenderLifecycle {
  private readonly machine: SenderMachine;

  constructor(
    private readonly store: GatewayStore,
    private readonly o: { ttlMs: number; clock: Pick<Clock, 'now'> },
  ) {
    this.machine = createSenderMachine(o.clock);
  }

  /** The sender's state at `now`, read from the store. */
  read(accountId: string, handle: string, sender: string, now: number): SenderState {
    return senderStateOf(this.rows(accountId, handle), { accountId, handle, sender, ttlMs: this.o.ttlMs }, now);
  }

  /**
   * One event, in one store transaction: restore, send, persist, stop. `event` may be a function,
   * called inside the transaction (what it reads, such as the cap, cannot change before the write).
   * With `reply`, a MESSAGE that issues a code queues the outbox row carrying it in the same transaction.
   */
  send(
    who: { accountId: string; handle: string; sender: string },
    event: SenderEvent | (() => SenderEvent),
    now: number,
    reply?: (code: string) => OutboxInsert,
  ): SenderResult {
    return this.store.senderTransaction(() => {
      const rows = this.rows(who.accountId, who.handle);
      const before = senderStateOf(rows, { ...who, ttlMs: this.o.ttlMs }, now);
      const actor = createActor(this.machine, {
        snapshot: this.machine.resolveState(before),
        input: { ...who, ttlMs: this.o.ttlMs },
      });
      actor.start();
      actor.send(typeof event === 'function' ? event() : event);
      const snapshot = actor.getSnapshot();
      actor.stop();
      const after: SenderState = { value: snapshot.value as SenderStateValue, context: snapshot.context };
      const outcome = after.context.outcome;
      const result: SenderResult = { before, after, outcome };
      if (!outcome.ok || outcome.effect === 'none' || outcome.effect === 'ignored') return result;
      this.persist(after, rows);
      if (outcome.effect === 'code-issued' && reply && after.context.code !== null) {
        result.outboxId = this.store.enqueueOutbox(reply(after.context.code)).id;
      }
      return result;
    });
  }

  private rows(accountId: string, handle: string): SenderRows {
    return { request: this.store.pairingRequest(accountId, handle), approved: this.store.approvedSender(accountId, handle) };
  }

  private persist({ value, context: c }: SenderState, rows: SenderRows): void {
    const row = (state: PairingRequestRow['state'], over: Partial<PairingRequestRow> = {}): PairingRequestRow => ({
      accountId: c.accountId,
      handle: c.handle,
      sender: c.sender,
      chatId: c.chatId,
      state,
      code: null,
      createdAt: c.since,
      expiresAt: c.until,
      lastSeenAt: c.lastSeenAt,
      messages: c.messages,
      revokedAt: null,
      ...over,
    });
    switch (value) {
      case 'stranger':
        if (rows.request) this.store.removePairingRequest(c.accountId, c.handle);
        break;
      case 'pending':
      case 'expired':
        this.store.putPairingRequest(row('pending', { code: c.code }));
        break;
      case 'turned-away':
        this.store.putPairingRequest(row('cap-dropped'));
        break;
      case 'denied':
      case 'revoked':
        this.store.putPairingRequest(row('denied', { revokedAt: value === 'revoked' ? c.since : null }));
        if (rows.approved) this.store.removeApprovedSender(c.accountId, c.handle);
        break;
      case 'approved':
        this.store.putApprovedSender(c.accountId, c.handle, c.sender, c.since, c.code);
        if (rows.request) this.store.removePairingRequest(c.accountId, c.handle);
        break;
    }
  }
}
