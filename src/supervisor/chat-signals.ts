/**
 * Typing and read receipts for one account (issue 17, item 1 and its follow-up). Best effort and
 * never on the critical path: a reply never waits for a `typing` / `read` request, an answer later
 * than DEADLINE_MS is noted at debug, an error is logged at debug.
 *
 * imsg runs `typing`, `read` and `send` on ONE FIFO mutation lane per process, shared by all the
 * account's chats (current spec §4.1, the lanes table): a request written before a send is run
 * before it, however slow imsg is with it. So the rule is per account (per imsg child):
 * - what each chat wants is decided by typing-rule.ts: `typing {typing:true}` GRACE_MS after the
 *   agent starts on a message (an agent that answers within it needs no indicator), renewed every
 *   RENEW_MS while it works, never while a finished turn's reply of the chat waits in the outbox;
 *   `typing {typing:false}` only once no agent works in the chat and the outbox has handed the
 *   chat's replies to imsg (`afterSends`); `read` GRACE_MS after a message is accepted
 *   (sendReadReceipts), the chat's messages accepted meanwhile folding into it;
 * - what is wanted goes into the account's signal queue (signal-queue.ts): at most ONE signal call
 *   is in flight per account, the others wait, coalesced per chat (the latest wanted typing state,
 *   one pending read; a start no longer wanted is dropped, never sent);
 * - no signal call is issued while any reply of the account is queued or sending in the outbox
 *   (`lane.busy`); the queue is released by the outbox's next pass that finds no reply ready
 *   (`lane.afterIdle`), so signals go behind the sends, never in front of them;
 * - a reply never waits for a signal: the bound is that a send has at most ONE signal call (of any
 *   chat) ahead of it in imsg's lane, the one already in flight when the reply was queued;
 * - the in-flight call holds the queue until imsg answers or the client's mutation timeout fails
 *   it (the lane is then blocked for sends too, and the outbox restarts the child);
 * - a capability imsg does not advertise (signal-support.ts) is skipped, with one warning per
 *   account and capability.
 */
import type { Logger } from 'pino';
import { RpcError } from '../imsg/errors.js';
import type { ImsgRpcClient } from '../imsg/rpc-client.js';
import { type SignalCapability, signalSupport } from '../imsg/signal-support.js';
import { signalTargetOf, type TypingSettings, typingWanted } from '../routing/chat-signals.js';
import type { Envelope } from '../routing/envelope.js';
import { chatKeyOf } from '../routing/reply-target.js';
import type { Clock } from '../util/clock.js';
import { errorText } from '../util/typed-error.js';
import {
  dropTyping,
  EMPTY_QUEUE,
  issued,
  nextSignal,
  type QueuedSignal,
  type SignalQueue,
  settled,
  startOutstanding,
  wantRead,
  wantTyping,
} from './signal-queue.js';
import { typingRequest, type TypingView } from './typing-rule.js';

export const RENEW_MS = 25_000;
export const DEADLINE_MS = 5_000;
/** Typing and read wait this long after acceptance (fast answers need neither request in imsg's lane). */
export const GRACE_MS = 300;

/** What the inbound pipeline tells the signals about a turn. */
export interface TurnSignals {
  /** A new message was accepted for an agent (not a dropped one, not a reaction). */
  accepted(envelope: Envelope): void;
  /** The agent starts (or starts again) on this message. */
  working(envelope: Envelope): void;
  /** Its replies are queued, or the turn failed or was interrupted (by the envelope's id: a turn waiting for its commit keeps no envelope). */
  done(envelopeId: string): void;
}

export interface ChatSignalsOptions {
  settings: TypingSettings & { sendReadReceipts: boolean };
  /** The live imsg child, once negotiated; undefined while there is none. */
  client: () => ImsgRpcClient | undefined;
  clock: Clock;
  logger: Logger;
  renewMs?: number;
  deadlineMs?: number;
  graceMs?: number;
  /**
   * Calls `then` once the outbox has no reply of this chat ready to go to imsg any more (all handed
   * over, or waiting on something other than the lane). Without it, `then` runs at once.
   */
  afterSends?: (chatKey: string, then: () => void) => void;
  /**
   * The account's outbox as seen by the signal queue: `busy` while a reply is queued or sending;
   * `afterIdle(then)` calls `then` at its next pass that finds no reply ready (or when there is no
   * child to send on). Without it, signals are never held.
   */
  lane?: { busy(): boolean; afterIdle(then: () => void): void };
}

/** One chat's turns; whether a start is outstanding and whether it is shown live in the queue and `shownChats`. */
interface Typing extends Pick<TypingView, 'working' | 'awaitingSends'> {
  params: Record<string, unknown>;
  /** The next tick: the grace after a turn starts, then each renewal. */
  timer: unknown;
}

const NOTE: Record<SignalCapability, string> = {
  typing: 'typing indicator off for this account',
  read: 'read receipts off for this account',
  reactions: 'tapbacks are not passed to agents on this account',
};

export class ChatSignals implements TurnSignals {
  private readonly chats = new Map<string, Typing>();
  private readonly turns = new Map<string, string>();
  /** Chats with a `read` waiting for its grace (messages accepted meanwhile fold into it). */
  private readonly readTimers = new Map<string, unknown>();
  /** Chats whose last issued typing request was a start (their indicator needs a stop). */
  private readonly shownChats = new Set<string>();
  /** The account's signal queue: at most one call in flight, coalesced per chat (signal-queue.ts). */
  private queue: SignalQueue = EMPTY_QUEUE;
  /** A release is asked of the outbox (afterIdle) and not yet given. */
  private waitingIdle = false;
  private readonly warned = new Set<SignalCapability>();
  private readonly refused = new Set<SignalCapability>();
  private closed = false;

  constructor(private readonly o: ChatSignalsOptions) {}

  /** What waits and what is in flight (read by tests). */
  get pending(): SignalQueue {
    return this.queue;
  }

  accepted(envelope: Envelope): void {
    if (this.closed || !this.o.settings.sendReadReceipts || !this.supported('read')) return;
    // `read` marks the whole chat read: the messages of one chat accepted within the grace fold
    // into one, and the queue keeps at most one waiting per chat (a backlog of a thousand is not a
    // thousand mutations).
    const key = chatKeyOf(envelope.replyTarget);
    if (this.readTimers.has(key)) return;
    const params = signalTargetOf(envelope);
    this.readTimers.set(
      key,
      this.o.clock.setTimeout(() => {
        this.readTimers.delete(key);
        if (this.closed) return;
        this.queue = wantRead(this.queue, key, params);
        this.pump(false);
      }, this.grace),
    );
  }

  private get grace(): number {
    return this.o.graceMs ?? GRACE_MS;
  }

  working(envelope: Envelope): void {
    if (this.closed || this.turns.has(envelope.id)) return;
    if (!typingWanted(this.o.settings, envelope.chat) || !this.supported('typing')) return;
    const key = chatKeyOf(envelope.replyTarget);
    this.turns.set(envelope.id, key);
    let chat = this.chats.get(key);
    if (!chat) {
      chat = { params: signalTargetOf(envelope), working: 0, awaitingSends: 0, timer: undefined };
      this.chats.set(key, chat);
    }
    chat.working++;
    // After the grace: an agent that answers at once never has a typing request queued in front
    // of its reply in imsg's FIFO mutation lane.
    if (chat.timer === undefined) this.tickAfter(key, chat, this.grace);
  }

  done(envelopeId: string): void {
    const key = this.turns.get(envelopeId);
    if (key === undefined) return;
    this.turns.delete(envelopeId);
    const chat = this.chats.get(key);
    if (!chat) return;
    chat.working--;
    chat.awaitingSends++;
    if (chat.working === 0) {
      this.stopTicking(chat);
      // A start or renewal that has not gone yet is not wanted any more: dropped, never sent.
      this.queue = dropTyping(this.queue, key);
    }
    const handed = (): void => {
      chat.awaitingSends--;
      this.afterHanded(key, chat);
    };
    if (this.o.afterSends) this.o.afterSends(key, handed);
    else handed();
  }

  /** The outbox has handed this chat's replies to imsg (or a turn ended with none). */
  private afterHanded(key: string, chat: Typing): void {
    if (this.chats.get(key) !== chat || chat.awaitingSends > 0) return;
    if (chat.working > 0) {
      // Another turn still works: the send cleared the indicator in Messages, so show it again.
      this.stopTicking(chat);
      this.tickAfter(key, chat, this.grace);
      return;
    }
    this.chats.delete(key);
    this.stopTicking(chat);
    if (this.closed || this.refused.has('typing')) return;
    if (typingRequest(this.view(key, chat)) === 'off') {
      this.queue = wantTyping(this.queue, key, false, true, chat.params);
      this.pump(false);
    }
  }

  private view(key: string, chat: Typing): TypingView {
    return { working: chat.working, awaitingSends: chat.awaitingSends, inFlight: startOutstanding(this.queue, key), shown: this.shownChats.has(key) };
  }

  private tickAfter(key: string, chat: Typing, ms: number): void {
    chat.timer = this.o.clock.setTimeout(() => {
      chat.timer = undefined;
      if (this.closed || this.chats.get(key) !== chat || chat.working === 0) return;
      if (typingRequest(this.view(key, chat)) === 'on' && this.supported('typing')) {
        this.queue = wantTyping(this.queue, key, true, this.shownChats.has(key), chat.params);
        this.pump(false);
      }
      this.tickAfter(key, chat, this.o.renewMs ?? RENEW_MS);
    }, ms);
  }

  private stopTicking(chat: Typing): void {
    if (chat.timer !== undefined) this.o.clock.clearTimeout(chat.timer);
    chat.timer = undefined;
  }

  /**
   * Issues the next waiting signal when none is in flight and no reply of the account is queued
   * or sending; otherwise, while something waits, asks the outbox to release the queue at its next
   * pass that finds no reply ready. `released`: called from that release (the pass just found the
   * outbox idle, though it is still inside the pass).
   */
  private pump(released: boolean): void {
    if (this.closed) return;
    const held = !released && (this.o.lane?.busy() ?? false);
    const next = nextSignal(this.queue, held);
    if (!next) {
      if (held && !this.queue.inFlight && this.queue.waiting.length > 0 && !this.waitingIdle && this.o.lane) {
        this.waitingIdle = true;
        this.o.lane.afterIdle(() => {
          this.waitingIdle = false;
          this.pump(true);
        });
      }
      return;
    }
    this.queue = issued(this.queue);
    this.issue(next);
  }

  private issue(signal: QueuedSignal): void {
    const done = (): void => {
      this.queue = settled(this.queue);
      this.pump(false);
    };
    if (signal.kind === 'read') {
      if (!this.supported('read')) return done();
      this.call('read', signal.params, done);
      return;
    }
    if (signal.on) this.shownChats.add(signal.chat);
    else this.shownChats.delete(signal.chat);
    if (this.refused.has('typing')) return done();
    this.call('typing', { ...signal.params, typing: signal.on === true }, done);
  }

  /** Whether imsg offers it now; when it does not, says so once for this account. */
  supported(capability: SignalCapability): boolean {
    const support = this.refused.has(capability)
      ? { ok: false as const, why: `imsg refused \`${capability}\` as an unknown method` }
      : signalSupport(this.o.client()?.server, capability);
    if (support.ok) return true;
    this.warnOnce(capability, support.why);
    return false;
  }

  warnOnce(capability: SignalCapability, why: string): void {
    if (this.warned.has(capability)) return;
    this.warned.add(capability);
    this.o.logger.warn({ capability }, `${NOTE[capability]}: ${why}`);
  }

  /** Shutdown: no more renewals, nothing more issued (the child is going away with the indicator). */
  close(): void {
    this.closed = true;
    for (const chat of this.chats.values()) if (chat.timer !== undefined) this.o.clock.clearTimeout(chat.timer);
    for (const timer of this.readTimers.values()) this.o.clock.clearTimeout(timer);
    this.readTimers.clear();
    this.chats.clear();
    this.turns.clear();
    this.queue = EMPTY_QUEUE;
  }

  /** Fire and forget: no reply waits for it, and nothing here can throw; `settled` frees the queue. */
  private call(method: 'typing' | 'read', params: Record<string, unknown>, settled?: () => void): void {
    const client = this.o.client();
    if (!client?.isRunning) {
      settled?.();
      return;
    }
    const { clock, logger } = this.o;
    const deadlineMs = this.o.deadlineMs ?? DEADLINE_MS;
    const started = clock.now();
    let late = false;
    const timer = clock.setTimeout(() => {
      late = true;
      logger.debug({ method, deadlineMs }, `imsg has not answered \`${method}\` within the deadline; not waited for`);
    }, deadlineMs);
    const finish = (): void => {
      clock.clearTimeout(timer);
      settled?.();
    };
    let pending: Promise<unknown>;
    try {
      pending = client.request(method, params);
    } catch (err) {
      finish();
      logger.debug({ method, err: errorText(err) }, `\`${method}\` not sent`);
      return;
    }
    pending.then(
      () => {
        finish();
        if (late) logger.debug({ method, ms: clock.now() - started }, `\`${method}\` answered late`);
      },
      (err: unknown) => {
        finish();
        if (err instanceof RpcError && err.code === -32601) {
          this.refused.add(method);
          this.warnOnce(method, `imsg answered -32601 (method not found)`);
          return;
        }
        logger.debug({ method, err: errorText(err) }, `\`${method}\` failed (best effort; nothing depends on it)`);
      },
    );
  }
}
