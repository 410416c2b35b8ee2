/**
 * `imessage-gateway start`: load the config (or build the demo), take the home's lock, start the
 * supervisor, keep the status file fresh, and stop everything in order on SIGINT/SIGTERM.
 */
import type { GatewayConfig } from '../config/index.js';
import { ConfigError, loadConfigFile, resolveHome } from '../config/index.js';
import { GatewayStore, stateDbPath } from '../store/index.js';
import { acquireLock } from '../supervisor/gateway-lock.js';
import { writeStatusFile } from '../supervisor/status-file.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { systemClock } from '../util/clock.js';
import { createLogger } from '../util/logger.js';
import { ensurePrivateDir } from '../util/private-file.js';
import { hasConfig, loadConfigSource } from './config-source.js';

export interface StartOptions {
  config?: string;
  demo?: boolean;
}

interface Demo {
  config: GatewayConfig;
  start(log: import('pino').Logger): void;
  stop(): Promise<void>;
}

const STATUS_INTERVAL_MS = 1000;

export async function startCommand(options: StartOptions): Promise<number> {
  const home = resolveHome();
  let config: GatewayConfig;
  let configPath: string | null = null;
  let demo: Demo | undefined;
  if (options.config !== undefined || (!options.demo && hasConfig(home, undefined))) {
    const source = loadConfigSource(home, options.config);
    config = source.config;
    configPath = source.path;
  } else if (options.demo) {
    // The demo (and through it imsg-sim) is loaded only when asked for.
    const { prepareDemo } = await import('../demo/demo.js');
    demo = prepareDemo(home);
    config = demo.config;
  } else {
    throw new Error(
      `no config at ${home}/config.json5: create one (see docs/configuration.md), pass --config FILE, ` +
        'or run `imessage-gateway demo` to see the gateway on simulated accounts',
    );
  }

  ensurePrivateDir(home);
  const releaseLock = acquireLock(home);
  let store: GatewayStore;
  try {
    store = GatewayStore.open(stateDbPath(home));
  } catch (err) {
    releaseLock();
    throw err;
  }
  const release = () => {
    store.close();
    releaseLock();
  };
  const logger = createLogger({ level: config.gateway.logLevel });
  let statusTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const supervisor = new Supervisor({
    config,
    configPath,
    store,
    clock: systemClock,
    logger,
    onChange: () => saveStatus(),
  });
  let lastReload: import('../supervisor/status.js').GatewayStatus['lastReload'];
  const saveStatus = (running = !stopping) => {
    try {
      writeStatusFile(home, { ...supervisor.status(running), ...(lastReload ? { lastReload } : {}) });
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not write the status file');
    }
  };

  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection (ignored)');
  });

  supervisor.start();
  saveStatus();
  statusTimer = setInterval(() => saveStatus(), STATUS_INTERVAL_MS);
  if (demo) demo.start(logger.child({ component: 'demo' }));
  logger.info(
    { home, config: configPath ?? 'embedded demo' },
    `gateway running; \`imessage-gateway status\` shows each account${demo ? '; Ctrl-C stops the demo' : ''}`,
  );

  return new Promise<number>((resolve) => {
    const shutdown = async (signal: string, code: number) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const s = config.gateway.supervision;
      const hardDeadline = setTimeout(() => {
        logger.error('shutdown took too long; exiting anyway');
        release();
        process.exit(1);
      }, s.stopTimeoutMs * 3 + 5000);
      hardDeadline.unref();
      clearInterval(statusTimer);
      await demo?.stop();
      await supervisor.stop();
      saveStatus(false);
      release();
      clearTimeout(hardDeadline);
      logger.info('gateway stopped');
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        release();
        process.exit(130);
      }
      void shutdown(signal, 0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let reloading = Promise.resolve();
    const reload = async () => {
      const at = new Date().toISOString();
      if (configPath === null) {
        logger.warn('reload: the embedded demo has no config file to re-read');
        lastReload = { at, ok: false, restarted: [], started: [], stopped: [], error: 'the demo has no config file' };
        saveStatus();
        return;
      }
      let next: GatewayConfig;
      try {
        next = loadConfigFile(configPath);
      } catch (err) {
        const error = err instanceof ConfigError ? err.message : (err as Error).message;
        logger.error({ config: configPath }, `reload rejected, the running config is kept:\n${error}`);
        lastReload = { at, ok: false, restarted: [], started: [], stopped: [], error };
        saveStatus();
        return;
      }
      const result = await supervisor.reload(next);
      config = next;
      lastReload = { at, ok: true, restarted: result.restarted, started: result.started, stopped: result.stopped };
      saveStatus();
    };
    process.on('SIGHUP', () => {
      if (stopping) return;
      logger.info({ config: configPath }, 'SIGHUP: reloading the config');
      reloading = reloading.then(reload, reload);
    });
    process.on('uncaughtException', (err) => {
      logger.fatal({ err: err.message, stack: err.stack }, 'uncaught exception; stopping');
      void shutdown('uncaughtException', 1);
    });
  });
}
