/**
 * One account's imsg child, as the account machine's actors use it: spawning it with the account's
 * handlers, negotiating, the first-start cursor, (re)subscribing, the messages.after catch-up, the
 * liveness probe, the chat.db generation watch, and releasing it (which stops its process group).
 * AccountRuntime provides these methods to the machine as its actors (imsgChild, initialize,
 * connect, recheck, resubscribe, catchUp, probe, generationWatch, disconnect); the machine decides
 * when each runs, and everything the child reports comes back to it as an event.
 */
import type { Logger } from 'pino';
import type { AccountConfig, SupervisionConfig } from '../config/index.js';
import { ImsgRpcClient } from '../imsg/rpc-client.js';
import { databaseUnavailable, negotiate, refreshStatus } from '../imsg/negotiate.js';
import { shortMutationDeadline } from '../imsg/request-lanes.js';
import { type ImsgServerInfo, methodAvailable } from '../imsg/server-info.js';
import { normalizeMessage } from '../imsg/normalize-message.js';
import { childAnswered, keepsChild } from '../account-rules/error-info.js';
import type { AccountEvent, ConnectOutput } from '../machines/account-machine.js';
import type { GatewayStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';
import type { AccountQuarantine } from './account-quarantine.js';
import { startCatchUpActor } from './catch-up-actor.js';
import { type DbGenerations, rowsProbeInterval } from './db-generations.js';
import type { InboundPipeline } from './inbound-pipeline.js';
import { initialCursor, sinceRowidFor } from './initial-cursor.js';
import { imsgLineLogHandlers, negotiationNoteLog } from './imsg-line-log.js';

export interface ImsgSessionDeps {
  account: AccountConfig;
  supervision: SupervisionConfig;
  /** The gateway's clock, for the client and the first-start cursor. */
  clock: Clock;
  /** The same clock whose callbacks crash only this account when they throw (guarded-clock.ts). */
  guardedClock: Clock;
  logger: Logger;
  store: GatewayStore;
  pipeline: InboundPipeline;
  quarantine: AccountQuarantine;
  generations: DbGenerations;
  counters: AccountCounters;
  /** Whether the watch and messages.after ask for tapback rows (include_reactions) on this imsg. */
  includeReactions?: (info: ImsgServerInfo | undefined) => boolean;
  /** The child was let go: nothing may send on it any more (the outbox detaches). */
  onReleased: () => void;
  /** This account's machinery threw (a handler): the runtime's crash path. */
  crash: (err: unknown) => void;
}

export class ImsgSession {
  private client: ImsgRpcClient | undefined;
  private readonly stopping = new Set<Promise<void>>();
  private sink: ((event: AccountEvent) => void) | undefined;
  private lineLog: ReturnType<typeof imsgLineLogHandlers> | undefined;
  private readonly noteLog: ReturnType<typeof negotiationNoteLog>;
  private imsgInfo: ImsgServerInfo | undefined;
  private generationWatch: (() => void) | undefined;

  constructor(private readonly d: ImsgSessionDeps) {
    this.noteLog = negotiationNoteLog(d.logger);
  }

  /** The current child, if any (the outbox sends on it while streaming). */
  get current(): ImsgRpcClient | undefined {
    return this.client;
  }

  /** What the last negotiation or status said about imsg. */
  get info(): ImsgServerInfo | undefined {
    return this.imsgInfo;
  }

  /**
   * The `imsgChild` actor (state `child`, also entered by a waiting state's re-probe): spawns the
   * child and hands its exit, hang and watch events to the machine. Its cleanup (leaving `child`)
   * stops the child's whole process group.
   */
  runChild(sendBack: (event: AccountEvent) => void): () => void {
    let live = true;
    this.sink = sendBack;
    const client = this.createClient();
    client.start().then(
      () => {
        if (!live) return;
        this.d.logger.debug({ childPid: client.pid }, 'imsg spawned; negotiating');
        sendBack({ type: 'CHILD_SPAWNED' });
      },
      (error: unknown) => {
        if (live && client === this.client) sendBack({ type: 'CHILD_FAILED', error });
      },
    );
    return () => {
      live = false;
      this.sink = undefined;
      this.releaseChild();
    };
  }

  /** imsg 0.14+ said the database is unavailable (-32002): the generation check takes note. */
  async noting<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (keepsChild(err)) this.d.generations.noteUnavailable();
      throw err;
    }
  }

  /**
   * The generationWatch actor's work: chat.db generations (db-generations.ts) watched while the
   * child is connected (the machine says when); a replaced file is GENERATION_CHANGED.
   */
  watchGenerations(sendBack: (event: AccountEvent) => void): void {
    const client = this.client;
    if (this.generationWatch || !client) return;
    this.generationWatch = this.d.generations.watch(
      client,
      this.imsgInfo?.protocol === 'v1',
      rowsProbeInterval(this.d.supervision.livenessIntervalMs),
      // imsg 0.14+ reads the new file on new requests (§2.4): only the watch must move.
      (error) => sendBack({ type: 'GENERATION_CHANGED', error, inPlace: error.inPlace }),
    );
  }

  stopGenerationWatch(): void {
    const stop = this.generationWatch;
    this.generationWatch = undefined;
    stop?.();
  }

  /** The inbound backlog is down: the current child's output is read on (inbound-backlog.ts). */
  readOn(): void {
    this.client?.readOn();
  }

  /** A new client with this account's handlers; it becomes the current child (this.client). */
  private createClient(): ImsgRpcClient {
    const { account, supervision, clock, logger } = this.d;
    this.d.counters.spawns++;
    const lineLog = (this.lineLog ??= imsgLineLogHandlers(logger, clock, this.d.counters));
    const client: ImsgRpcClient = new ImsgRpcClient({
      cliPath: account.cliPath,
      ...(account.dbPath ? { dbPath: account.dbPath } : {}),
      clock,
      requestTimeoutMs: supervision.readTimeoutMs,
      mutationTimeoutMs: supervision.mutationTimeoutMs,
      methodTimeouts: { 'chats.list': supervision.probeTimeoutMs },
      stopTimeoutMs: supervision.stopTimeoutMs,
      handlers: {
        onMessage: this.guard((_sub, message) => {
          if (client === this.client) this.d.pipeline.handle(message);
        }),
        onInvalidMessage: this.guard((_sub, rejection, raw) => {
          if (client !== this.client) return;
          this.d.quarantine.put({
            stage: 'validation',
            reason: rejection.problem,
            ...(rejection.rowid !== undefined ? { rowid: rejection.rowid } : {}),
            ...(rejection.guid !== undefined ? { guid: rejection.guid } : {}),
            payload: raw,
          });
        }),
        onWatchError: (_sub, message) => {
          if (client === this.client) this.fail({ type: 'WATCH_ERROR', message });
        },
        onWatchOverflow: (_sub, resumeAfterRowid) => {
          if (client !== this.client) return;
          logger.warn({ resumeAfterRowid }, 'imsg ended the watch (watch.overflow: its buffer filled); resubscribing from its resume point');
          this.fail({ type: 'WATCH_OVERFLOW', resumeAfterRowid });
        },
        onParamsDropped: (method, keys) => logger.warn({ method, keys }, 'left out request keys this imsg does not accept'),
        onExit: (error) => {
          if (client === this.client) this.fail({ type: 'CHILD_FAILED', error });
        },
        onHang: (error) => {
          if (client === this.client) this.fail({ type: 'CHILD_FAILED', error });
        },
        ...lineLog,
        onStderr: (line) => logger.debug({ line }, 'imsg stderr'),
        holdOutput: () => client === this.client && this.d.pipeline.holdsImsgOutput(),
      },
    });
    this.client = client;
    return client;
  }

  /** The `initialize` actor (state `child.initializing`): negotiate, then probe and subscribe. */
  async initialize(signal: AbortSignal): Promise<ConnectOutput> {
    const { account, supervision, logger } = this.d;
    const client = this.client;
    if (!client?.isRunning) throw new Error('the imsg child is gone');
    const { info, notes } = await negotiate(client, supervision.probeTimeoutMs);
    const deadlineNote = shortMutationDeadline(info.protocol, supervision.mutationTimeoutMs);
    this.noteLog(deadlineNote ? [...notes, deadlineNote] : notes, info.version);
    this.imsgInfo = info;
    logger.info({ imsgVersion: info.version, protocol: info.protocol, methods: info.methods?.length ?? null }, 'imsg negotiated');
    const unavailable = databaseUnavailable(info, account.cliPath, account.dbPath);
    if (unavailable) throw unavailable;
    return this.establish(client, signal);
  }

  /**
   * The `regenerate` actor (imsg 0.14+, chat.db replaced under a connected child, §2.4): the old
   * subscription keeps reading the old file, so it is unsubscribed; the generation check then
   * starts the new generation (the watch's verdict, a rewound cursor) and the same child catches up
   * or subscribes from there.
   */
  async regenerate(subscription: number | null, signal: AbortSignal): Promise<ConnectOutput> {
    const client = this.client;
    if (!client?.isRunning) throw new Error('no live imsg child to move to the new chat.db');
    this.stopGenerationWatch();
    if (subscription !== null) {
      try {
        await client.unsubscribe(subscription);
      } catch (err) {
        // Already ended on imsg's side (an answer, not a hang): nothing left to unsubscribe.
        if (!childAnswered(err)) throw err;
      }
    }
    if (signal.aborted) throw new Error('regenerate aborted');
    return this.establish(client, signal);
  }

  /** imsg 0.14+ after -32002: ask the same child's `status`; once the database opens, subscribe on it. */
  async recheck(signal: AbortSignal): Promise<ConnectOutput> {
    const client = this.client;
    if (!client?.isRunning) throw new Error('the imsg child awaiting database access is gone; starting a new one');
    const info = await refreshStatus(client, this.d.supervision.probeTimeoutMs);
    this.imsgInfo = info;
    const unavailable = databaseUnavailable(info, this.d.account.cliPath, this.d.account.dbPath);
    if (unavailable) throw unavailable;
    this.d.logger.info({ childPid: client.pid }, 'imsg can open the database now; continuing on the same child');
    return this.establish(client, signal);
  }

  /**
   * Probe, first-start cursor, subscribe: on a child that is up and negotiated. A failure leaves
   * `child`, whose cleanup stops the child.
   */
  private async establish(client: ImsgRpcClient, signal: AbortSignal): Promise<ConnectOutput> {
    const { account, supervision, clock, logger } = this.d;
    await client.request('chats.list', { limit: 1 }, supervision.probeTimeoutMs);
    if (signal.aborted) throw new Error('connect aborted');
    await this.d.generations.check(client);
    if (signal.aborted) throw new Error('connect aborted');
    if (this.d.store.getCursor(account.id) === undefined) {
      const anchor = await initialCursor(client, account.catchUpMs, clock.now());
      this.d.store.setCursor(account.id, anchor);
      logger.info(
        { cursor: anchor, catchUp: account.catchUpMs === null ? 'none' : `${account.catchUpMs} ms` },
        'first start of this account: reading messages after this row',
      );
    }
    // imsg 0.14+ (§9.2): page the backlog with messages.after first (catching-up), then subscribe.
    if (client.server && methodAvailable(client.server, 'messages.after')) return { subscription: null, catchUp: true };
    const subscription = await client.subscribe(this.subscribeParams());
    if (signal.aborted) throw new Error('connect aborted');
    return { subscription };
  }

  /**
   * Every (re)subscribe resumes after the last durably recorded row; after a watch.overflow, after
   * the lower of that and imsg's resume point (a replay is deduped by the journal; a skip is lost).
   */
  private subscribeParams(resumeAfterRowid: number | null = null): Record<string, unknown> {
    // Make what was already received durable first, so it is not asked for (and counted) again.
    this.d.pipeline.flush();
    const cursor = this.d.store.getCursor(this.d.account.id) ?? 0;
    const from = resumeAfterRowid === null ? cursor : Math.min(cursor, Math.max(resumeAfterRowid, 0));
    return {
      attachments: this.d.account.includeAttachments,
      since_rowid: sinceRowidFor(from),
      ...(this.d.includeReactions?.(this.client?.server) ? { include_reactions: true } : {}),
    };
  }

  async resubscribe(resumeAfterRowid: number | null): Promise<ConnectOutput> {
    const client = this.client;
    if (!client?.isRunning) throw new Error('no live imsg child to resubscribe on');
    return { subscription: await client.subscribe(this.subscribeParams(resumeAfterRowid)) };
  }

  /** The catching-up state's work: messages.after pages through the normal inbound path, then the watch. */
  catchUp(sendBack: (event: AccountEvent) => void): () => void {
    const { account, store } = this.d;
    const live = () => (this.client?.isRunning ? this.client : undefined);
    return startCatchUpActor(
      {
        client: live,
        cursor: () => {
          this.d.pipeline.flush();
          return store.getCursor(account.id) ?? 0;
        },
        attachments: account.includeAttachments,
        includeReactions: () => this.d.includeReactions?.(this.client?.server) ?? false,
        clock: this.d.guardedClock,
        logger: this.d.logger,
        deliver: (raw) => this.deliverCaughtUp(raw),
        ready: () => this.d.pipeline.whenReadingOn(),
        commit: (rowid) => {
          // Never move the cursor past a row that is not in the journal.
          this.d.pipeline.flush();
          const held = this.d.pipeline.unrecorded;
          if (held > 0) throw new Error(`the state database did not take ${held} caught-up messages; the cursor stays before them`);
          store.setCursor(account.id, rowid);
        },
        subscribe: async () => {
          const client = live();
          if (!client) throw new Error('no live imsg child to subscribe on after the catch-up');
          return client.subscribe(this.subscribeParams());
        },
      },
      sendBack,
    );
  }

  /** One messages.after row: validated like a watch notification, then the normal inbound path. */
  private deliverCaughtUp(raw: unknown): void {
    const normalized = normalizeMessage(raw);
    if (normalized.ok) {
      this.d.pipeline.handle(normalized.message, true);
      return;
    }
    this.lineLog?.onMalformed(normalized.problem, JSON.stringify({ method: 'messages.after', message: raw }));
    this.d.quarantine.put({
      stage: 'validation',
      reason: normalized.problem,
      ...(normalized.rowid !== undefined ? { rowid: normalized.rowid } : {}),
      ...(normalized.guid !== undefined ? { guid: normalized.guid } : {}),
      payload: raw,
    });
  }

  /**
   * Liveness (the machine's `probe` action in streaming): a cheap request with a short deadline.
   * Past the deadline the client reports a hang; -32002 means the database went away under a live
   * child. While requests are in flight their own deadlines already watch the child, so the probe
   * is skipped. Only a failure is reported (`failed`), and only while this child is still the
   * current one: an earlier child's failure is no news to the machine, which has moved on.
   */
  probeInBackground(failed: (error: unknown) => void): void {
    const client = this.client;
    const probe = async (): Promise<void> => {
      if (!client?.isRunning) throw new Error('the imsg child is gone');
      if (client.inFlight > 0) return;
      await client.request('chats.list', { limit: 1 }, this.d.supervision.probeTimeoutMs);
    };
    this.noting(probe()).catch((error: unknown) => {
      if (client === this.client) failed(error);
    });
  }

  /** An imsg handler that cannot throw into the child's stream (and from there the process). */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.d.crash(err);
      }
    };
  }

  /** The child exited or hung: the machine hears it while in `child` (afterwards nothing listens). */
  fail(event: AccountEvent): void {
    this.sink?.(event);
  }

  private releaseChild(): void {
    const client = this.client;
    this.client = undefined;
    this.d.onReleased();
    if (!client) return;
    const stopping = client.stop().finally(() => this.stopping.delete(stopping));
    this.stopping.add(stopping);
  }

  async disconnect(): Promise<void> {
    this.releaseChild();
    await Promise.allSettled([...this.stopping]);
  }
}
