/**
 * One running gateway process: the home's lock and state database, the supervisor, the control
 * API and dashboard, the optional inspector relay, the status file, reloads and an orderly stop.
 * The start command builds it and turns signals into its methods.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LogRing } from '../util/log-ring.js';
import { type LoopDelay, startLoopDelay } from '../util/loop-delay.js';
import { ConfigError, type GatewayConfig, loadConfigFile } from '../config/index.js';
import { PairingError, PairingService } from '../policy/pairing-service.js';
import type { CommitStats } from '../sqlite/index.js';
import type { DeliveryCounts, GatewayStore } from '../store/index.js';
import { openHomeStore } from '../store/home-store.js';
import { ControlRequestError, type ReloadAnswer } from '../supervisor/control-backend.js';
import type { StopReport } from '../supervisor/account-runtime.js';
import { acquireLockAfterDirectWrites } from '../supervisor/gateway-lock.js';
import { GatewayControl } from '../supervisor/gateway-control.js';
import type { AccountStatus, GatewayStatus } from '../supervisor/status.js';
import { writeStatusFile } from '../supervisor/status-file.js';
import { StatusWriter } from '../supervisor/status-writer.js';
import { TimerGrid } from '../util/timer-grid.js';
import { DeliveryCountsCache } from '../supervisor/delivery-counts-cache.js';
import { type StoreHealth, StoreWatch, withStoreProblem } from '../supervisor/store-watch.js';
import { withDelivery } from '../supervisor/delivery-health.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { systemClock } from '../util/clock.js';
import { ensurePrivateDir } from '../util/private-file.js';
import { type ControlServer, startControlServer } from '../web/control-server.js';
import { ensureControlToken } from '../web/control-token.js';
import { type StatelyInspector, startStatelyInspector } from '../web/inspector.js';
import { accountMachineGraph } from '../web/account-machine-graph.js';
import { createPool, type WorkerPool } from '../workers/index.js';
import { restartOnlyChanges } from './reload-restart-only.js';

export interface RunGatewayOptions {
  home: string;
  config: GatewayConfig;
  /** null for the embedded demo (nothing to reload). */
  configPath: string | null;
  logger: Logger;
  /** The logger's ring of recent records, served to the dashboard's log panel. */
  logRing?: LogRing;
  /** `start --reset-state`: accept a missing or empty state database in a home that held one. */
  resetState?: boolean;
  /** The demo: a taken control port falls back to a free one instead of no dashboard. */
  portFallback?: boolean;
  /** `start --port N`: kept over the config file's gateway.http.port across reloads. */
  portOverride?: number;
}

type ReloadRecord = NonNullable<GatewayStatus['lastReload']>;

export class RunningGateway {
  private readonly releaseLock: () => void;
  private readonly store: GatewayStore;
  private readonly supervisor: Supervisor;
  private readonly pairing: PairingService;
  private readonly pool: WorkerPool;
  private readonly storeWatch: StoreWatch;
  private readonly delivery: DeliveryCountsCache;
  private readonly statusWriter: StatusWriter;
  private config: GatewayConfig;
  private control: ControlServer | undefined;
  private inspector: StatelyInspector | undefined;
  private statusTimer: unknown;
  /** The gateway's timers of a second or more, on whole seconds: one wakeup for the fleet (timer-grid.ts). */
  private readonly timers = new TimerGrid(systemClock);
  /** withDeliveryAndStore's last result per account status object. */
  private readonly decorated = new WeakMap<AccountStatus, { counts: DeliveryCounts | undefined; store: StoreHealth; overdueAfterMs: number; status: AccountStatus }>();
  private lastReload: ReloadRecord | undefined;
  private reloading: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private released = false;

  private constructor(
    private readonly o: RunGatewayOptions,
    parts: { releaseLock: () => void; store: GatewayStore; inspector: StatelyInspector | undefined },
  ) {
    this.config = o.config;
    this.releaseLock = parts.releaseLock;
    this.store = parts.store;
    this.inspector = parts.inspector;
    this.pool = createPool();
    this.storeWatch = new StoreWatch({ store: this.store, home: o.home, logger: o.logger, now: systemClock.now });
    this.delivery = new DeliveryCountsCache(this.store);
    this.statusWriter = new StatusWriter({
      build: () => this.status(),
      write: (status) => this.writeStatus(status),
      clock: systemClock,
      defer: (fn) => void setImmediate(fn),
      // Every message, cursor, send and settle commits: the status may have moved (NaN: cannot say, build).
      activity: () => this.storeCommits()?.commits ?? Number.NaN,
    });
    this.pairing = new PairingService(this.store, {
      region: (accountId) => this.config.accounts.find((a) => a.id === accountId)?.region ?? 'US',
    });
    this.supervisor = new Supervisor({
      config: o.config,
      configPath: o.configPath,
      store: this.store,
      pairing: this.pairing,
      pool: this.pool,
      mediaDir: join(o.home, 'media'),
      clock: this.timers.clock,
      logger: o.logger,
      onChange: () => this.statusWriter.request(),
      ...(this.inspector ? { inspect: this.inspector.inspect } : {}),
    });
  }

  /** Takes the lock and opens the state database; throws (releasing what it took) if either fails. */
  static async open(o: RunGatewayOptions): Promise<RunningGateway> {
    ensurePrivateDir(o.home);
    // A CLI writing this home's files directly right now (send, pairing, delivery) holds the lock
    // for that write: wait for it, so its row is there when the accounts drain their outboxes.
    const releaseLock = await acquireLockAfterDirectWrites(o.home, {
      now: systemClock.now,
      pause: (ms) => new Promise<void>((resolve) => systemClock.setTimeout(resolve, ms)),
      onWait: (pid) => o.logger.info({ pid }, 'waiting for a CLI write to the state database to finish before starting'),
    });
    let store: GatewayStore | undefined;
    let inspector: StatelyInspector | undefined;
    try {
      store = openHomeStore(o.home, {
        // Commits are fsync'd off the event loop; sends and API answers await them (docs/durability.md).
        durability: 'deferred',
        onDurabilityProblem: (message) => o.logger.warn(message),
        resetState: o.resetState === true,
        onSetAside: (files) =>
          o.logger.warn({ files }, 'the write-ahead log of the vanished state database was set aside (renamed, not deleted)'),
      });
      if (o.resetState) o.logger.warn({ home: o.home }, 'started with --reset-state: a missing or empty state database was accepted');
      const inspectorConfig = o.config.gateway.inspector;
      if (inspectorConfig.enabled) {
        inspector = await startStatelyInspector({
          port: inspectorConfig.port,
          token: ensureControlToken(o.home),
          logger: o.logger,
          limits: o.config.gateway.http,
        });
        o.logger.info({ port: inspector.relay.port }, 'Stately inspector relay listening on 127.0.0.1 (open the bridge page printed below)');
      }
    } catch (err) {
      store?.close();
      releaseLock();
      throw err;
    }
    return new RunningGateway(o, { releaseLock, store, inspector });
  }

  async start(): Promise<void> {
    const { logger } = this.o;
    this.supervisor.start();
    if (this.config.gateway.http.enabled) await this.startControl(this.config.gateway.http.port);
    else this.dashboardProblem = 'gateway.http.enabled is false';
    this.statusWriter.tick();
    // On every whole second of the clock, with the accounts' timers due then: the store's file, and
    // the status for the file (built when something may have moved, written when it changed:
    // status-writer.ts) and for the live view while it listens.
    const tick = () => {
      this.statusTimer = this.timers.next(tick);
      const health = this.storeWatch.health;
      if (this.storeWatch.check() !== health) this.statusWriter.request();
      const listening = this.supervisor.listening;
      const status = this.statusWriter.periodic(listening);
      if (status && listening) this.supervisor.publish({ type: 'status', status });
    };
    this.statusTimer = this.timers.next(tick);
  }

  /** The control API and dashboard; a taken port falls back to a free one only with `portFallback` (the demo). */
  private async startControl(port: number): Promise<void> {
    const { logger } = this.o;
    const listen = (p: number) =>
      startControlServer({
        backend: this.backend(),
        home: this.o.home,
        port: p,
        limits: this.config.gateway.http,
        logger,
        ...(this.inspector ? { inspector: { url: this.inspector.url } } : {}),
      });
    try {
      try {
        this.control = await listen(port);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE' || !this.o.portFallback || port === 0) throw err;
        logger.warn({ port }, `port ${port} is taken; the dashboard listens on a free port instead (\`--port N\` picks one)`);
        this.control = await listen(0);
      }
    } catch (err) {
      const taken = (err as { code?: string }).code === 'EADDRINUSE';
      this.dashboardProblem = taken
        ? `port ${port} on 127.0.0.1 is taken (another gateway or program listens there)`
        : (err as Error).message;
      logger.error(
        { port },
        `control API not started: ${this.dashboardProblem}; accounts keep running. ` +
          'Stop what holds the port, or start with `--port N` or set gateway.http.port to a free port (0: any free port).',
      );
    }
  }

  /** Where the dashboard listens (the URL with the token is for a terminal only), or why it does not. */
  dashboard(): { url: string; dashboardUrl: string; inspectorUrl?: string } | { problem: string } {
    if (!this.control) return { problem: this.dashboardProblem ?? 'not started' };
    return {
      url: this.control.url,
      dashboardUrl: this.control.dashboardUrl,
      ...(this.inspector ? { inspectorUrl: this.inspector.url } : {}),
    };
  }

  private dashboardProblem: string | undefined;
  private readonly loopDelay = startLoopDelay();

  private storeCommits(): CommitStats | undefined {
    try {
      const c = this.store.commitStats();
      return { ...c, totalMs: Math.round(c.totalMs), maxMs: Math.round(c.maxMs * 100) / 100 };
    } catch {
      return undefined;
    }
  }

  private eventLoop(): LoopDelay {
    return this.loopDelay.read();
  }

  status(running = !this.stopping): GatewayStatus {
    const gateway = this.supervisor.status(running);
    const store = this.storeWatch.health;
    const delivery = this.deliveryCounts(gateway.accounts.map((a) => a.id));
    const overdueAfterMs = this.config.gateway.delivery.overdueAfterMs;
    return {
      ...gateway,
      accounts: gateway.accounts.map((a) => this.withDeliveryAndStore(a, delivery?.counts.get(a.id), overdueAfterMs, store)),
      ...(delivery && delivery.removed.length > 0 ? { removedAccounts: delivery.removed } : {}),
      store,
      storeCommits: this.storeCommits(),
      storeDurability: this.store.durability(),
      eventLoop: this.eventLoop(),
      ...(this.lastReload ? { lastReload: this.lastReload } : {}),
      ...(this.control ? { controlUrl: this.control.url } : this.dashboardProblem ? { controlProblem: this.dashboardProblem } : {}),
    };
  }

  /**
   * An account's status with its delivery counts and the store's problem. The same inputs (an
   * unchanged account status, the same counts, store health and threshold) give the same object
   * as last time: the status tick of an idle fleet allocates nothing per account, and the status
   * writer's comparison stops at the first reference (issue 15, idle CPU).
   */
  private withDeliveryAndStore(a: AccountStatus, counts: DeliveryCounts | undefined, overdueAfterMs: number, store: StoreHealth): AccountStatus {
    const kept = this.decorated.get(a);
    if (kept && kept.counts === counts && kept.store === store && kept.overdueAfterMs === overdueAfterMs) return kept.status;
    const status = withStoreProblem(counts ? withDelivery(a, counts, overdueAfterMs) : a, store);
    this.decorated.set(a, { counts, store, overdueAfterMs, status });
    return status;
  }

  /** Delivery counts per account, and dead letters of accounts no longer configured (read once per change); undefined when the store cannot say. */
  private deliveryCounts(ids: string[]) {
    try {
      return this.delivery.read(ids, systemClock.now(), this.config.gateway.delivery.overdueAfterMs);
    } catch {
      return undefined;
    }
  }

  /** Re-reads the config file; an invalid one is refused and the running config kept. Serialised. */
  reload(): Promise<ReloadAnswer> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadAnswer> {
    const { logger, configPath } = this.o;
    const at = new Date().toISOString();
    const refuse = (error: string) => {
      this.lastReload = { at, ok: false, restarted: [], started: [], stopped: [], error };
      this.statusWriter.request();
      return { ok: false, restarted: [], error };
    };
    if (this.stopping) return refuse('the gateway is stopping');
    if (configPath === null) {
      logger.warn('reload: the embedded demo has no config file to re-read');
      return refuse('the demo has no config file');
    }
    let next: GatewayConfig;
    try {
      next = loadConfigFile(configPath);
    } catch (err) {
      const error = err instanceof ConfigError ? err.message : (err as Error).message;
      logger.error({ config: configPath }, `reload rejected, the running config is kept:\n${error}`);
      return refuse(error);
    }
    if (this.o.portOverride !== undefined) {
      next = { ...next, gateway: { ...next.gateway, http: { ...next.gateway.http, enabled: true, port: this.o.portOverride } } };
    }
    const needsRestart = restartOnlyChanges(this.config.gateway, next.gateway);
    if (needsRestart.length > 0) {
      logger.warn({ settings: needsRestart }, `reload: ${needsRestart.join(', ')} changed; applied only when the gateway restarts`);
    }
    const result = await this.supervisor.reload(next);
    // What cannot change while running keeps its running value, so the next reload names it again.
    this.config = { ...next, gateway: { ...next.gateway, logLevel: this.config.gateway.logLevel, http: this.config.gateway.http, inspector: this.config.gateway.inspector } };
    this.lastReload = {
      at,
      ok: true,
      restarted: result.restarted,
      started: result.started,
      stopped: result.stopped,
      ...(needsRestart.length > 0 ? { needsRestart } : {}),
    };
    this.statusWriter.request();
    return {
      ok: true,
      restarted: result.restarted,
      started: result.started,
      stopped: result.stopped,
      ...(needsRestart.length > 0 ? { needsRestart } : {}),
    };
  }

  /**
   * Stops accounts, servers and timers; leaves a final status; releases the lock. Returns what each
   * account could not write (held messages, unwritten agent turns), for the shutdown log and exit code.
   */
  async stop(): Promise<StopReport[]> {
    if (this.stopping) return [];
    this.stopping = true;
    this.timers.clock.clearTimeout(this.statusTimer);
    await this.control?.close().catch(() => undefined);
    const reports = await this.supervisor.stop();
    await this.pool.close().catch(() => undefined);
    await this.inspector?.close().catch(() => undefined);
    this.statusWriter.final(this.status(false));
    this.release();
    await this.store.closed(); // the checkpoint thread's connection: release() asked it to end
    return reports;
  }

  /** Last resort (a second signal, a stuck stop): let go of the lock and the database. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.loopDelay.stop();
    try {
      this.store.close();
    } finally {
      this.releaseLock();
    }
  }

  get supervisionTimeouts(): { stopTimeoutMs: number } {
    return this.config.gateway.supervision;
  }

  private statusFileFailing = false;

  /** The status file is a convenience: `status` asks the control API first, so a full disk only costs the file. */
  private writeStatus(status: GatewayStatus): boolean {
    try {
      writeStatusFile(this.o.home, status);
      if (this.statusFileFailing) this.o.logger.info('status file written again');
      this.statusFileFailing = false;
      return true;
    } catch (err) {
      if (!this.statusFileFailing) {
        this.o.logger.warn(
          { err: (err as Error).message },
          'could not write the status file (retried every second, logged once); `imessage-gateway status` still reads the control API',
        );
      }
      this.statusFileFailing = true;
      return false;
    }
  }

  private backend(): GatewayControl {
    const graph = accountMachineGraph();
    return new GatewayControl({
      supervisor: this.supervisor,
      store: this.store,
      status: () => this.status(),
      reload: () => this.reload(),
      machine: () => graph,
      now: systemClock.now,
      clock: systemClock,
      ...(this.o.logRing ? { logRing: this.o.logRing } : {}),
      pairing: {
        list: (account) => this.pairing.list(account, systemClock.now()),
        approved: (account) => this.pairing.approved(account),
        approve: (request) => {
          try {
            const result = this.pairing.approveRequest(request, systemClock.now());
            this.supervisor.account(result.accountId)?.kickOutbox();
            return result;
          } catch (err) {
            throw controlPairingError(err);
          }
        },
        deny: (request) => {
          try {
            return this.pairing.deny(request.account, request.target, systemClock.now());
          } catch (err) {
            throw controlPairingError(err);
          }
        },
        revoke: (request) => {
          try {
            return this.pairing.revoke(request.account, request.handle, systemClock.now());
          } catch (err) {
            throw controlPairingError(err);
          }
        },
      },
    });
  }
}

/** A refused pairing request as the control API answers it: 400 bad input, 404 unknown, 409 conflicting state. */
function controlPairingError(err: unknown): unknown {
  if (!(err instanceof PairingError)) return err;
  const status = err.kind === 'invalid' || err.kind === 'ambiguous' ? 400 : err.kind === 'unknown' || err.kind === 'not-approved' ? 404 : 409;
  return new ControlRequestError(status, err.message);
}

