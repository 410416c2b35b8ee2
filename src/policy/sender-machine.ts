/**
 * One sender's lifecycle with one account, as an XState v5 machine:
 *
 *   stranger ─ MESSAGE ─▶ pending (a code; expires after the TTL: `after` on the injected clock) ─▶ expired
 *            ─ MESSAGE, cap reached ─▶ turned-away
 *   pending ─ APPROVE (its code, unexpired) ─▶ approved ─ REVOKE ─▶ revoked
 *   pending | expired | turned-away ─ DENY ─▶ denied
 *   expired | turned-away ─ MESSAGE ─▶ pending (a new code) or turned-away (cap reached)
 *   denied | revoked ─ (after the denial's end) ─▶ stranger
 *
 * The machine holds no store and keeps no actor alive: the caller (SenderLifecycle) restores the
 * sender's snapshot from the store, sends one event, persists the state it lands in, and stops
 * the actor. An event the state does not accept leaves the state as it is and says why in
 * `context.outcome` (an unknown or expired code, already approved, already denied, never approved).
 */
import { and, assign, setup } from 'xstate';
import type { Clock } from '../util/clock.js';

export type SenderStateValue = 'stranger' | 'pending' | 'expired' | 'turned-away' | 'approved' | 'denied' | 'revoked';

export type SenderProblem = 'unknown-code' | 'expired' | 'already-approved' | 'already-denied' | 'approved' | 'not-approved';

/** What the last event did. */
export type SenderOutcome =
  | { ok: true; effect: 'none' | 'code-issued' | 'still-pending' | 'turned-away' | 'still-denied' | 'approved' | 'denied' | 'revoked' | 'expired' | 'ignored' }
  | { ok: false; problem: SenderProblem };

export interface SenderContext {
  accountId: string;
  /** Normalised identity (handleKey). */
  handle: string;
  /** The handle as the sender wrote from (reply target, display). */
  sender: string;
  chatId: number;
  /** pending: the code to approve; approved: the code it was approved with (null without one). */
  code: string | null;
  /** When the current state began (code issued, first turned away, denied, approved). */
  since: number;
  /** pending: when the code expires; denied / revoked: when the denial ends. */
  until: number;
  lastSeenAt: number;
  /** Messages received in this state. */
  messages: number;
  ttlMs: number;
  outcome: SenderOutcome;
}

export type SenderEvent =
  | { type: 'MESSAGE'; now: number; sender: string; chatId: number; capReached: boolean; newCode: () => string }
  | { type: 'APPROVE'; now: number; code: string }
  /** By code (must be the pending one, unexpired) or by handle (code undefined). */
  | { type: 'DENY'; now: number; code?: string | undefined }
  | { type: 'REVOKE'; now: number }
  | { type: 'EXPIRE' };

export interface SenderInput {
  accountId: string;
  handle: string;
  sender: string;
  ttlMs: number;
}

const OK = (effect: Extract<SenderOutcome, { ok: true }>['effect']): SenderOutcome => ({ ok: true, effect });
const FAIL = (problem: SenderProblem): SenderOutcome => ({ ok: false, problem });

type Ev<T extends SenderEvent['type']> = Extract<SenderEvent, { type: T }>;

export function createSenderMachine(clock: Pick<Clock, 'now'>) {
  const senderSetup = setup({
    types: {
      context: {} as SenderContext,
      events: {} as SenderEvent,
      input: {} as SenderInput,
    },
    delays: {
      /** Until the code expires or the denial ends, by the injected clock. */
      untilDue: ({ context }) => Math.max(0, context.until - clock.now()),
    },
    guards: {
      capReached: ({ event }) => (event as Ev<'MESSAGE'>).capReached,
      theCode: ({ context, event }) => (event as Ev<'APPROVE'>).code === context.code,
      codeLive: ({ context, event }) => (event as Ev<'APPROVE'>).now < context.until,
      denyByOtherCode: ({ context, event }) => {
        const code = (event as Ev<'DENY'>).code;
        return code !== undefined && code !== context.code;
      },
      denyByExpiredCode: ({ context, event }) => {
        const e = event as Ev<'DENY'>;
        return e.code !== undefined && e.now >= context.until;
      },
      denyByCode: ({ event }) => (event as Ev<'DENY'>).code !== undefined,
    },
    actions: {
      issueCode: assign(({ context, event }) => {
        const e = event as Ev<'MESSAGE'>;
        return {
          sender: e.sender,
          chatId: e.chatId,
          code: e.newCode(),
          since: e.now,
          until: e.now + context.ttlMs,
          lastSeenAt: e.now,
          messages: 1,
          outcome: OK('code-issued'),
        };
      }),
      turnAway: assign(({ event }) => {
        const e = event as Ev<'MESSAGE'>;
        return { sender: e.sender, chatId: e.chatId, code: null, since: e.now, until: e.now, lastSeenAt: e.now, messages: 1, outcome: OK('turned-away') };
      }),
      /** Turned away again: keeps when it was first turned away. */
      turnAwayAgain: assign(({ context, event }) => {
        const e = event as Ev<'MESSAGE'>;
        return { sender: e.sender, chatId: e.chatId, lastSeenAt: e.now, messages: context.messages + 1, outcome: OK('turned-away') };
      }),
      touch: assign(({ context, event }, params: { effect: 'still-pending' | 'still-denied' | 'ignored' }) => {
        const e = event as Ev<'MESSAGE'>;
        return { sender: e.sender, chatId: e.chatId, lastSeenAt: e.now, messages: context.messages + 1, outcome: OK(params.effect) };
      }),
      approve: assign(({ event }) => {
        const e = event as Ev<'APPROVE'>;
        return { since: e.now, until: e.now, messages: 0, outcome: OK('approved') };
      }),
      deny: assign(({ context, event }) => {
        const e = event as Ev<'DENY'>;
        return { code: null, since: e.now, until: e.now + context.ttlMs, outcome: OK('denied') };
      }),
      revoke: assign(({ context, event }) => {
        const e = event as Ev<'REVOKE'>;
        return { code: null, since: e.now, until: e.now + context.ttlMs, messages: 0, outcome: OK('revoked') };
      }),
      expired: assign({ outcome: OK('expired') }),
      lapsed: assign({ code: null, messages: 0, outcome: OK('expired') }),
      refuse: assign((_, params: { problem: SenderProblem }) => ({ outcome: FAIL(params.problem) })),
    },
  });
  /** Shut out until the denial ends: what `denied` and `revoked` both are. */
  const shutOut = {
    after: { untilDue: { target: 'stranger', actions: 'lapsed' } },
    on: {
      MESSAGE: { actions: { type: 'touch', params: { effect: 'still-denied' } } },
      APPROVE: { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
      DENY: { actions: { type: 'refuse', params: { problem: 'already-denied' } } },
      REVOKE: { actions: { type: 'refuse', params: { problem: 'not-approved' } } },
      EXPIRE: { target: 'stranger', actions: 'lapsed' },
    },
  } as const;
  return senderSetup.createMachine({
    id: 'sender',
    context: ({ input }) => ({
      accountId: input.accountId,
      handle: input.handle,
      sender: input.sender,
      chatId: 0,
      code: null,
      since: 0,
      until: 0,
      lastSeenAt: 0,
      messages: 0,
      ttlMs: input.ttlMs,
      outcome: OK('none'),
    }),
    initial: 'stranger',
    states: {
      stranger: {
        on: {
          MESSAGE: [
            { guard: 'capReached', target: 'turned-away', actions: 'turnAway' },
            { target: 'pending', actions: 'issueCode' },
          ],
          APPROVE: { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
          DENY: { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
          REVOKE: { actions: { type: 'refuse', params: { problem: 'not-approved' } } },
        },
      },
      pending: {
        after: { untilDue: { target: 'expired', actions: 'expired' } },
        on: {
          MESSAGE: { actions: { type: 'touch', params: { effect: 'still-pending' } } },
          APPROVE: [
            { guard: and(['theCode', 'codeLive']), target: 'approved', actions: 'approve' },
            { guard: 'theCode', actions: { type: 'refuse', params: { problem: 'expired' } } },
            { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
          ],
          DENY: [
            { guard: 'denyByOtherCode', actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
            { guard: 'denyByExpiredCode', actions: { type: 'refuse', params: { problem: 'expired' } } },
            { target: 'denied', actions: 'deny' },
          ],
          REVOKE: { actions: { type: 'refuse', params: { problem: 'not-approved' } } },
          EXPIRE: { target: 'expired', actions: 'expired' },
        },
      },
      expired: {
        on: {
          MESSAGE: [
            { guard: 'capReached', target: 'turned-away', actions: 'turnAway' },
            { target: 'pending', actions: 'issueCode' },
          ],
          APPROVE: [
            { guard: 'theCode', actions: { type: 'refuse', params: { problem: 'expired' } } },
            { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
          ],
          DENY: [
            { guard: 'denyByOtherCode', actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
            { guard: 'denyByCode', actions: { type: 'refuse', params: { problem: 'expired' } } },
            { target: 'denied', actions: 'deny' },
          ],
          REVOKE: { actions: { type: 'refuse', params: { problem: 'not-approved' } } },
        },
      },
      'turned-away': {
        on: {
          MESSAGE: [
            { guard: 'capReached', actions: 'turnAwayAgain' },
            { target: 'pending', actions: 'issueCode' },
          ],
          APPROVE: { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
          DENY: [
            { guard: 'denyByCode', actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
            { target: 'denied', actions: 'deny' },
          ],
          REVOKE: { actions: { type: 'refuse', params: { problem: 'not-approved' } } },
        },
      },
      approved: {
        on: {
          MESSAGE: { actions: { type: 'touch', params: { effect: 'ignored' } } },
          APPROVE: [
            { guard: 'theCode', actions: { type: 'refuse', params: { problem: 'already-approved' } } },
            { actions: { type: 'refuse', params: { problem: 'unknown-code' } } },
          ],
          DENY: { actions: { type: 'refuse', params: { problem: 'approved' } } },
          REVOKE: { target: 'revoked', actions: 'revoke' },
        },
      },
      // Denied and revoked shut the sender out alike until the denial ends; they differ only in how
      // they began (and so in what status and the store's rows say).
      denied: shutOut,
      revoked: shutOut,
    },
  });
}

export type SenderMachine = ReturnType<typeof createSenderMachine>;
