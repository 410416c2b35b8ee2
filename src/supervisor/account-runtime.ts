/**
 * One account's wiring and its status projection: it builds the account machine's actors (the
 * imsg child, initialize, probe, catch-up, resubscribe, stop) over the store, the inbound pipeline
 * and the reply queue; the machine, spawned by the gateway's root actor, decides. The runtime
 * projects the machine's state into status, the log and the live view. Nothing here can throw
 * into the supervisor; every failure becomes a machine event, a counter and a log line, or the
 * state `failed` and a restart.
 */
import type { Logger } from 'pino';
import { type ActorRefFrom, createActor, fromCallback, fromPromise, type InspectionEvent } from 'xstate';
import { SessionLanes } from '../agents/session-lanes.js';
import type { AccountConfig, SupervisionConfig } from '../config/index.js';
import { ImsgRpcClient } from '../imsg/rpc-client.js';
import { databaseUnavailable, negotiate, refreshStatus } from '../imsg/negotiate.js';
import { shortMutationDeadline } from '../imsg/request-lanes.js';
import { type ImsgServerInfo, methodAvailable } from '../imsg/server-info.js';
import { normalizeMessage } from '../imsg/normalize-message.js';
import { keepsChild } from '../machines/error-info.js';
import {
  type AccountContext,
  type AccountEvent,
  type AccountMachine,
  type AccountMachineInput,
  accountStateName,
  type ConnectInput,
  type ConnectOutput,
  createAccountMachine,
  type GenerationWatchEvent,
  initialAccountContext,
} from '../machines/account-machine.js';
import type { PairingService } from '../machines/pairing-service.js';
import type { WorkerPool } from '../workers/index.js';
import type { CursorGeneration, GatewayStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { errorText } from '../util/typed-error.js';
import { type AccountCounters, newCounters } from './account-counters.js';
import { accountHealth } from './account-health.js';
import { AccountQuarantine } from './account-quarantine.js';
import { startCatchUpActor } from './catch-up-actor.js';
import { DbGenerations, defaultChatDbPath, rowsProbeInterval } from './db-generations.js';
import { guardedClock } from './guarded-clock.js';
import type { AccountRoutes } from './account-routes.js';
import { InboundPipeline } from './inbound-pipeline.js';
import { initialCursor, sinceRowidFor } from './initial-cursor.js';
import { LoopBreaker, REFLECTION_WINDOW_MS } from './loop-breaker.js';
import { imsgLineLogHandlers, negotiationNoteLog } from './imsg-line-log.js';
import { AccountMedia } from './media.js';
import { OutboxSender } from './outbox-sender.js';
import { DEFAULT_JUMP_CONFIRMATIONS } from './rowid-jump.js';
import type { AccountStatus, TransitionRecord } from './status.js';

export interface AccountRuntimeOptions {
  account: AccountConfig;
  routes: AccountRoutes;
  responsePrefix: string | undefined;
  supervision: SupervisionConfig;
  store: GatewayStore;
  pairing: PairingService;
  pool: WorkerPool;
  /** <home>/media: the ingested attachments. */
  mediaDir: string;
  clock: Clock;
  logger: Logger;
  /** Called after every state change (status file, live view). */
  onTransition?: (record: TransitionRecord) => void;
  inspect?: (event: InspectionEvent) => void;
  /**
   * The account's machinery failed (an exception in its timers, its imsg handlers, its machine):
   * the supervisor stops this runtime and starts a fresh one. Never the process.
   */
  onCrash?: (err: unknown) => void;
  /** The internal error that made the supervisor start this runtime in place of a crashed one. */
  priorCrash?: { at: number; error: string };
  /**
   * Starts this account's machine (`logic` with `input`) as a child of the gateway's root actor
   * (gateway-machine.ts) and returns it. Without it (a runtime on its own) the machine is a root
   * actor of its own.
   */
  spawnMachine?: () => ActorRefFrom<AccountMachine>;
}

/** What a stop could not write: nothing is lost (the cursor did not move past held rows). */
export interface StopReport {
  accountId: string;
  /** Row ids received but not journalled: imsg sends them again after the next subscribe. */
  heldRowids: number[];
  /** Agent turns finished but not written: their messages are dispatched again at the next start. */
  unwrittenTurns: number;
  storeError: string | undefined;
}

const MAX_TRANSITIONS = 20;
/** How long a graceful stop lets running agents finish before cancelling them (they re-run next start). */
const AGENT_GRACE_MS = 5000;

export class AccountRuntime {
  readonly counters: AccountCounters = newCounters();
  /** The account machine, provided with this runtime's actors (the root actor spawns it). */
  readonly logic: AccountMachine;
  readonly input: AccountMachineInput;
  private actor: ActorRefFrom<AccountMachine> | undefined;
  private readonly pipeline: InboundPipeline;
  private readonly outbox: OutboxSender;
  private readonly breaker: LoopBreaker;
  private readonly lanes = new SessionLanes();
  private readonly abort = new AbortController();
  private client: ImsgRpcClient | undefined;
  private readonly stopping = new Set<Promise<void>>();
  private sink: ((event: AccountEvent) => void) | undefined;
  private pendingFailure: AccountEvent | undefined;
  private state = 'spawning';
  private since: number;
  private readonly transitions: TransitionRecord[] = [];
  private permissionLoggedFor: string | undefined;
  /** Counts and logs imsg lines that cannot be used, with metadata only (never message text). */
  private lineLog: ReturnType<typeof imsgLineLogHandlers> | undefined;
  /** Negotiation notes (legacy fallback, thin snapshot, unknown version): once per account, not per spawn. */
  private readonly noteLog: ReturnType<typeof negotiationNoteLog>;
  private readonly quarantine: AccountQuarantine;
  /** Timers of this account: an exception in one restarts the account, not the process. */
  private readonly clock;
  private crashed: { at: number; error: string } | undefined;
  private stopped = false;
  /** What negotiation (and the last `status`) said about the imsg child, for status and the live view. */
  private imsgInfo: ImsgServerInfo | undefined;
  /** chat.db generations (issue 12, item 5): checked on connect, watched while connected. */
  private readonly generations: DbGenerations;
  /** Stops the generation watch of the connected child, if one runs. */
  private generationWatch: (() => void) | undefined;

  constructor(private readonly o: AccountRuntimeOptions) {
    const log = o.logger;
    this.since = o.clock.now();
    this.noteLog = negotiationNoteLog(log);
    this.clock = guardedClock(o.clock, (err) => this.crash(err));
    this.quarantine = new AccountQuarantine({ accountId: o.account.id, store: o.store, clock: o.clock, logger: log, counters: this.counters });
    this.breaker = new LoopBreaker(o.account.maxSendsWithoutInbound, () => o.clock.now(), (chat) => {
      try {
        o.store.saveBreakerChat(o.account.id, chat);
      } catch (err) {
        log.error({ chat: chat.chatKey, err: errorText(err) }, 'echo-loop breaker: cannot store the state of a chat (state database)');
      }
    });
    this.outbox = new OutboxSender({
      accountId: o.account.id,
      store: o.store,
      region: o.account.region,
      service: o.account.service,
      sendTimeoutMs: o.supervision.mutationTimeoutMs,
      trackedPendingMs: o.supervision.trackedSendWaitMs,
      clock: this.clock,
      logger: log,
      counters: this.counters,
      breaker: this.breaker,
      // A send still in flight blocks imsg's mutation lane until the child restarts (issue 13).
      onLaneBlocked: (error) => this.fail({ type: 'CHILD_FAILED', error }),
    });
    this.pipeline = new InboundPipeline({
      accountId: o.account.id,
      route: (message) => o.routes.route(message),
      agentById: (agentId) => o.routes.agentById(agentId),
      maxReplyChars: o.account.maxReplyChars,
      chunk: (text) => o.pool.chunk(text, o.account.textChunkLimit),
      media: new AccountMedia(o.account, o.pool, o.mediaDir, log),
      service: o.account.service,
      responsePrefix: o.responsePrefix,
      lanes: this.lanes,
      store: o.store,
      onHumanMessage: (chatKey, text) => this.outbox.noteInbound(chatKey, text),
      onRedispatch: (chatKey) => this.breaker.grant(chatKey),
      onReplies: () => this.outbox.kick(),
      counters: this.counters,
      clock: this.clock,
      logger: log,
      signal: this.abort.signal,
      quarantine: this.quarantine,
      jumpRule: { window: o.account.maxRowidJump, confirmations: DEFAULT_JUMP_CONFIRMATIONS },
    });
    this.generations = new DbGenerations({
      accountId: o.account.id,
      dbPath: o.account.dbPath ?? defaultChatDbPath(),
      store: o.store,
      clock: this.clock,
      logger: log,
      flush: () => this.pipeline.flush(),
      onNewGeneration: () => this.pipeline.newGeneration(),
    });
    const machine = createAccountMachine({ clock: o.clock }).provide({
      actors: {
        imsgChild: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => this.runChild(sendBack)),
        initialize: fromPromise<ConnectOutput, ConnectInput>(({ signal }) => this.noting(this.initialize(signal))),
        connect: fromPromise<ConnectOutput, ConnectInput>(({ signal }) => this.noting(this.connect(signal))),
        resubscribe: fromPromise<ConnectOutput, ConnectInput>(({ input }) => this.resubscribe(input.resumeAfterRowid ?? null)),
        recheck: fromPromise<ConnectOutput, ConnectInput>(({ signal }) => this.noting(this.recheck(signal))),
        catchUp: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => this.catchUp(sendBack)),
        probe: fromPromise<void, ConnectInput>(() => this.noting(this.probe())),
        generationWatch: fromCallback<GenerationWatchEvent, ConnectInput>(({ sendBack, receive }) => {
          receive((event) => {
            if (event.type === 'WATCH_GENERATIONS') this.watchGenerations(sendBack);
            else this.stopGenerationWatch();
          });
          return () => this.stopGenerationWatch();
        }),
        disconnect: fromPromise<void, { accountId: string }>(() => this.disconnect()),
      },
    });
    const s = o.supervision;
    this.logic = machine;
    this.input = {
      accountId: o.account.id,
      timing: {
        backoffInitialMs: s.backoffInitialMs,
        backoffMaxMs: s.backoffMaxMs,
        restartIntensity: s.restartIntensity,
        coolDownMs: s.coolDownMs,
        permissionReprobeMs: s.permissionReprobeMs,
        stableAfterMs: s.stableAfterMs,
        livenessIntervalMs: s.livenessIntervalMs,
      },
    };
  }

  get id(): string {
    return this.o.account.id;
  }

  start(): void {
    this.o.logger.info({ cliPath: this.o.account.cliPath, dbPath: this.o.account.dbPath }, 'account starting');
    this.restoreBreaker();
    const again = this.pipeline.redispatchPending();
    if (again > 0) this.o.logger.info({ count: again }, 'messages accepted before the last stop are being dispatched again');
    this.actor = this.o.spawnMachine ? this.o.spawnMachine() : this.ownActor();
    this.actor.subscribe({
      // XState rethrows an observer's exception on a bare timer (uncaughtException: every account
      // stops): one in this account's transition handling restarts this account instead.
      next: (snapshot) => {
        try {
          this.onSnapshot(accountStateName(snapshot.value));
        } catch (err) {
          this.crash(err);
        }
      },
      error: (err) => this.crash(err),
    });
    // A spawned machine started before this subscription: show where it already is.
    this.onSnapshot(accountStateName(this.actor.getSnapshot().value));
  }

  /** A runtime without the gateway's root actor: its machine is a root actor of its own. */
  private ownActor(): ActorRefFrom<AccountMachine> {
    const actor = createActor(this.logic, {
      clock: this.o.clock,
      systemId: `account:${this.o.account.id}`,
      ...(this.o.inspect ? { inspect: this.o.inspect } : {}),
      input: this.input,
    });
    actor.start();
    return actor;
  }

  /** The machine's context (before start: the initial one). */
  private ctx(): AccountContext {
    return this.actor?.getSnapshot().context ?? initialAccountContext(this.input);
  }

  /**
   * The echo-loop breaker as it was at the last stop: unpaid counts and pauses, the replies sent
   * recently (reflections), and credit for reply turns queued but not begun (their messages paid).
   */
  private restoreBreaker(): void {
    const { store, account, clock, logger } = this.o;
    try {
      this.breaker.restore({
        chats: store.breakerChats(account.id),
        recentSent: store.recentSentReplies(account.id, clock.now() - REFLECTION_WINDOW_MS),
        credits: store.unstartedReplyTurns(account.id),
      });
    } catch (err) {
      logger.error({ err: errorText(err) }, 'echo-loop breaker: cannot read its state (state database); starting without it');
      return;
    }
    const paused = this.breaker.paused();
    if (paused.length > 0) {
      logger.warn({ chats: paused }, 'echo-loop breaker: chats paused before the last stop stay paused until someone writes there');
    }
  }

  /** Rows may have been added to the outbox by another process (`imessage-gateway send`). */
  kickOutbox(): void {
    this.outbox.kick();
  }

  /** An operator retried a dead-lettered agent turn (its journal row is accepted again): run it now. */
  retryTurn(guid: string): boolean {
    return this.pipeline.redispatchOne(guid);
  }

  /** Operator asks for an immediate retry (awaiting-permissions, misconfigured, backoff, cool-down). */
  retry(): void {
    this.actor?.send({ type: 'RETRY' });
  }

  /**
   * Stops the child and waits (bounded by the client's own escalation) until it is gone; agents get
   * a bounded grace. Leaves no timer behind. Reports what could not be written.
   */
  async stop(): Promise<StopReport> {
    if (!this.stopped) {
      this.stopped = true;
      await this.stopMachine();
      this.outbox.stop();
      this.pipeline.flush();
      // Agents still running get a moment to finish (their replies go to the outbox, sent at the
      // next start); then they are cancelled and their messages stay accepted, to run again.
      const idle = this.lanes.idle();
      await this.settleWithin(idle, AGENT_GRACE_MS);
      this.abort.abort();
      await this.settleWithin(idle, 1000);
      this.pipeline.close();
    }
    return {
      accountId: this.o.account.id,
      heldRowids: this.pipeline.heldRowids(),
      unwrittenTurns: this.pipeline.unwrittenTurns,
      storeError: this.pipeline.storeFailure?.error,
    };
  }

  private async stopMachine(): Promise<void> {
    const actor = this.actor;
    if (!actor || actor.getSnapshot().status !== 'active') {
      // The machine failed (crash): release its child directly.
      await this.disconnect();
      return;
    }
    const done = new Promise<void>((resolve) => {
      const sub = actor.subscribe({
        next: (s) => {
          if (s.status === 'done') {
            sub.unsubscribe();
            resolve();
          }
        },
        complete: () => resolve(),
      });
    });
    actor.send({ type: 'STOP' });
    await done;
  }

  /** The internal error this runtime stopped on, if any (the supervisor hands it to the next one). */
  get crashInfo(): { at: number; error: string } | undefined {
    return this.crashed;
  }

  /**
   * An exception in this account's machinery (its observer, timers, imsg handlers, or its machine
   * actor, reported by the root actor): logged once, shown as the state `failed` (status, live
   * view), and handed to the supervisor, which restarts the account.
   */
  crash(err: unknown): void {
    if (this.crashed || this.stopped) return;
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.crashed = { at: this.o.clock.now(), error };
    this.o.logger.error(
      { errorClass: err instanceof Error ? err.name : typeof err, stack: err instanceof Error ? err.stack : undefined },
      'internal error in the account; the supervisor restarts it (other accounts are not affected)',
    );
    try {
      this.enterState('failed', `internal error: ${error}; the supervisor restarts the account`);
    } catch {
      // Showing it must not stop the restart below.
    }
    this.o.onCrash?.(err);
  }

  /** Waits for `work` at most `ms`; the timer never outlives the wait (it would hold the process). */
  private async settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
    let timer: unknown;
    await Promise.race([work, new Promise((r) => (timer = this.o.clock.setTimeout(() => r(undefined), ms)))]);
    this.o.clock.clearTimeout(timer);
  }

  status(): AccountStatus {
    const ctx = this.ctx();
    const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString() : null);
    return {
      id: this.o.account.id,
      name: this.o.account.name ?? null,
      enabled: true,
      state: this.state,
      since: new Date(this.since).toISOString(),
      lastError: ctx.lastError?.message ?? null,
      lastErrorClass: ctx.lastError?.kind ?? null,
      remediation: ctx.lastError?.remediation ?? null,
      lastErrorAt: iso(ctx.lastError?.at),
      restarts: ctx.restarts,
      attempt: ctx.attempt,
      nextRetryAt: iso(ctx.nextRetryAt),
      reason: ctx.reason,
      childPid: this.client?.pid ?? null,
      ...(this.imsgInfo ? { imsg: imsgView(this.imsgInfo) } : {}),
      ...(ctx.catchUp ? { catchUp: { ...ctx.catchUp, startedAt: new Date(ctx.catchUp.startedAt).toISOString() } } : {}),
      cursor: this.cursor() ?? null,
      generation: generationView(this.generations.current()),
      agentId: this.o.routes.defaultAgentId,
      counters: { ...this.counters, dropped: { ...this.counters.dropped } },
      ...this.durableStatus(iso),
      pausedChats: this.breaker.paused(),
      ...accountHealth({
        now: this.o.clock.now(),
        heldMessages: this.pipeline.unrecorded,
        storeFailure: this.pipeline.storeFailure,
        lastQuarantine: this.quarantine.last,
        quarantined: this.counters.quarantined,
        pausedChats: this.breaker.paused(),
        internalError: this.crashed ?? (this.o.priorCrash ? { ...this.o.priorCrash, restarted: true } : undefined),
      }),
      transitions: [...this.transitions],
    };
  }

  private cursor(): number | undefined {
    try {
      return this.o.store.getCursor(this.o.account.id);
    } catch {
      return undefined;
    }
  }

  private durableStatus(iso: (t: number | null | undefined) => string | null): Pick<AccountStatus, 'journalLag' | 'outbox'> {
    try {
      const stats = this.o.store.outboxStats(this.o.account.id);
      return {
        journalLag: this.o.store.journalLag(this.o.account.id) + this.pipeline.unrecorded,
        outbox: { depth: stats.depth, oldestQueuedAt: iso(stats.oldestQueuedAt), failed: stats.failed, unknown: stats.unknown },
      };
    } catch {
      return { journalLag: this.pipeline.unrecorded, outbox: { depth: -1, oldestQueuedAt: null, failed: -1, unknown: -1 } };
    }
  }

  private onSnapshot(state: string): void {
    // Once failed, the account stays `failed` until the supervisor replaces this runtime.
    if (this.crashed) return;
    this.enterState(state, this.ctx().reason);
  }

  private enterState(state: string, reason: string): void {
    if (state === this.state) return;
    const now = this.o.clock.now();
    const record: TransitionRecord = { at: new Date(now).toISOString(), from: this.state, to: state, reason };
    this.transitions.push(record);
    if (this.transitions.length > MAX_TRANSITIONS) this.transitions.shift();
    this.state = state;
    this.since = now;
    this.outbox.attach(state === 'streaming' ? this.client : undefined);
    this.logTransition(record);
    this.o.onTransition?.(record);
  }

  private logTransition(t: TransitionRecord): void {
    const log = this.o.logger;
    const ctx = this.ctx();
    const err = ctx.lastError;
    switch (t.to) {
      case 'streaming':
        this.permissionLoggedFor = undefined;
        log.info({ from: t.from, subscription: ctx.subscription, cursor: this.cursor() }, 'streaming');
        break;
      case 'awaiting-permissions':
      case 'misconfigured': {
        // Explain once per distinct problem; the slow re-probes stay quiet.
        const key = `${t.to}:${err?.kind}:${err?.message}`;
        if (this.permissionLoggedFor !== key) {
          this.permissionLoggedFor = key;
          log.error(
            { state: t.to, errorClass: err?.kind, reprobeMs: this.o.supervision.permissionReprobeMs },
            err ? errorText(err) : t.reason,
          );
        }
        break;
      }
      case 'backoff-restart':
        log.warn(
          { errorClass: err?.kind, restarts: ctx.restarts, retryInMs: ctx.retryDelayMs },
          `imsg failed (${err?.message ?? t.reason}); restarting with backoff`,
        );
        break;
      case 'cooling-down':
        log.error({ restarts: ctx.restarts, coolDownMs: this.o.supervision.coolDownMs }, t.reason);
        break;
      default:
        log.debug({ from: t.from, to: t.to, reason: t.reason }, 'state');
    }
  }

  /**
   * The `imsgChild` actor (state `child`): spawns the child, or adopts the one a re-probe from a
   * waiting state has just started, and hands its exit, hang and watch events to the machine.
   * Its cleanup (leaving `child`) stops the child's whole process group.
   */
  private runChild(sendBack: (event: AccountEvent) => void): () => void {
    let live = true;
    this.sink = sendBack;
    const adopted = this.client?.isRunning ? this.client : undefined;
    if (adopted && this.pendingFailure) {
      // The re-probe's child failed between its answer and this state: hand that on.
      const event = this.pendingFailure;
      this.pendingFailure = undefined;
      sendBack(event);
    } else if (!adopted) {
      const client = this.createClient();
      client.start().then(
        () => {
          if (!live) return;
          this.o.logger.debug({ childPid: client.pid }, 'imsg spawned; negotiating');
          sendBack({ type: 'CHILD_SPAWNED' });
        },
        (error: unknown) => {
          if (live && client === this.client) sendBack({ type: 'CHILD_FAILED', error });
        },
      );
    }
    return () => {
      live = false;
      this.sink = undefined;
      this.releaseChild();
    };
  }

  /** imsg 0.14+ said the database is unavailable (-32002): the generation check takes note. */
  private async noting<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (keepsChild(err)) this.generations.noteUnavailable();
      throw err;
    }
  }

  /**
   * The generationWatch actor's work: chat.db generations (db-generations.ts) watched while the
   * child is connected (the machine says when); a replaced file is GENERATION_CHANGED.
   */
  private watchGenerations(sendBack: (event: AccountEvent) => void): void {
    const client = this.client;
    if (this.generationWatch || !client) return;
    this.generationWatch = this.generations.watch(
      client,
      this.imsgInfo?.protocol === 'v1',
      rowsProbeInterval(this.o.supervision.livenessIntervalMs),
      (error) => sendBack({ type: 'GENERATION_CHANGED', error }),
    );
  }

  private stopGenerationWatch(): void {
    const stop = this.generationWatch;
    this.generationWatch = undefined;
    stop?.();
  }

  /** A new client with this account's handlers; it becomes the current child (this.client). */
  private createClient(): ImsgRpcClient {
    const { account, supervision, clock, logger } = this.o;
    this.counters.spawns++;
    const lineLog = (this.lineLog ??= imsgLineLogHandlers(logger, clock, this.counters));
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
          if (client === this.client) this.pipeline.handle(message);
        }),
        onInvalidMessage: this.guard((_sub, rejection, raw) => {
          if (client !== this.client) return;
          this.quarantine.put({
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
      },
    });
    this.client = client;
    this.pendingFailure = undefined;
    return client;
  }

  /** The `initialize` actor (state `child.initializing`): negotiate, then probe and subscribe. */
  private async initialize(signal: AbortSignal): Promise<ConnectOutput> {
    const { account, supervision, logger } = this.o;
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
   * The `connect` actor: a re-probe from awaiting-permissions or misconfigured, outside `child`,
   * so it spawns and initializes in one and stops what it started if that fails, unless imsg 0.14+
   * said the database is unavailable: that child stays up for `child.awaiting-permissions`.
   */
  private async connect(signal: AbortSignal): Promise<ConnectOutput> {
    const client = this.createClient();
    try {
      await client.start();
      return await this.initialize(signal);
    } catch (err) {
      if (keepsChild(err) && client.isRunning) throw err;
      if (this.client === client) this.client = undefined;
      await client.stop();
      throw err;
    }
  }

  /** imsg 0.14+ after -32002: ask the same child's `status`; once the database opens, subscribe on it. */
  private async recheck(signal: AbortSignal): Promise<ConnectOutput> {
    const client = this.client;
    if (!client?.isRunning) throw new Error('the imsg child awaiting database access is gone; starting a new one');
    const info = await refreshStatus(client, this.o.supervision.probeTimeoutMs);
    this.imsgInfo = info;
    const unavailable = databaseUnavailable(info, this.o.account.cliPath, this.o.account.dbPath);
    if (unavailable) throw unavailable;
    this.o.logger.info({ childPid: client.pid }, 'imsg can open the database now; continuing on the same child');
    return this.establish(client, signal);
  }

  /**
   * Probe, first-start cursor, subscribe: on a child that is up and negotiated. A failure leaves
   * `child`, whose cleanup stops the child.
   */
  private async establish(client: ImsgRpcClient, signal: AbortSignal): Promise<ConnectOutput> {
    const { account, supervision, clock, logger } = this.o;
    await client.request('chats.list', { limit: 1 }, supervision.probeTimeoutMs);
    if (signal.aborted) throw new Error('connect aborted');
    await this.generations.check(client);
    if (signal.aborted) throw new Error('connect aborted');
    if (this.o.store.getCursor(account.id) === undefined) {
      const anchor = await initialCursor(client, account.catchUpMs, clock.now());
      this.o.store.setCursor(account.id, anchor);
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
    this.pipeline.flush();
    const cursor = this.o.store.getCursor(this.o.account.id) ?? 0;
    const from = resumeAfterRowid === null ? cursor : Math.min(cursor, Math.max(resumeAfterRowid, 0));
    return {
      attachments: this.o.account.includeAttachments,
      since_rowid: sinceRowidFor(from),
    };
  }

  private async resubscribe(resumeAfterRowid: number | null): Promise<ConnectOutput> {
    const client = this.client;
    if (!client?.isRunning) throw new Error('no live imsg child to resubscribe on');
    return { subscription: await client.subscribe(this.subscribeParams(resumeAfterRowid)) };
  }

  /** The catching-up state's work: messages.after pages through the normal inbound path, then the watch. */
  private catchUp(sendBack: (event: AccountEvent) => void): () => void {
    const { account, store } = this.o;
    const live = () => (this.client?.isRunning ? this.client : undefined);
    return startCatchUpActor(
      {
        client: live,
        cursor: () => {
          this.pipeline.flush();
          return store.getCursor(account.id) ?? 0;
        },
        attachments: account.includeAttachments,
        clock: this.clock,
        logger: this.o.logger,
        deliver: (raw) => this.deliverCaughtUp(raw),
        commit: (rowid) => {
          // Never move the cursor past a row that is not in the journal.
          this.pipeline.flush();
          const held = this.pipeline.unrecorded;
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
      this.pipeline.handle(normalized.message, true);
      return;
    }
    this.lineLog?.onMalformed(normalized.problem, JSON.stringify({ method: 'messages.after', message: raw }));
    this.quarantine.put({
      stage: 'validation',
      reason: normalized.problem,
      ...(normalized.rowid !== undefined ? { rowid: normalized.rowid } : {}),
      ...(normalized.guid !== undefined ? { guid: normalized.guid } : {}),
      payload: raw,
    });
  }

  /**
   * Liveness (streaming.probing): a cheap request with a short deadline. Past the deadline the
   * client reports a hang; -32002 means the database went away under a live child. While requests
   * are in flight their own deadlines already watch the child, so the probe is skipped.
   */
  private async probe(): Promise<void> {
    const client = this.client;
    if (!client?.isRunning) throw new Error('the imsg child is gone');
    if (client.inFlight > 0) return;
    await client.request('chats.list', { limit: 1 }, this.o.supervision.probeTimeoutMs);
  }

  /** An imsg handler that cannot throw into the child's stream (and from there the process). */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.crash(err);
      }
    };
  }

  private fail(event: AccountEvent): void {
    if (this.sink) this.sink(event);
    else this.pendingFailure = event;
  }

  private releaseChild(): void {
    const client = this.client;
    this.client = undefined;
    this.outbox.attach(undefined);
    if (!client) return;
    const stopping = client.stop().finally(() => this.stopping.delete(stopping));
    this.stopping.add(stopping);
  }

  private async disconnect(): Promise<void> {
    this.releaseChild();
    await Promise.allSettled([...this.stopping]);
  }
}

function generationView(g: CursorGeneration | null): AccountStatus['generation'] {
  return g ? { number: g.generation, since: new Date(g.startedAt).toISOString(), reason: g.reason } : null;
}

function imsgView(info: ImsgServerInfo): NonNullable<AccountStatus['imsg']> {
  return {
    version: info.version,
    protocol: info.protocol,
    methods: info.methods,
    databaseReady: info.database?.ready ?? null,
    features: info.features,
    ...(info.fallback !== undefined ? { fallback: info.fallback } : {}),
  };
}
