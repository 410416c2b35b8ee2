/**
 * Delivers an account's outbox rows through its live imsg child, exactly once:
 * - a row is marked `sending` (durably) before it is written to imsg; a row found `sending` or
 *   `unknown` later (deadline passed, child died mid-send, gateway killed) is reconciled before any
 *   retry: by its attempt id (message.send_status) when it went by send.tracked, otherwise against
 *   the target chat's history (an is_from_me row with that text since the attempt);
 * - tracked sends (tracked-send.ts): when imsg offers send.tracked and message.send_status, a text
 *   row goes with an attempt id derived from its idempotency key and stored with the `sending` mark;
 *   a message under that id means delivered; none yet is polled, then re-submitted under the same id
 *   (imsg sends it at most once; "attempt_id already identifies a message" means delivered);
 * - a file whose reconciliation finds it more than once in the chat is ambiguous: the row stays
 *   `unknown`, the operator is told, and it is never sent again by the gateway;
 * - rows of one chat go in id order; chats take turns (round-robin over each chat's oldest row,
 *   fair-scheduler.ts), so one huge reply never holds up another chat, nor does a chat that waits;
 * - what a failed send means is decided by one rule (imsg/send-failure.ts): proven not sent backs
 *   off and retries; may have been sent (-32001, a deadline, the child dying) is reconciled, never
 *   resent blindly; a send still in flight in imsg (-32004 after it) stops sends on that child and
 *   restarts it (onLaneBlocked); Automation denied or an invalid target fail with the reason;
 * - an unknown outcome, and its reconciliation, hold only their own chat: reconciliation runs beside
 *   the sends of other chats, a chat whose reconciliation failed is tried again after a pause;
 * - the outbox waits while the account is not streaming and drains when it is;
 * - `afterSends(chat, then)` (the typing indicator, chat-signals.ts): `then` runs at the first pass
 *   that finds no row of that chat ready to go to imsg (all handed over and answered, or the chat
 *   waits on a backoff, a hold, a reconciliation or the breaker), or when there is no child to send on;
 *   `afterIdle(then)` likewise once no row of ANY chat is ready, and `busy()` says a pass or send is
 *   under way: the account's typing / read queue is held by them (imsg has one lane for all chats);
 * - the echo-loop breaker pauses a chat that keeps receiving replies without anyone writing back;
 *   it counts reply turns (all rows of one agent turn are one send) and never holds a turn that
 *   has begun, so a long reply is never cut off midway.
 */
import { basename } from 'node:path';
import type { Logger } from 'pino';
import type { ImsgRpcClient } from '../imsg/rpc-client.js';
import { attemptIdFor } from '../imsg/attempt-id.js';
import { classifySendFailure } from '../imsg/send-failure.js';
import type { ImsgChat, ImsgMessage, ImsgSendResult } from '../imsg/types.js';
import { backoffDelay } from '../account-rules/backoff.js';
import type { ReplyTarget } from '../routing/envelope.js';
import { sendParamsFor } from '../routing/reply-target.js';
import type { GatewayStore, OutboxHead, OutboxRow } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { errorText } from '../util/typed-error.js';
import type { AccountCounters } from './account-counters.js';
import { ChatHolds } from './chat-holds.js';
import { FairScheduler } from './fair-scheduler.js';
import type { LoopBreaker } from './loop-breaker.js';
import { askSendStatus, decideTracked, sendsTracked, statusAvailable, TRACKED_PENDING_MS, TRACKED_POLL_MS } from './tracked-send.js';
import { reportedType, tapbackParams, VALID_REACTIONS_TEXT } from '../agents/agent-reaction.js';
import {
  emojiTapbackVersion,
  NO_BRIDGE_REASON,
  noBridgeReason,
  tapbackRefusal,
  textFormattingAvailable,
  threadedRepliesAvailable,
} from '../imsg/bridge-features.js';
import { RpcError } from '../imsg/errors.js';
import { markdownToFormatting } from '../imsg/text-formatting.js';
import { decodeAction, describeAction, type OutboxAction } from './outbox-action.js';
import { findTapbackTarget, TARGET_PAGE, TARGET_SEARCH_PAGES } from './tapback-target.js';

export interface OutboxSenderOptions {
  accountId: string;
  store: GatewayStore;
  region: string;
  /** imessage.service: used for handle targets that do not name their service. */
  service: 'imessage' | 'sms' | 'auto';
  sendTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  counters: AccountCounters;
  breaker: LoopBreaker;
  /**
   * A send is still in flight inside imsg (`still_in_flight`, or -32004 for a later one): the child
   * accepts no more sends until it is restarted. The account restarts it; sends resume on the new one.
   */
  onLaneBlocked?: (error: unknown) => void;
  /** How long a chat waits after an unknown outcome before it is reconciled (a late receipt row). Default 2 s. */
  unknownSettleMs?: number;
  /** Tracked sends: how often to ask again while no message has the attempt id (default 2 s)... */
  trackedPollMs?: number;
  /** ...and for how long after the attempt before re-submitting it under the same id (default 60 s). */
  trackedPendingMs?: number;
}

const MAX_ATTEMPTS = 5;
const RETRY = { initialMs: 2000, maxMs: 60_000 };
const STORE_RETRY_MS = 1000;
/** How far before the attempt a history row may be dated and still count as ours (clock skew). */
const RECONCILE_SLACK_MS = 5000;
const UNKNOWN_SETTLE_MS = 2000;
/** A chat whose reconciliation failed (imsg busy, restarting) tries again after this. */
const RECONCILE_RETRY_MS = 2000;

export class OutboxSender {
  private client: ImsgRpcClient | undefined;
  private draining = false;
  private again = false;
  private timer: unknown;
  private readonly announcedPause = new Set<string>();
  private readonly scheduler = new FairScheduler();
  /** Chats waiting out a settle or reconcile pause. */
  private readonly holds = new ChatHolds();
  /** Chats whose unknown head row is being reconciled right now (beside the other chats' sends). */
  private readonly reconciling = new Set<string>();
  /** The child whose mutation lane is blocked: no more sends on it. */
  private blockedClient: ImsgRpcClient | undefined;
  /** Unknown rows whose file is in the chat more than once: left to the operator, never resent. */
  private readonly ambiguousRows = new Set<number>();
  /** Threaded replies went as plain messages (no bridge): said once per account, not per message. */
  private announcedNoThreads = false;
  /** afterSends callers, by chat: told once no row of their chat is ready to send. */
  private readonly sendWaiters = new Map<string, Array<() => void>>();
  /** afterIdle callers: told once no row of any chat is ready to send. */
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: OutboxSenderOptions) {}

  /** The live client while the account streams; undefined otherwise. */
  attach(client: ImsgRpcClient | undefined): void {
    // A new child: pauses taken on the old one no longer apply (reconcile on the new one at once).
    if (client && client !== this.client && client !== this.blockedClient) this.holds.clear();
    this.client = client;
    if (client) this.kick();
  }

  /** New rows may be waiting (a reply, a CLI send, a resumed chat). */
  kick(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  /**
   * Calls `then` once no row of this chat is ready to go to imsg: at the next pass over the outbox
   * (kicked now) that does not find one, so after the chat's ready rows have been sent. Used to keep
   * `typing:false` behind the chat's replies in imsg's FIFO mutation lane, never in front of them.
   */
  afterSends(chatKey: string, then: () => void): void {
    const list = this.sendWaiters.get(chatKey);
    if (list) list.push(then);
    else this.sendWaiters.set(chatKey, [then]);
    this.kick();
  }

  /**
   * A pass or a send is under way: a reply of the account is queued (kicked) or being handed to
   * imsg. False once a pass found no row ready (those left wait on a backoff, a hold, a
   * reconciliation or the breaker, not on imsg's lane). Read by the signal queue (chat-signals.ts).
   */
  busy(): boolean {
    return this.draining;
  }

  /**
   * Calls `then` at the next pass (kicked now) that finds no row of any chat ready to go to imsg,
   * or when there is no child to send on. Releases the account's signal queue (chat-signals.ts)
   * behind every waiting reply.
   */
  afterIdle(then: () => void): void {
    this.idleWaiters.push(then);
    this.kick();
  }

  /** Tells the afterSends callers of every chat not in `ready` (all of them when undefined), and the afterIdle callers when nothing is ready. */
  private releaseWaiters(ready: ReadonlySet<string> | undefined): void {
    if (this.idleWaiters.length > 0 && (ready === undefined || ready.size === 0)) {
      const list = this.idleWaiters;
      this.idleWaiters = [];
      for (const then of list) {
        try {
          then();
        } catch (err) {
          this.o.logger.debug({ err: errorText(err) }, 'outbox: an afterIdle callback threw');
        }
      }
    }
    if (this.sendWaiters.size === 0) return;
    for (const [chatKey, list] of [...this.sendWaiters]) {
      if (ready?.has(chatKey)) continue;
      this.sendWaiters.delete(chatKey);
      for (const then of list) {
        try {
          then();
        } catch (err) {
          this.o.logger.debug({ chat: chatKey, err: errorText(err) }, 'outbox: an afterSends callback threw');
        }
      }
    }
  }

  stop(): void {
    this.releaseWaiters(undefined);
    this.client = undefined;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      do {
        this.again = false;
        while (await this.sendNext()) {
          // keep going while rows are settled
        }
      } while (this.again);
    } catch (err) {
      this.o.logger.warn({ err: errorText(err) }, 'outbox: state database unavailable; retrying shortly');
      this.schedule(STORE_RETRY_MS);
    } finally {
      this.draining = false;
    }
  }

  /** Sends (or settles, or starts reconciling) one row. False when nothing more can be done now. */
  private async sendNext(): Promise<boolean> {
    const client = this.client;
    if (!client?.isRunning || client === this.blockedClient) {
      // No lane to send on: nothing can be ahead of a reply in it.
      this.releaseWaiters(undefined);
      return false;
    }
    const head = this.nextEligible();
    if (!head) return false;
    if (head.row.state === 'sending' || head.row.state === 'unknown') {
      this.startReconcile(client, head);
      return true;
    }
    return this.attempt(client, head.row, head.startsTurn);
  }

  /**
   * Reconciles a chat's unknown head row beside the other chats' sends: delivered → sent; not in
   * the chat → queued again (or failed once it has had its attempts); cannot tell yet → this chat
   * waits RECONCILE_RETRY_MS and tries again. The chat is skipped meanwhile, so its order holds.
   */
  private startReconcile(client: ImsgRpcClient, { row, startsTurn }: OutboxHead): void {
    this.reconciling.add(row.chatKey);
    void this.reconcile(client, row, startsTurn).finally(() => {
      this.reconciling.delete(row.chatKey);
      this.kick();
    });
  }

  private async reconcile(client: ImsgRpcClient, row: OutboxRow, startsTurn: boolean): Promise<void> {
    const { store, logger, clock } = this.o;
    try {
      if (row.action !== null) {
        await this.reconcileAction(client, row, startsTurn);
        return;
      }
      if (row.attemptId !== null && statusAvailable(client)) {
        await this.reconcileTracked(client, row, row.attemptId, startsTurn);
        return;
      }
      const found = await this.deliveredRow(client, row);
      if (found.ambiguous > 1) {
        this.ambiguous(row, found.ambiguous);
        return;
      }
      const evidence = found.row;
      if (evidence) {
        store.markSent(row.id, { rowid: evidence.id, ...(evidence.guid ? { guid: evidence.guid } : {}) });
        this.settledSent(row, startsTurn, 'reconciled: the earlier attempt did arrive; not sending again');
        return;
      }
      if (row.attempts >= MAX_ATTEMPTS) {
        store.markFailed(row.id, `not delivered after ${row.attempts} attempts whose outcome was unknown: ${row.error ?? ''}`);
        this.o.counters.sendFailed++;
        logger.error({ outboxId: row.id, chat: row.chatKey }, `send failed after ${row.attempts} attempts whose outcome was unknown and that are not in the chat`);
        return;
      }
      // Not in the chat: the earlier attempt never reached Messages. Queue it again.
      store.scheduleRetry(row.id, clock.now(), 'reconciled: the earlier attempt did not arrive');
      logger.info({ outboxId: row.id }, 'reconciled: the earlier attempt did not arrive; sending again');
    } catch (err) {
      this.holds.hold(row.chatKey, clock.now() + RECONCILE_RETRY_MS);
      logger.warn(
        { outboxId: row.id, chat: row.chatKey, retryInMs: RECONCILE_RETRY_MS, err: errorText(err) },
        'outbox: cannot reconcile an unknown send yet; this chat waits, the others go on',
      );
    }
  }

  /**
   * A tracked row whose outcome was unknown: asks imsg for its attempt id. Found → sent. Not yet →
   * this chat asks again shortly, and after the window the row is queued again: the next attempt
   * re-submits the same attempt id, which imsg sends at most once. An unreadable answer never
   * counts as delivered: the chat waits and asks again.
   */
  private async reconcileTracked(client: ImsgRpcClient, row: OutboxRow, attemptId: string, startsTurn: boolean): Promise<void> {
    const { store, logger, clock } = this.o;
    const verdict = await askSendStatus(client, attemptId);
    const now = clock.now();
    const d = decideTracked(verdict, now, row.lastAttemptAt, this.o.trackedPendingMs ?? TRACKED_PENDING_MS, this.o.trackedPollMs ?? TRACKED_POLL_MS);
    switch (d.action) {
      case 'sent':
        store.markSent(row.id, { guid: attemptId });
        if (d.state === 'failed') {
          logger.warn({ outboxId: row.id, chat: row.chatKey }, 'the message is in the chat, but Messages recorded an error for it (send_state failed); not sending it again');
        }
        this.settledSent(row, startsTurn, 'reconciled: the earlier attempt did arrive; not sending again');
        return;
      case 'poll':
        this.holds.hold(row.chatKey, now + d.inMs);
        logger.debug({ outboxId: row.id, chat: row.chatKey }, 'tracked send: no message with its attempt id yet; asking again shortly');
        return;
      case 'unreadable':
        this.holds.hold(row.chatKey, now + d.inMs);
        logger.warn({ outboxId: row.id, chat: row.chatKey, reason: d.reason }, 'tracked send: imsg answered message.send_status in a form this gateway does not know; the outcome stays unknown (this chat waits, the others go on)');
        return;
      case 'resubmit':
        if (row.attempts >= MAX_ATTEMPTS) {
          store.markFailed(row.id, `not delivered after ${row.attempts} tracked attempts whose outcome was unknown: ${row.error ?? ''}`);
          this.o.counters.sendFailed++;
          logger.error({ outboxId: row.id, chat: row.chatKey }, `send failed after ${row.attempts} tracked attempts: no message with its attempt id appeared`);
          return;
        }
        store.scheduleRetry(row.id, now, 'reconciled: no message with the attempt id; re-submitting the same attempt id (imsg sends it at most once)');
        logger.info({ outboxId: row.id, chat: row.chatKey }, 'reconciled: no message with the attempt id yet; re-submitting it under the same attempt id');
        return;
    }
  }

  /** A file found more than once in the chat since the attempt: which one is ours cannot be told. */
  private ambiguous(row: OutboxRow, matches: number): void {
    const reason =
      `ambiguous: the file is in the chat ${matches} times since this attempt, so whether this send went out cannot be told; ` +
      `the gateway will not send it again. Check the chat, then \`imessage-gateway delivery purge send-${row.id} --force\` ` +
      `if it arrived, or \`imessage-gateway delivery retry send-${row.id} --force\` to send it again`;
    this.o.store.markUnknown(row.id, reason);
    if (!this.ambiguousRows.has(row.id)) this.o.counters.sendAmbiguous++;
    this.ambiguousRows.add(row.id);
    this.o.logger.warn({ outboxId: row.id, chat: row.chatKey, matches }, `send outcome ${reason}; later sends to this chat wait for that decision`);
  }

  /**
   * The next row to send: each chat's oldest unsettled row is a candidate unless its chat waits
   * (retry backoff, or the breaker holds a reply turn that has not begun); the scheduler takes the
   * chat served longest ago.
   */
  private nextEligible(): OutboxHead | undefined {
    const now = this.o.clock.now();
    let wake: number | undefined;
    const heads = this.o.store.outboxHeads(this.o.accountId);
    const ready: Array<OutboxHead & { chatKey: string; id: number }> = [];
    for (const head of heads) {
      const { row } = head;
      if (this.reconciling.has(row.chatKey)) continue;
      // An ambiguous file holds its chat (order is kept) until the operator retries or discards it.
      if (row.state === 'unknown' && this.ambiguousRows.has(row.id)) continue;
      const held = this.holds.heldUntil(row.chatKey, now);
      if (held !== undefined) {
        wake = Math.min(wake ?? Infinity, held);
        continue;
      }
      if (this.heldByBreaker(head)) {
        this.announcePause(row.chatKey);
        continue;
      }
      if (row.nextAttemptAt !== null && row.nextAttemptAt > now) {
        wake = Math.min(wake ?? Infinity, row.nextAttemptAt);
        continue;
      }
      ready.push({ ...head, chatKey: row.chatKey, id: row.id });
    }
    this.scheduler.retain(heads.map((h) => h.row.chatKey));
    this.releaseWaiters(new Set(ready.map((h) => h.chatKey)));
    const pick = this.scheduler.pick(ready);
    if (!pick && wake !== undefined) this.schedule(wake - now);
    return pick;
  }

  /** Only a reply turn that has not begun waits for a paused chat; a begun one is finished. */
  private heldByBreaker({ row, startsTurn }: OutboxHead): boolean {
    return (
      row.source === 'reply' &&
      startsTurn &&
      row.state === 'queued' &&
      row.attempts === 0 &&
      this.o.breaker.isPaused(row.chatKey)
    );
  }

  private async attempt(client: ImsgRpcClient, row: OutboxRow, startsTurn: boolean): Promise<boolean> {
    const { store, logger } = this.o;
    if (row.action !== null) return this.attemptAction(client, row, startsTurn);
    const target = JSON.parse(row.target) as ReplyTarget;
    const attemptId = sendsTracked(row, client) ? (row.attemptId ?? attemptIdFor(row.idempotencyKey)) : undefined;
    // Durable before imsg sees the send: after any crash from here on, the row is reconciled by this id.
    store.markSending(row.id, attemptId);
    await store.durable();
    try {
      const withService = target.service ? target : { ...target, service: this.o.service };
      const params: Record<string, unknown> = { ...sendParamsFor(withService, this.o.region), ...this.textParams(client, row) };
      if (row.file) params.file = row.file;
      if (attemptId) params.attempt_id = attemptId;
      if (row.replyTo !== null) {
        if (threadedRepliesAvailable(client.server)) params.reply_to = row.replyTo;
        else this.noThreads(noBridgeReason(client.server));
      }
      const method = attemptId ? 'send.tracked' : 'send';
      let result: ImsgSendResult;
      try {
        result = await client.request<ImsgSendResult>(method, params, this.o.sendTimeoutMs);
      } catch (err) {
        // The bridge went away between status and this send: imsg refused the reply before sending
        // anything (-32602, §8.1). It goes as a plain message.
        if (params.reply_to === undefined || !refusedThreadedReply(err)) throw err;
        delete params.reply_to;
        this.noThreads(NO_BRIDGE_REASON);
        result = await client.request<ImsgSendResult>(method, params, this.o.sendTimeoutMs);
      }
      const guid = typeof result?.guid === 'string' ? result.guid : attemptId;
      store.markSent(row.id, {
        ...(typeof result?.id === 'number' ? { rowid: result.id } : {}),
        ...(guid !== undefined ? { guid } : {}),
      });
      this.settledSent(row, startsTurn, 'reply sent');
      return true;
    } catch (err) {
      return this.failed(client, row, target, err, startsTurn, attemptId);
    }
  }

  /**
   * `text`, and `text_formatting` where imsg renders it (bridge): markdown emphasis becomes native
   * ranges with the markers removed, per row (a row is one chunk). Otherwise the text as written.
   */
  private textParams(client: ImsgRpcClient, row: OutboxRow): Record<string, unknown> {
    const text = row.text;
    // Agent replies only: an operator's or the pairing flow's text is sent exactly as written.
    if (text === '' || row.source !== 'reply' || !textFormattingAvailable(client.server)) return { text };
    const formatted = markdownToFormatting(text);
    return formatted.ranges.length > 0 ? { text: formatted.text, text_formatting: formatted.ranges } : { text };
  }

  private noThreads(reason: string): void {
    if (this.announcedNoThreads) return;
    this.announcedNoThreads = true;
    this.o.logger.warn(
      { reason },
      'imsg cannot send threaded replies here; replies to threaded messages go as plain messages (said once for this account)',
    );
  }

  /**
   * An action row (an agent's tapback): refused with the reason when imsg does not advertise what
   * it needs; otherwise sent like a reply (durably `sending` first, then reconciled if its outcome
   * is unknown), so it happens exactly once.
   */
  private async attemptAction(client: ImsgRpcClient, row: OutboxRow, startsTurn: boolean): Promise<boolean> {
    const { store, logger } = this.o;
    const action = decodeAction(row.action);
    const refusal = action ? this.actionRefusal(client, action) : 'this gateway does not know this outbox action';
    if (refusal !== undefined || !action) {
      store.markFailed(row.id, `refused: ${refusal}`);
      logger.warn({ outboxId: row.id, envelopeId: row.envelopeId ?? undefined, chat: row.chatKey }, `agent action refused: ${refusal}`);
      return true;
    }
    store.markSending(row.id, undefined);
    await store.durable();
    const target = JSON.parse(row.target) as ReplyTarget;
    try {
      const selector = action.chatGuid ? { chat_guid: action.chatGuid } : { chat_id: action.chatId };
      const result = await client.request<ImsgSendResult>(
        'tapback',
        { ...selector, message_id: action.target, ...tapbackParams(action.reaction) },
        this.o.sendTimeoutMs,
      );
      store.markSent(row.id, typeof result?.guid === 'string' ? { guid: result.guid } : {});
      this.settledSent(row, startsTurn, `${describeAction(action)} sent`);
      return true;
    } catch (err) {
      return this.failed(client, row, target, err, startsTurn, undefined);
    }
  }

  /** Why imsg cannot do this action now; undefined when it can. */
  private actionRefusal(client: ImsgRpcClient, action: OutboxAction): string | undefined {
    const info = client.server;
    const noTapback = tapbackRefusal(info);
    if (noTapback !== undefined) return noTapback;
    if (!action.chatGuid && action.chatId === undefined) return 'the chat of the message has no guid or id to send a tapback to';
    if ('emoji' in action.reaction && emojiTapbackVersion(info) < 2) {
      return `imsg does not advertise emoji tapbacks (capabilities.features["tapback.emoji"] is ${emojiTapbackVersion(info)}, 2 is needed); use one of ${VALID_REACTIONS_TEXT}`;
    }
    return undefined;
  }

  /**
   * A tapback whose outcome is unknown: the target message's reactions[] in the chat's history
   * tell whether ours is there. Found → sent; not there → queued again; the target not in the
   * history page → failed, never sent twice (a second tapback of the same kind can undo the first).
   */
  private async reconcileAction(client: ImsgRpcClient, row: OutboxRow, startsTurn: boolean): Promise<void> {
    const { store, logger, clock } = this.o;
    const action = decodeAction(row.action);
    if (!action) {
      store.markFailed(row.id, 'refused: this gateway does not know this outbox action');
      return;
    }
    const chatId = action.chatId ?? (await this.findChat(client, { to: '', chatGuid: action.chatGuid ?? '' }));
    const rowid = store.journalledRowid(this.o.accountId, action.target);
    const targetMessage =
      chatId === undefined ? undefined : await findTapbackTarget(client, { chatId, guid: action.target, ...(rowid !== undefined ? { rowid } : {}) });
    if (!targetMessage) {
      store.markFailed(
        row.id,
        `${describeAction(action)}: outcome unknown and its target message is not found in the chat (by its row id, nor in its last ${TARGET_PAGE * TARGET_SEARCH_PAGES} messages); not sent again`,
      );
      logger.warn({ outboxId: row.id, chat: row.chatKey }, 'tapback outcome unknown and cannot be checked; not sending it again');
      return;
    }
    const type = reportedType(action.reaction);
    const emoji = 'emoji' in action.reaction ? action.reaction.emoji : undefined;
    const ours = targetMessage.reactions.some((r) => r.is_from_me && r.type === type && (emoji === undefined || r.emoji === emoji));
    if (ours) {
      store.markSent(row.id, {});
      this.settledSent(row, startsTurn, 'reconciled: the earlier tapback did arrive; not sending again');
      return;
    }
    // Not there yet, but the attempt may still be running (an imsg child left behind by a killed
    // gateway drains what it accepted): ask again until its deadline has passed.
    const settleUntil = (row.lastAttemptAt ?? 0) + Math.max(this.o.sendTimeoutMs, RECONCILE_RETRY_MS);
    if (clock.now() < settleUntil) {
      this.holds.hold(row.chatKey, Math.min(settleUntil, clock.now() + RECONCILE_RETRY_MS));
      return;
    }
    if (row.attempts >= MAX_ATTEMPTS) {
      store.markFailed(row.id, `not delivered after ${row.attempts} attempts whose outcome was unknown: ${row.error ?? ''}`);
      this.o.counters.sendFailed++;
      return;
    }
    store.scheduleRetry(row.id, clock.now(), 'reconciled: the earlier tapback did not arrive');
    logger.info({ outboxId: row.id }, 'reconciled: the earlier tapback did not arrive; sending again');
  }

  /** Acts on the send-failure rule's verdict. False when this child takes no more sends. */
  private failed(
    client: ImsgRpcClient,
    row: OutboxRow,
    target: ReplyTarget,
    err: unknown,
    startsTurn: boolean,
    attemptId: string | undefined,
  ): boolean {
    const { store, logger, clock } = this.o;
    const outcome = classifySendFailure(err);
    switch (outcome.kind) {
      case 'delivered':
        // A re-submitted tracked send whose earlier attempt landed (§8.4): sent, not an error.
        store.markSent(row.id, attemptId !== undefined ? { guid: attemptId } : {});
        this.settledSent(row, startsTurn, 'reconciled: the attempt id already names a message (an earlier attempt arrived); not sending again');
        return true;
      case 'failed':
        store.markFailed(row.id, outcome.reason);
        this.o.counters.sendFailed++;
        logger.error({ outboxId: row.id, to: target.to, remediation: outcome.remediation, errorClass: outcome.errorClass }, `send failed for good: ${outcome.reason}`);
        return true;
      case 'retry': {
        if (row.attempts + 1 >= MAX_ATTEMPTS) {
          store.markFailed(row.id, `gave up after ${MAX_ATTEMPTS} attempts: ${outcome.reason}`);
          this.o.counters.sendFailed++;
          logger.error({ outboxId: row.id, to: target.to }, `send failed after ${MAX_ATTEMPTS} attempts: ${outcome.reason}`);
          return true;
        }
        const delay = backoffDelay(row.attempts, RETRY);
        store.scheduleRetry(row.id, clock.now() + delay, outcome.reason);
        logger.warn({ outboxId: row.id, to: target.to, retryInMs: delay }, `send failed, will retry: ${outcome.reason}`);
        return true;
      }
      case 'blocked':
        // This send never ran: it goes again, after the child restarted.
        store.scheduleRetry(row.id, clock.now(), outcome.reason);
        this.laneBlocked(client, err);
        return false;
      case 'unknown': {
        store.markUnknown(row.id, outcome.reason);
        this.o.counters.sendUnknown++;
        const settleMs = this.o.unknownSettleMs ?? UNKNOWN_SETTLE_MS;
        logger.warn(
          { outboxId: row.id, to: target.to, chat: row.chatKey, poisonsLane: outcome.poisonsLane, err: outcome.reason },
          'send outcome unknown; it will be reconciled with the chat history before any retry (this chat waits, the others go on)',
        );
        if (outcome.poisonsLane) {
          this.laneBlocked(client, err);
          return false;
        }
        // Deadline, child exit, client stopped: the account restarts the child, then reconciles.
        if (outcome.childGone) return false;
        this.holds.hold(row.chatKey, clock.now() + settleMs);
        return true;
      }
    }
  }

  /** Stops sending on this child and has the account restart it (imsg-rpc-current.md §4.3). */
  private laneBlocked(client: ImsgRpcClient, err: unknown): void {
    if (this.blockedClient === client) return;
    this.blockedClient = client;
    this.o.logger.warn(
      { err: errorText(err) },
      'imsg has a send still in flight and accepts no more sends until it is restarted: restarting it, then reconciling and resuming',
    );
    this.o.onLaneBlocked?.(err);
  }

  private settledSent(row: OutboxRow, startsTurn: boolean, message: string): void {
    this.o.counters.sent++;
    if (row.source === 'reply' && this.o.breaker.noteSent(row.chatKey, row.text, startsTurn)) this.announcePause(row.chatKey);
    this.o.logger.info({ outboxId: row.id, envelopeId: row.envelopeId ?? undefined, chat: row.chatKey, chars: row.text.length }, message);
    this.o.logger.debug({ outboxId: row.id, text: row.text }, 'sent text');
  }

  private announcePause(chatKey: string): void {
    if (this.announcedPause.has(chatKey)) return;
    this.announcedPause.add(chatKey);
    this.o.logger.warn(
      { chat: chatKey },
      'echo-loop breaker: this chat got imessage.maxSendsWithoutInbound reply turns that no message from anyone else asked for; its new replies are paused until someone writes there',
    );
  }

  /**
   * A message arrived in the chat: resume it if it was paused and someone else wrote. True when the
   * message pays for a reply turn (it is not a reflection of our own text).
   */
  noteInbound(chatKey: string, text: string): boolean {
    const pays = !this.o.breaker.isReflection(chatKey, text);
    if (this.o.breaker.noteInbound(chatKey, text)) {
      this.announcedPause.delete(chatKey);
      this.o.logger.info({ chat: chatKey }, 'echo-loop breaker: chat resumed');
      this.kick();
    }
    return pays;
  }

  /**
   * The chat.db row that proves an earlier attempt arrived: one of ours (is_from_me), same text,
   * dated after the attempt, and not already claimed as the delivery of another outbox row (the
   * same text sent twice on purpose is two rows, each claimed once).
   */
  private async deliveredRow(client: ImsgRpcClient, row: OutboxRow): Promise<{ row?: ImsgMessage; ambiguous: number }> {
    if (row.lastAttemptAt === null) return { ambiguous: 0 };
    const target = JSON.parse(row.target) as ReplyTarget;
    const chatId = target.chatId ?? (await this.findChat(client, target));
    if (chatId === undefined) return { ambiguous: 0 };
    const { messages } = await client.request<{ messages: ImsgMessage[] }>('messages.history', {
      chat_id: chatId,
      limit: 50,
      ...(row.file ? { attachments: true } : {}),
    });
    const since = row.lastAttemptAt - RECONCILE_SLACK_MS;
    // A file goes out as its own row (text U+FFFC); imsg copies it first, so match on its name.
    const fileName = row.file ? basename(row.file) : undefined;
    // A reply sent with native formatting arrived without its markers.
    const plainText = row.source === 'reply' ? markdownToFormatting(row.text).text : row.text;
    const same = (m: ImsgMessage) =>
      fileName !== undefined
        ? m.attachments.some((a) => a.transfer_name === fileName || basename(a.filename) === fileName)
        : m.text === row.text || m.text === plainText;
    const unclaimed = messages
      .filter((m) => m.is_from_me && same(m) && Date.parse(m.created_at) >= since)
      .sort((a, b) => a.id - b.id)
      .filter((m) => !this.o.store.isSentRowidClaimed(this.o.accountId, m.id, m.guid || undefined));
    // A file-only send has no text to tell two copies apart: more than one is ambiguous (§8.2).
    if (fileName !== undefined && row.text === '' && unclaimed.length > 1) {
      return { ambiguous: unclaimed.length };
    }
    const first = unclaimed[0];
    return first ? { row: first, ambiguous: 0 } : { ambiguous: 0 };
  }

  private async findChat(client: ImsgRpcClient, target: ReplyTarget): Promise<number | undefined> {
    const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit: 500 });
    if (target.chatGuid) return chats.find((c) => c.guid === target.chatGuid)?.id;
    if (target.chatIdentifier) return chats.find((c) => c.identifier === target.chatIdentifier)?.id;
    const handle = (target.handle ?? target.to).toLowerCase();
    return chats.find((c) => !c.is_group && c.identifier.toLowerCase() === handle)?.id;
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, Math.max(ms, 10));
  }
}

/** imsg refused a threaded reply because it has no bridge path (§8.1): nothing was sent. */
function refusedThreadedReply(err: unknown): boolean {
  return err instanceof RpcError && err.code === -32602 && /reply_to requires bridge transport/.test(err.data ?? '');
}
