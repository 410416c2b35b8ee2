/**
 * One account's inbound path: imsg message → dedupe → policy decision → envelope → the session's
 * lane → agent → replies into the reply queue. Never throws: every outcome is counted and logged
 * (message text only at debug level).
 */
import type { Logger } from 'pino';
import type { AgentHandler } from '../agents/types.js';
import type { SessionLanes } from '../agents/session-lanes.js';
import type { ImsgMessage } from '../imsg/types.js';
import { decideInbound, type InboundPolicy } from '../machines/inbound-policy.js';
import { buildEnvelope } from '../routing/build-envelope.js';
import type { Service } from '../routing/reply-target.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';
import { RecentGuids } from './recent-guids.js';
import type { ReplyQueue } from './reply-queue.js';

export interface InboundPipelineOptions {
  accountId: string;
  agent: AgentHandler;
  agentShared: boolean;
  policy: InboundPolicy;
  service: Service;
  responsePrefix: string | undefined;
  lanes: SessionLanes;
  replies: ReplyQueue;
  counters: AccountCounters;
  clock: Clock;
  logger: Logger;
  /** Aborted when the gateway shuts down: in-flight agent work is cancelled. */
  signal: AbortSignal;
}

export class InboundPipeline {
  private readonly recent = new RecentGuids();
  /** Highest chat.db ROWID seen: the cursor a resubscribe resumes from. */
  cursor = 0;

  constructor(private readonly o: InboundPipelineOptions) {}

  handle(message: ImsgMessage): void {
    const { counters, logger } = this.o;
    if (message.id > this.cursor) this.cursor = message.id;
    counters.received++;
    if (message.guid && !this.recent.add(message.guid)) {
      this.drop(message, 'duplicate');
      return;
    }
    const decision = decideInbound(message, this.o.policy);
    if (decision.action === 'drop') {
      this.drop(message, decision.reason);
      return;
    }
    const envelope = buildEnvelope(message, {
      accountId: this.o.accountId,
      agentId: this.o.agent.agentId,
      agentShared: this.o.agentShared,
      kind: decision.kind,
      wasMentioned: decision.wasMentioned,
      service: this.o.service,
      receivedAt: this.o.clock.now(),
    });
    counters.dispatched++;
    logger.info(
      { envelopeId: envelope.id, rowid: message.id, kind: decision.kind, chatId: message.chat_id, sender: message.sender, session: envelope.sessionKey },
      'message accepted → agent',
    );
    logger.debug({ envelopeId: envelope.id, text: message.text }, 'message text');
    void this.o.lanes
      .run(envelope.sessionKey, () => this.o.agent.handle(envelope, this.o.signal))
      .then(
        (result) => {
          for (const reply of result.replies) {
            if (reply.media && reply.media.length > 0) {
              logger.warn({ envelopeId: envelope.id, files: reply.media.length }, 'reply media is not delivered by this version; sending its text only');
            }
            if (reply.text.trim().length === 0) continue;
            this.o.replies.enqueue(envelope.replyTarget, this.withPrefix(reply.text), envelope.id);
          }
          if (result.replies.length === 0) logger.info({ envelopeId: envelope.id }, 'agent chose not to reply');
        },
        (err: unknown) => {
          counters.agentErrors++;
          logger.error({ envelopeId: envelope.id, agent: this.o.agent.agentId }, `agent failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
  }

  private withPrefix(text: string): string {
    const prefix = this.o.responsePrefix;
    if (!prefix || text.startsWith(prefix)) return text;
    return `${prefix} ${text}`;
  }

  private drop(message: ImsgMessage, reason: string): void {
    const dropped = this.o.counters.dropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    // Our own echoes are routine: keep them out of the info log.
    const level = reason === 'from-me' || reason === 'duplicate' ? 'debug' : 'info';
    this.o.logger[level]({ rowid: message.id, chatId: message.chat_id, sender: message.sender, reason }, `message dropped: ${reason}`);
  }
}
