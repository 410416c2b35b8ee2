/**
 * Owns one AccountRuntime per enabled account, one-for-one: an account's failures never touch
 * another. The account machines are children of one root XState actor (gateway-machine.ts): it
 * spawns each account's machine when its runtime starts, stops it on removal and shutdown, and
 * reports an account actor that throws, which is then restarted with backoff (restartCrashed). Accounts whose configured policy this build cannot enforce are refused (fail closed)
 * and shown as such. Reload applies a new config by restarting only the accounts whose effective
 * settings changed. Stops everything in order within a bounded time.
 */
import type { Logger } from 'pino';
import { type Actor, type ActorRefFrom, createActor, type InspectionEvent } from 'xstate';
import type { AccountConfig, GatewayConfig } from '../config/index.js';
import type { AccountMachine } from '../machines/account-machine.js';
import { AgentRouter } from '../routing/bindings.js';
import type { PairingService } from '../policy/pairing-service.js';
import type { GatewayStore } from '../store/index.js';
import type { WorkerPool } from '../workers/index.js';
import type { Clock } from '../util/clock.js';
import { newCounters } from './account-counters.js';
import { buildAccountRoutes } from './account-routes.js';
import { runtimeVersions } from '../util/runtime-versions.js';
import { AccountRuntime, type StopReport } from './account-runtime.js';
import { DeadLetterPruner } from './dead-letter-pruner.js';
import type { GatewayEvent } from './control-backend.js';
import { createGatewayMachine, type GatewayEvent as GatewayMachineEvent, type GatewayMachine } from './gateway-machine.js';
import type { AccountStatus, GatewayStatus, TransitionRecord } from './status.js';
import {
  configSourceRoles,
  cursorDonors,
  mergedIntoMap,
  mergedStatusText,
  ownerFix,
  refusalOf,
  roleFingerprint,
  sharedSourceWarning,
  type SourceRole,
} from './source-roles.js';

export interface SupervisorOptions {
  config: GatewayConfig;
  configPath: string | null;
  store: GatewayStore;
  pairing: PairingService;
  pool: WorkerPool;
  mediaDir: string;
  clock: Clock;
  logger: Logger;
  onChange?: () => void;
  /** XState inspection (the Stately inspector relay), already sanitised by its provider. */
  inspect?: (event: InspectionEvent) => void;
  /**
   * How long finished agent turns wait to share a commit, on `clock` (default COMPLETION_WINDOW_MS;
   * 0: only those of the same event-loop turn, for a simulated clock nobody advances).
   */
  completionWindowMs?: number;
  /** Least time between two journal commits of an account, on `clock` (default JOURNAL_GAP_MS; 0 for a simulated clock nobody advances). */
  journalGapMs?: number;
}

/**
 * How often the housekeeping runs (pruning settled rows, dead letters). Nothing polls the outbox:
 * while the gateway runs, every send comes in through it (the control API, the agents), and each
 * entry point wakes the account's outbox itself.
 */
const HOUSEKEEPING_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
const KEEP_SETTLED_MS = 30 * 86_400_000;
const PAIRING_KEEP_MS = 7 * 86_400_000;

interface Slot {
  fingerprint: string;
  runtime?: AccountRuntime;
  inactive?: AccountStatus;
}

type MergedRole = Extract<SourceRole, { kind: 'merged' }>;

export interface ReloadResult {
  restarted: string[];
  started: string[];
  stopped: string[];
  unchanged: string[];
}

export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private readonly startedAt: number;
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private config: GatewayConfig;
  private housekeepingTimer: unknown;
  private lastPrune = 0;
  private stopping = false;
  private readonly deadLetters: DeadLetterPruner;
  /** Crashed runtimes waiting for their restart (the root actor's ACCOUNT.RESTART_DUE), by account. */
  private readonly crashed = new Map<string, { runtime: AccountRuntime; stopped: Promise<unknown> }>();

  /** The root actor: one child account machine per running account. */
  private readonly root: Actor<GatewayMachine>;
  /**
   * One watcher per Messages source (source-roles.ts): the runnable accounts' roles under the
   * current config. An owner runs the source's one imsg child; a merged account runs nothing.
   */
  private roles = new Map<string, SourceRole>();

  constructor(private readonly o: SupervisorOptions) {
    this.startedAt = o.clock.now();
    this.config = o.config;
    this.deadLetters = new DeadLetterPruner({ ...o, retentionMs: () => this.config.gateway.delivery.deadLetterRetentionMs });
    const machine = createGatewayMachine({
      accountLogic: (id) => {
        const runtime = this.slots.get(id)?.runtime;
        return runtime ? { logic: runtime.logic, input: runtime.input } : undefined;
      },
      onAccountFailed: (id, error) => this.slots.get(id)?.runtime?.crash(error),
      crashBackoff: () => this.config.gateway.supervision,
      onRestartScheduled: (id, crash, delayMs) => this.restartScheduled(id, crash.count, delayMs),
      onRestartDue: (id) => this.restartDue(id),
    });
    this.root = createActor(machine, { clock: o.clock, ...(o.inspect ? { inspect: o.inspect } : {}) });
  }

  private sendRoot(event: GatewayMachineEvent): void {
    if (this.root.getSnapshot().status === 'active') this.root.send(event);
  }

  /** Spawns the account's machine as a child of the root actor (the runtime's spawnMachine). */
  private spawnAccount(id: string): ActorRefFrom<AccountMachine> {
    if (this.root.getSnapshot().context.accounts[id]) this.root.send({ type: 'ACCOUNT.REMOVE', accountId: id });
    this.root.send({ type: 'ACCOUNT.SPAWN', accountId: id });
    const ref = this.root.getSnapshot().context.accounts[id];
    if (!ref) throw new Error(`the gateway's root actor did not spawn account ${id}`);
    return ref as ActorRefFrom<AccountMachine>;
  }

  /** The account ids the root actor runs, and those it marked failed (tests, diagnostics). */
  get rootView(): { running: string[]; failed: Record<string, string> } {
    const ctx = this.root.getSnapshot().context;
    return { running: Object.keys(ctx.accounts).sort(), failed: { ...ctx.failed } };
  }

  get currentConfig(): GatewayConfig {
    return this.config;
  }

  start(): void {
    this.root.start();
    this.roles = this.rolesOf(this.config);
    this.warnSharedSources();
    for (const account of this.config.accounts) this.slots.set(account.id, this.createSlot(account, this.config, undefined));
    for (const slot of this.slots.values()) slot.runtime?.start();
    this.lastPrune = this.o.clock.now();
    this.deadLetters.tick();
    this.housekeepingTimer = this.o.clock.setTimeout(() => this.housekeeping(), HOUSEKEEPING_MS);
    const running = [...this.slots.values()].filter((s) => s.runtime).length;
    const merged = [...this.roles.values()].filter((r) => r.kind === 'merged').length;
    this.o.logger.info({ accounts: running, inactive: this.slots.size - running - merged, merged }, 'gateway started');
  }

  /**
   * Applies a validated config: accounts whose effective settings (account, agent, messages,
   * supervision, the source they are merged into) are unchanged keep running untouched; changed ones
   * restart; removed ones stop. Every stop completes before any start, so a Messages source never has
   * two watchers, and a new owner of a source continues from its previous owner's cursor.
   */
  async reload(config: GatewayConfig): Promise<ReloadResult> {
    const result: ReloadResult = { restarted: [], started: [], stopped: [], unchanged: [] };
    const previousRoles = this.roles;
    const roles = this.rolesOf(config);
    const next = new Map(config.accounts.map((a) => [a.id, a]));
    const stops: Array<Promise<unknown>> = [];
    const toStart: AccountConfig[] = [];
    for (const [id, slot] of this.slots) {
      const account = next.get(id);
      if (!account) {
        result.stopped.push(id);
        this.slots.delete(id);
        if (slot.runtime) stops.push(slot.runtime.stop().then(() => this.sendRoot({ type: 'ACCOUNT.REMOVE', accountId: id })));
        continue;
      }
      if (fingerprint(account, config, roles) === slot.fingerprint) {
        result.unchanged.push(id);
        continue;
      }
      result.restarted.push(id);
      if (slot.runtime) stops.push(slot.runtime.stop());
      toStart.push(account);
    }
    for (const account of config.accounts) {
      if (this.slots.has(account.id)) continue;
      result.started.push(account.id);
      toStart.push(account);
    }
    this.config = config;
    this.roles = roles;
    this.warnSharedSources();
    await Promise.allSettled(stops);
    for (const account of toStart) {
      const slot = this.createSlot(account, config, previousRoles);
      this.slots.set(account.id, slot);
      slot.runtime?.start();
    }
    this.o.logger.info(result, 'config reloaded');
    this.o.onChange?.();
    return result;
  }

  /** Merged account id → the owner that handles its source's messages (send refuses the merged ones). */
  get merged(): Map<string, string> {
    return mergedIntoMap(this.roles);
  }

  account(id: string): AccountRuntime | undefined {
    return this.slots.get(id.toLowerCase())?.runtime;
  }

  /** True while a live-view subscriber listens (the status tick publishes only then). */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(running = true): GatewayStatus {
    const now = this.o.clock.now();
    const accounts = [...this.slots.values()].map((s) => (s.runtime ? this.withMerged(s.runtime.status()) : s.inactive!));
    accounts.sort((a, b) => a.id.localeCompare(b.id));
    return {
      running,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      updatedAt: new Date(now).toISOString(),
      configPath: this.o.configPath,
      runtime: runtimeVersions(),
      accounts,
    };
  }

  /**
   * Stops every account concurrently; each stop is bounded by the client's escalation to SIGKILL
   * and the agents' grace. Returns what each account could not write.
   */
  async stop(): Promise<StopReport[]> {
    this.stopping = true;
    this.o.logger.info('stopping all accounts');
    if (this.housekeepingTimer !== undefined) this.o.clock.clearTimeout(this.housekeepingTimer);
    const settled = await Promise.allSettled([...this.slots.values()].map(async (s) => s.runtime?.stop()));
    this.sendRoot({ type: 'SHUTDOWN' });
    this.root.stop();
    this.o.logger.info('all accounts stopped');
    return settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  }

  /**
   * One account's machinery threw (account-runtime.ts crash): the root actor counts it and
   * schedules the restart with backoff (gateway-machine.ts); the other accounts and the process go
   * on. A crash of a runtime that is no longer the account's current one is ignored.
   */
  private restartCrashed(accountId: string, runtime: AccountRuntime): void {
    const slot = this.slots.get(accountId);
    if (this.stopping || !slot || slot.runtime !== runtime) return;
    if (this.crashed.get(accountId)?.runtime === runtime) return; // already counted and scheduled
    this.crashed.set(accountId, { runtime, stopped: runtime.stop().catch(() => undefined) });
    const error = runtime.crashInfo?.error;
    this.sendRoot({ type: 'ACCOUNT.CRASHED', accountId, at: this.o.clock.now(), ...(error !== undefined ? { error } : {}) });
  }

  private restartScheduled(accountId: string, count: number, delayMs: number): void {
    this.o.logger.warn({ account: accountId, restartInMs: delayMs, internalErrors: count }, 'restarting the account after an internal error');
    this.o.onChange?.();
  }

  /** The root's restart is due: once the crashed runtime has stopped, start a fresh one. */
  private restartDue(accountId: string): void {
    const pending = this.crashed.get(accountId);
    if (!pending) return;
    void pending.stopped.then(() => {
      if (this.crashed.get(accountId) !== pending) return;
      this.crashed.delete(accountId);
      const current = this.slots.get(accountId);
      if (this.stopping || !current || current.runtime !== pending.runtime) return;
      const account = this.config.accounts.find((a) => a.id === accountId);
      if (!account) return;
      const fresh = this.createSlot(account, this.config, this.roles);
      this.slots.set(accountId, fresh);
      fresh.runtime?.start();
      this.o.onChange?.();
    });
  }

  /**
   * The slot of an account under the current roles. `previousRoles`: the roles before this reload
   * (undefined at start): a new owner of a source continues from the cursor of whoever read it.
   */
  private createSlot(account: AccountConfig, config: GatewayConfig, previousRoles: ReadonlyMap<string, SourceRole> | undefined): Slot {
    const log = this.o.logger.child({ account: account.id });
    const role = this.roles.get(account.id);
    const print = fingerprint(account, config, this.roles);
    if (!account.enabled) {
      log.info('account disabled in config');
      return { fingerprint: print, inactive: this.inactiveStatus(account, 'disabled', null) };
    }
    const refusal = refusalOf(account, config);
    if (refusal || !config.defaultAgentId) {
      const reason = refusal ?? 'no agent';
      log.error({ errorClass: 'policy-not-enforced' }, `account not started: ${reason}`);
      return { fingerprint: print, inactive: this.inactiveStatus(account, 'refused', reason) };
    }
    if (role?.kind === 'merged') return { fingerprint: print, inactive: this.mergedStatus(account, role) };
    this.adoptCursor(account.id, previousRoles);
    const router = new AgentRouter(config.bindings, config.defaultAgentId, (id) => config.accounts.find((a) => a.id === id)?.region ?? 'US');
    const runtime = new AccountRuntime({
      account,
      routes: buildAccountRoutes(account, config, { store: this.o.store, pairing: this.o.pairing, router, merged: new Set(this.merged.keys()) }),
      responsePrefix: config.messages.responsePrefix,
      queue: config.messages.queue,
      supervision: config.gateway.supervision,
      store: this.o.store,
      pairing: this.o.pairing,
      pool: this.o.pool,
      mediaDir: this.o.mediaDir,
      clock: this.o.clock,
      logger: log,
      ...(this.o.completionWindowMs !== undefined ? { completionWindowMs: this.o.completionWindowMs } : {}),
      ...(this.o.journalGapMs !== undefined ? { journalGapMs: this.o.journalGapMs } : {}),
      onTransition: (record) => this.emitTransition(account.id, record),
      onCrash: () => this.restartCrashed(account.id, runtime),
      spawnMachine: () => this.spawnAccount(account.id),
      ...priorCrashOf(this.root.getSnapshot().context.crashes[account.id]),
    });
    return { fingerprint: print, runtime };
  }

  private emitTransition(accountId: string, record: TransitionRecord): void {
    this.o.onChange?.();
    this.publish({ type: 'transition', accountId, ...record });
  }

  /** Hands an event to every live-view subscriber; a failing subscriber is dropped, never fatal. */
  publish(event: GatewayEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** Prunes settled rows now and then, and dead letters past their retention. */
  private housekeeping(): void {
    const now = this.o.clock.now();
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const pruned = this.safely(() => {
        this.o.store.prunePairingRequests(now - PAIRING_KEEP_MS);
        return this.o.store.prune(now - KEEP_SETTLED_MS);
      });
      if (pruned && (pruned.journal > 0 || pruned.outbox > 0)) this.o.logger.info(pruned, 'pruned settled journal and outbox rows');
    }
    this.deadLetters.tick();
    this.housekeepingTimer = this.o.clock.setTimeout(() => this.housekeeping(), HOUSEKEEPING_MS);
  }

  private safely<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'state database unavailable');
      return undefined;
    }
  }

  /** The runnable accounts of a config and their source roles. */
  private rolesOf(config: GatewayConfig): Map<string, SourceRole> {
    return configSourceRoles(config);
  }

  /** One warning per shared Messages source, naming the owner and the accounts merged into it. */
  private warnSharedSources(): void {
    for (const role of this.roles.values()) {
      if (role.kind !== 'owner' || role.source.duplicates.length === 0) continue;
      const { message, ...fields } = sharedSourceWarning(role.source);
      this.o.logger.warn({ errorClass: 'shared-messages-source', ...fields }, message);
    }
  }

  /** Before an owner's child starts: MAX of its cursor and those of the source's previous readers. */
  private adoptCursor(id: string, previousRoles: ReadonlyMap<string, SourceRole> | undefined): void {
    this.safely(() => {
      const own = this.o.store.getCursor(id);
      const donors = cursorDonors(id, this.roles, previousRoles, own !== undefined);
      let best: { from: string; cursor: number } | undefined;
      for (const donor of donors) {
        const cursor = this.o.store.getCursor(donor);
        if (cursor !== undefined && (best === undefined || cursor > best.cursor)) best = { from: donor, cursor };
      }
      if (!best || (own !== undefined && own >= best.cursor)) return;
      this.o.store.setCursor(id, best.cursor);
      this.o.logger.info({ account: id, from: best.from, cursor: best.cursor }, 'takes over the Messages source: continues after the row its previous reader got to');
    });
  }

  /** An owner's status names the accounts merged into it (and, while misconfigured, that a reload hands the source over). */
  private withMerged(status: AccountStatus): AccountStatus {
    const role = this.roles.get(status.id);
    if (role?.kind !== 'owner' || role.source.duplicates.length === 0) return status;
    return { ...status, mergedAccounts: [...role.source.duplicates], remediation: ownerFix(status.state, status.remediation, role) };
  }

  private mergedStatus(account: AccountConfig, role: MergedRole): AccountStatus {
    const text = mergedStatusText(account.id, role);
    return {
      ...this.inactiveStatus(account, 'merged', text.problem),
      lastErrorClass: 'shared-messages-source',
      remediation: text.fix,
      reason: text.reason,
      health: 'warning',
      mergedInto: role.owner,
    };
  }

  private inactiveStatus(account: AccountConfig, state: 'disabled' | 'refused' | 'merged', reason: string | null): AccountStatus {
    const now = new Date(this.o.clock.now()).toISOString();
    return {
      id: account.id,
      name: account.name ?? null,
      enabled: account.enabled,
      state,
      since: now,
      lastError: reason,
      lastErrorClass: reason ? 'policy-not-enforced' : null,
      remediation: reason,
      lastErrorAt: reason ? now : null,
      restarts: 0,
      attempt: 0,
      nextRetryAt: null,
      reason: reason ?? 'disabled in config',
      childPid: null,
      cursor: null,
      agentId: null,
      counters: newCounters(),
      journalLag: 0,
      outbox: { depth: 0, oldestQueuedAt: null, failed: 0, unknown: 0 },
      pausedChats: [],
      health: 'ok',
      degradedReasons: [],
      transitions: [],
    };
  }
}

/** Everything that shapes how an account runs: if it is unchanged, a reload leaves the account alone. */
function fingerprint(account: AccountConfig, config: GatewayConfig, roles: ReadonlyMap<string, SourceRole>): string {
  const role = roles.get(account.id);
  return JSON.stringify({
    account,
    mergedInto: roleFingerprint(role),
    agents: config.agents,
    defaultAgentId: config.defaultAgentId,
    bindings: config.bindings,
    messages: config.messages,
    supervision: config.gateway.supervision,
    // Whether other accounts may share its agent (group session keys then carry the account); an
    // account merged into another one handles nothing, so it does not count.
    shared: config.accounts.filter((a) => a.enabled && roles.get(a.id)?.kind !== 'merged').length > 1,
  });
}

/** The crash a fresh runtime replaces, for its status (degraded `internal-error` for a while). */
function priorCrashOf(crash: { lastAt: number; error?: string } | undefined): { priorCrash?: { at: number; error: string } } {
  return crash?.error !== undefined ? { priorCrash: { at: crash.lastAt, error: crash.error } } : {};
}
