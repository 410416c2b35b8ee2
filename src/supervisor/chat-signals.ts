/**
 * Typing and read receipts for one account (issue 17, items 1–2). Best effort and never on the
 * critical path: every `typing` / `read` request is fire-and-forget. Nothing waits for its answer;
 * an answer later than DEADLINE_MS is noted at debug, an error is logged at debug, and a reply is
 * never held for it.
 *
 * imsg runs `typing` and `read` on its FIFO mutation lane, the same lane as `send` (current spec
 * §4.1): a request written before a send is run before it, however slow imsg is with it. So when
 * typing requests go is decided by one pure rule (typing-rule.ts), applied here:
 * - `typing {typing:true}` GRACE_MS after the agent starts on a message (an agent that answers
 *   within it needs no indicator and puts no request in front of its reply), renewed every
 *   RENEW_MS while it works (imsg's spec gives no lifetime for the indicator; Messages hides a
 *   stale one after about a minute, so it is renewed well inside that);
 * - never while a finished turn's reply for the chat waits in the outbox (renewals are held), and
 *   never on top of an outstanding typing request of the chat;
 * - `typing {typing:false}` only once no agent works in the chat and the outbox has handed all the
 *   chat's replies to imsg (`afterSends`, the outbox's report): the stop queues behind the sends,
 *   never ahead of them (Messages clears the indicator on send anyway). A turn that produced no
 *   reply or failed has nothing waiting, so its indicator stops at once;
 * - a typing request already outstanding when a reply is ready is not waited for (that would put
 *   typing on the critical path): the send goes and imsg runs it after that one request. At most
 *   one typing request per chat is ever outstanding, so that is the worst case.
 * - Several turns in one chat share one indicator; while one still works after another's reply
 *   went, it is shown again after the grace (the send cleared it).
 * - Read receipt: `read` on the chat GRACE_MS after a message is accepted for an agent
 *   (sendReadReceipts); the chat's messages accepted meanwhile or while it is in flight fold into it.
 * - A capability imsg does not advertise (signal-support.ts) is skipped, with one warning per
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
  /** Its replies are queued, or the turn failed or was interrupted. */
  done(envelope: Envelope): void;
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
}

interface Typing extends TypingView {
  params: Record<string, unknown>;
  /** The next tick: the grace after a turn starts, then each renewal. */
  timer: unknown;
}

interface Reading {
  /** Another message of the chat was accepted while this `read` was in flight. */
  again: boolean;
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
  /** Chats with a `read` waiting for its grace or in flight. */
  private readonly reads = new Map<string, Reading>();
  private readonly warned = new Set<SignalCapability>();
  private readonly refused = new Set<SignalCapability>();
  private closed = false;

  constructor(private readonly o: ChatSignalsOptions) {}

  accepted(envelope: Envelope): void {
    if (this.closed || !this.o.settings.sendReadReceipts || !this.supported('read')) return;
    // `read` marks the whole chat read: the messages of one chat accepted within the grace, or
    // while a `read` is in flight, fold into one (a backlog of a thousand is not a thousand mutations).
    const key = chatKeyOf(envelope.replyTarget);
    const reading = this.reads.get(key);
    if (reading) {
      reading.again = true;
      return;
    }
    this.readLater(key, signalTargetOf(envelope));
  }

  private readLater(key: string, params: Record<string, unknown>): void {
    const reading: Reading = { again: false, timer: undefined };
    this.reads.set(key, reading);
    reading.timer = this.o.clock.setTimeout(() => {
      reading.timer = undefined;
      reading.again = false;
      this.call('read', params, () => {
        this.reads.delete(key);
        if (reading.again && !this.closed) this.readLater(key, params);
      });
    }, this.grace);
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
      chat = { params: signalTargetOf(envelope), working: 0, awaitingSends: 0, inFlight: false, shown: false, timer: undefined };
      this.chats.set(key, chat);
    }
    chat.working++;
    // After the grace: an agent that answers at once never has a typing request queued in front
    // of its reply in imsg's FIFO mutation lane.
    if (chat.timer === undefined) this.tickAfter(key, chat, this.grace);
  }

  done(envelope: Envelope): void {
    const key = this.turns.get(envelope.id);
    if (key === undefined) return;
    this.turns.delete(envelope.id);
    const chat = this.chats.get(key);
    if (!chat) return;
    chat.working--;
    chat.awaitingSends++;
    if (chat.working === 0) this.stopTicking(chat);
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
    if (typingRequest(chat) === 'off' && !this.closed && !this.refused.has('typing')) this.type(chat, false);
  }

  private tickAfter(key: string, chat: Typing, ms: number): void {
    chat.timer = this.o.clock.setTimeout(() => {
      chat.timer = undefined;
      if (this.closed || this.chats.get(key) !== chat || chat.working === 0) return;
      if (typingRequest(chat) === 'on' && this.supported('typing')) {
        chat.shown = true;
        this.type(chat, true);
      }
      this.tickAfter(key, chat, this.o.renewMs ?? RENEW_MS);
    }, ms);
  }

  private stopTicking(chat: Typing): void {
    if (chat.timer !== undefined) this.o.clock.clearTimeout(chat.timer);
    chat.timer = undefined;
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

  /** Shutdown: no more renewals (the child is going away with the indicator). */
  close(): void {
    this.closed = true;
    for (const chat of this.chats.values()) if (chat.timer !== undefined) this.o.clock.clearTimeout(chat.timer);
    for (const reading of this.reads.values()) if (reading.timer !== undefined) this.o.clock.clearTimeout(reading.timer);
    this.reads.clear();
    this.chats.clear();
    this.turns.clear();
  }

  private type(chat: Typing, on: boolean): void {
    chat.inFlight = true;
    this.call('typing', { ...chat.params, typing: on }, () => {
      chat.inFlight = false;
    });
  }

  /** Fire and forget: the caller never waits, and nothing here can throw. */
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
