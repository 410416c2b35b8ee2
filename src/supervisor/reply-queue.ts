/**
 * Replies waiting to be sent through an account's live imsg child, in order. It drains while the
 * account is streaming and waits while it is not. A send whose outcome is unknown (deadline passed,
 * child died mid-send) is reconciled against the chat's history before it is sent again, so a
 * reply is neither lost nor sent twice. Permanent failures (Automation denied, invalid target)
 * are dropped with a logged reason.
 *
 * In memory for now: the durable outbox of the durability issue replaces this queue's storage,
 * not its rules. Replies still queued when the gateway stops are counted and logged.
 */
import type { Logger } from 'pino';
import { AutomationDeniedError, ImsgError, RpcError } from '../imsg/errors.js';
import type { ImsgRpcClient } from '../imsg/rpc-client.js';
import type { ImsgChat, ImsgMessage } from '../imsg/types.js';
import type { ReplyTarget } from '../routing/envelope.js';
import { sendParamsFor } from '../routing/reply-target.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';

interface QueuedReply {
  envelopeId: string | undefined;
  target: ReplyTarget;
  text: string;
  enqueuedAt: number;
  attempts: number;
  lastAttemptAt: number;
  /** The last attempt may or may not have reached Messages. */
  outcomeUnknown: boolean;
}

export interface ReplyQueueOptions {
  region: string;
  sendTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  counters: AccountCounters;
}

export class ReplyQueue {
  private readonly items: QueuedReply[] = [];
  private client: ImsgRpcClient | undefined;
  private draining = false;

  constructor(private readonly options: ReplyQueueOptions) {}

  get depth(): number {
    return this.items.length;
  }

  get oldestEnqueuedAt(): number | undefined {
    return this.items[0]?.enqueuedAt;
  }

  enqueue(target: ReplyTarget, text: string, envelopeId?: string): void {
    this.items.push({
      envelopeId,
      target,
      text,
      enqueuedAt: this.options.clock.now(),
      attempts: 0,
      lastAttemptAt: 0,
      outcomeUnknown: false,
    });
    this.options.counters.queued = this.items.length;
    void this.drain();
  }

  /** The live client while the account streams; undefined otherwise. */
  attach(client: ImsgRpcClient | undefined): void {
    this.client = client;
    if (client) void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let used: ImsgRpcClient | undefined;
    try {
      for (;;) {
        const client = this.client;
        used = client;
        const item = this.items[0];
        if (!client?.isRunning || !item) return;
        const done = await this.sendOne(client, item);
        if (!done) return;
        this.items.shift();
        this.options.counters.queued = this.items.length;
      }
    } finally {
      this.draining = false;
      // A new client may have been attached while the last send was failing.
      if (this.client?.isRunning && this.items.length > 0 && this.client !== used) void this.drain();
    }
  }

  /** true: the item is settled (sent or failed for good); false: wait for the next live client. */
  private async sendOne(client: ImsgRpcClient, item: QueuedReply): Promise<boolean> {
    const log = this.options.logger;
    if (item.outcomeUnknown) {
      try {
        if (await this.alreadySent(client, item)) {
          log.info({ envelopeId: item.envelopeId, to: item.target.to }, 'reconciled: the earlier send did arrive; not sending again');
          this.options.counters.sent++;
          return true;
        }
      } catch (err) {
        log.warn({ err: errorText(err) }, 'could not reconcile an unknown send yet; will retry');
        return false;
      }
      item.outcomeUnknown = false;
    }
    item.attempts++;
    item.lastAttemptAt = this.options.clock.now();
    try {
      const params = { ...sendParamsFor(item.target, this.options.region), text: item.text };
      await client.request('send', params, this.options.sendTimeoutMs);
      this.options.counters.sent++;
      log.info({ envelopeId: item.envelopeId, to: item.target.to, chars: item.text.length }, 'reply sent');
      log.debug({ to: item.target.to, text: item.text }, 'reply text');
      return true;
    } catch (err) {
      if (err instanceof RpcError || err instanceof AutomationDeniedError) {
        this.options.counters.sendFailed++;
        log.error(
          { envelopeId: item.envelopeId, to: item.target.to, errorClass: err.kind, remediation: err.remediation },
          `reply failed for good: ${err.message}`,
        );
        return true;
      }
      item.outcomeUnknown = true;
      this.options.counters.sendUnknown++;
      log.warn(
        { envelopeId: item.envelopeId, to: item.target.to, errorClass: err instanceof ImsgError ? err.kind : 'internal' },
        `send outcome unknown (${errorText(err)}); will reconcile with the chat history before retrying`,
      );
      return false;
    }
  }

  private async alreadySent(client: ImsgRpcClient, item: QueuedReply): Promise<boolean> {
    const chatId = item.target.chatId ?? (await this.findDirectChat(client, item.target.handle ?? item.target.to));
    if (chatId === undefined) return false;
    const { messages } = await client.request<{ messages: ImsgMessage[] }>('messages.history', { chat_id: chatId, limit: 50 });
    const since = item.lastAttemptAt - 5000;
    return messages.some((m) => m.is_from_me && m.text === item.text && Date.parse(m.created_at) >= since);
  }

  private async findDirectChat(client: ImsgRpcClient, handle: string): Promise<number | undefined> {
    const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit: 500 });
    const wanted = handle.toLowerCase();
    return chats.find((c) => !c.is_group && c.identifier.toLowerCase() === wanted)?.id;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
