/**
 * One account's wiring and its status projection: it provides the account machine's actors (the
 * imsg child, initialize, probe, catch-up, resubscribe, stop) from the account's ImsgSession
 * (imsg-session.ts) over the store, the inbound pipeline and the reply queue; the machine, spawned
 * by the gateway's root actor, decides. The runtime
 * projects the machine's state into status, the log and the live view. Nothing here can throw
 * into the supervisor; every failure becomes a machine event, a counter and a log line, or the
 * state `failed` and a restart.
 */
import type { Logger } from 'pino';
import { type ActorRefFrom, createActor, fromCallback, fromPromise, type InspectionEvent } from 'xstate';
import { SessionLanes } from '../agents/session-lanes.js';
import type { AccountConfig, QueueConfig, SupervisionConfig } from '../config/index.js';
import type { ImsgServerInfo } from '../imsg/server-info.js';
import {
  type AccountContext,
  type AccountEvent,
  type AccountMachine,
  type AccountMachineInput,
  accountStateName,
  accountStatePath,
  type ConnectInput,
  type ConnectOutput,
  createAccountMachine,
  type GenerationWatchEvent,
  initialAccountContext,
} from '../machines/account-machine.js';
import type { PairingService } from '../policy/pairing-service.js';
import type { WorkerPool } from '../workers/index.js';
import type { CursorGeneration, GatewayStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { errorText } from '../util/typed-error.js';
import { type AccountCounters, newCounters } from './account-counters.js';
import { accountHealth, type HealthFacts, healthWindows } from './account-health.js';
import { AccountQuarantine } from './account-quarantine.js';
import { DbGenerations, defaultChatDbPath } from './db-generations.js';
import { guardedClock } from './guarded-clock.js';
import type { AccountRoutes } from './account-routes.js';
import { COMPLETION_WINDOW_MS, InboundPipeline, JOURNAL_GAP_MS } from './inbound-pipeline.js';
import { LoopBreaker, REFLECTION_WINDOW_MS } from './loop-breaker.js';
import { AccountMedia } from './media.js';
import { ImsgSession } from './imsg-session.js';
import { ChatSignals } from './chat-signals.js';
import { signalSupport } from '../imsg/signal-support.js';
import { OutboxSender } from './outbox-sender.js';
import { copyCounters, sameCounters, sameInputs, type StatusInputs } from './status-inputs.js';
import { StoredStatus, type StoredStatusView } from './stored-status.js';
import { DEFAULT_JUMP_CONFIRMATIONS } from './rowid-jump.js';
import type { AccountStatus, TransitionRecord } from './status.js';

export interface AccountRuntimeOptions {
  account: AccountConfig;
  routes: AccountRoutes;
  responsePrefix: string | undefined;
  /** messages.queue: collected turns or one turn per message. */
  queue: QueueConfig;
  supervision: SupervisionConfig;
  store: GatewayStore;
  pairing: PairingService;
  pool: WorkerPool;
  /** <home>/media: the ingested attachments. */
  mediaDir: string;
  clock: Clock;
  logger: Logger;
  /** Finished agent turns wait this long on `clock` to share a commit (default COMPLETION_WINDOW_MS). */
  completionWindowMs?: number;
  /** Least time between two journal commits, on `clock` (default JOURNAL_GAP_MS). */
  journalGapMs?: number;
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
  private state = 'spawning';
  /** The machine's active leaf state path ("child.streaming.idle"); inner steps change it without a transition. */
  private statePath: string | undefined;
  private since: number;
  private readonly transitions: TransitionRecord[] = [];
  private permissionLoggedFor: string | undefined;
  private readonly quarantine: AccountQuarantine;
  /** Timers of this account: an exception in one restarts the account, not the process. */
  private readonly clock;
  private crashed: { at: number; error: string } | undefined;
  private stopped = false;
  /** chat.db generations (issue 12, item 5): checked on connect, watched while connected. */
  private readonly generations: DbGenerations;
  /** The imsg child and everything done on it (imsg-session.ts): the machine's actors. */
  private readonly session: ImsgSession;
  /** Typing and read receipts (issue 17): best effort, on the current child. */
  private readonly signals: ChatSignals;
  /** Moves with every state the account shows (enterState): its state, since and transitions. */
  private shownRevision = 0;
  /** The last status built and its inputs (status()). */
  private built: { inputs: StatusInputs; status: AccountStatus } | undefined;
  /** The store's part of status, read again only after the store commits (issue 15, idle CPU). */
  private readonly stored: StoredStatus;

  constructor(private readonly o: AccountRuntimeOptions) {
    const log = o.logger;
    this.since = o.clock.now();
    this.stored = new StoredStatus(o.store, o.account.id);
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
      onLaneBlocked: (error) => this.session.fail({ type: 'CHILD_FAILED', error }),
    });
    this.signals = new ChatSignals({
      settings: o.account,
      client: () => {
        const client = this.session?.current;
        return client?.isRunning && client.server ? client : undefined;
      },
      clock: this.clock,
      logger: log,
      // typing:false goes only once the chat's replies are handed to imsg (never ahead of them).
      afterSends: (chatKey, then) => this.outbox.afterSends(chatKey, then),
      // No typing / read call goes while any reply of the account is queued or sending (one lane).
      lane: { busy: () => this.outbox.busy(), afterIdle: (then) => this.outbox.afterIdle(then) },
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
      queue: o.queue,
      store: o.store,
      onHumanMessage: (chatKey, text) => this.outbox.noteInbound(chatKey, text),
      onPaidReplyTurn: (chatKey) => this.breaker.grant(chatKey),
      onReplies: () => this.outbox.kick(),
      counters: this.counters,
      clock: this.clock,
      logger: log,
      signal: this.abort.signal,
      quarantine: this.quarantine,
      jumpRule: { window: o.account.maxRowidJump, confirmations: DEFAULT_JUMP_CONFIRMATIONS },
      completionWindowMs: o.completionWindowMs ?? COMPLETION_WINDOW_MS,
      journalGapMs: o.journalGapMs ?? JOURNAL_GAP_MS,
      signals: this.signals,
      reactions: o.account.reactionNotifications,
      readOn: () => this.session.readOn(),
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
    const session = (this.session = new ImsgSession({
      account: o.account,
      supervision: o.supervision,
      clock: o.clock,
      guardedClock: this.clock,
      logger: log,
      store: o.store,
      pipeline: this.pipeline,
      quarantine: this.quarantine,
      generations: this.generations,
      counters: this.counters,
      onReleased: () => this.outbox.attach(undefined),
      includeReactions: (info) => {
        if (o.account.reactionNotifications === 'off') return false;
        const support = signalSupport(info, 'reactions');
        if (!support.ok) this.signals.warnOnce('reactions', support.why);
        return support.ok;
      },
      crash: (err) => this.crash(err),
    }));
    const machine = createAccountMachine({ clock: o.clock }).provide({
      actors: {
        imsgChild: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => session.runChild(sendBack)),
        initialize: fromPromise<ConnectOutput, ConnectInput>(({ signal }) => session.noting(session.initialize(signal))),
        resubscribe: fromPromise<ConnectOutput, ConnectInput>(({ input }) => session.resubscribe(input.resumeAfterRowid ?? null)),
        recheck: fromPromise<ConnectOutput, ConnectInput>(({ signal }) => session.noting(session.recheck(signal))),
        regenerate: fromPromise<ConnectOutput, ConnectInput>(({ input, signal }) =>
          session.noting(session.regenerate(input.subscription ?? null, signal)),
        ),
        catchUp: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => session.catchUp(sendBack)),
        generationWatch: fromCallback<GenerationWatchEvent, ConnectInput>(({ sendBack, receive }) => {
          receive((event) => {
            if (event.type === 'WATCH_GENERATIONS') session.watchGenerations(sendBack);
            else session.stopGenerationWatch();
          });
          return () => session.stopGenerationWatch();
        }),
        disconnect: fromPromise<void, { accountId: string }>(() => session.disconnect()),
      },
      actions: {
        probe: ({ self }) => session.probeInBackground((error) => self.send({ type: 'PROBE_FAILED', error })),
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
          this.statePath = accountStatePath(snapshot.value);
          this.onSnapshot(accountStateName(snapshot.value, snapshot.context));
        } catch (err) {
          this.crash(err);
        }
      },
      error: (err) => this.crash(err),
    });
    // A spawned machine started before this subscription: show where it already is.
    this.statePath = accountStatePath(this.actor.getSnapshot().value);
    this.onSnapshot(accountStateName(this.actor.getSnapshot().value, this.actor.getSnapshot().context));
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

  /**
   * Operator asks for an immediate retry (awaiting-permissions, misconfigured, backoff, cool-down).
   * False, and nothing sent, when the machine is in a state that takes no RETRY (streaming, …).
   */
  retry(): boolean {
    const snapshot = this.actor?.getSnapshot();
    if (!snapshot || !snapshot.can({ type: 'RETRY' })) return false;
    this.actor!.send({ type: 'RETRY' });
    return true;
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
      this.signals.close();
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
      await this.session.disconnect();
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

  /**
   * The account's status. An idle account's status is the last one built (the same object) while
   * nothing it is built from moved (status-inputs.ts): the status tick asks 100 accounts each
   * second, and building them all took most of an idle gateway's CPU after the probes (issue 15).
   * A field added to the status must add what it is built from to `inputs` (a value, or a reference
   * that is replaced when it changes), or it goes stale while the account is idle.
   */
  status(): AccountStatus {
    const ctx = this.ctx();
    const stored = this.stored.read();
    const pausedChats = this.breaker.paused();
    const failure = this.pipeline.storeFailure;
    const quarantined = this.quarantine.last;
    const health: HealthFacts = {
      now: this.o.clock.now(),
      heldMessages: this.pipeline.unrecorded,
      storeFailure: failure,
      lastQuarantine: quarantined,
      quarantined: this.counters.quarantined,
      pausedChats,
      internalError: this.crashed ?? (this.o.priorCrash ? { ...this.o.priorCrash, restarted: true } : undefined),
    };
    const inputs: StatusInputs = {
      items: [
        this.shownRevision,
        this.statePath,
        ctx,
        stored,
        this.session.current?.pid,
        this.session.info,
        health.heldMessages,
        failure?.since,
        failure?.error,
        quarantined?.at,
        quarantined?.reason,
        quarantined?.rowid,
        this.o.routes.defaultAgentId,
      ],
      counters: this.built && sameCounters(this.counters, this.built.inputs.counters) ? this.built.inputs.counters : copyCounters(this.counters),
      pausedChats,
      windows: healthWindows(health),
    };
    if (this.built && sameInputs(inputs, this.built.inputs)) return this.built.status;
    const status = this.buildStatus(ctx, stored, inputs.counters, health);
    this.built = { inputs, status };
    return status;
  }

  private buildStatus(ctx: AccountContext, stored: StoredStatusView, counters: AccountCounters, health: HealthFacts): AccountStatus {
    const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString() : null);
    return {
      id: this.o.account.id,
      name: this.o.account.name ?? null,
      enabled: true,
      state: this.state,
      ...(this.statePath !== undefined && !this.crashed ? { statePath: this.statePath } : {}),
      since: new Date(this.since).toISOString(),
      lastError: ctx.lastError?.message ?? null,
      lastErrorClass: ctx.lastError?.kind ?? null,
      remediation: ctx.lastError?.remediation ?? null,
      lastErrorAt: iso(ctx.lastError?.at),
      restarts: ctx.restarts,
      attempt: ctx.attempt,
      nextRetryAt: iso(ctx.nextRetryAt),
      reason: ctx.reason,
      childPid: this.session.current?.pid ?? null,
      ...(this.session.info ? { imsg: imsgView(this.session.info) } : {}),
      ...(ctx.catchUp ? { catchUp: { ...ctx.catchUp, startedAt: new Date(ctx.catchUp.startedAt).toISOString() } } : {}),
      cursor: stored.cursor ?? null,
      generation: generationView(stored.generation),
      agentId: this.o.routes.defaultAgentId,
      counters: copyCounters(counters),
      ...this.durableStatus(stored, iso),
      pausedChats: [...health.pausedChats],
      ...accountHealth(health),
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

  private durableStatus(stored: StoredStatusView, iso: (t: number | null | undefined) => string | null): Pick<AccountStatus, 'journalLag' | 'outbox'> {
    const durable = stored.durable;
    if (!durable) return { journalLag: this.pipeline.unrecorded, outbox: { depth: -1, oldestQueuedAt: null, failed: -1, unknown: -1 } };
    const stats = durable.outbox;
    return {
      journalLag: durable.journalLag + this.pipeline.unrecorded,
      outbox: { depth: stats.depth, oldestQueuedAt: iso(stats.oldestQueuedAt), failed: stats.failed, unknown: stats.unknown },
    };
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
    this.shownRevision++;
    if (this.transitions.length > MAX_TRANSITIONS) this.transitions.shift();
    this.state = state;
    this.since = now;
    this.outbox.attach(state === 'streaming' ? this.session.current : undefined);
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
