/**
 * `imessage-gateway start`: load the config (or build the demo), run the gateway, and turn
 * SIGINT/SIGTERM into an orderly stop and SIGHUP into a reload.
 */
import type { GatewayConfig } from '../config/index.js';
import { resolveHome } from '../config/index.js';
import { isatty } from 'node:tty';
import { stdoutGuard } from '../util/guarded-output.js';
import { createLogger } from '../util/logger.js';
import { LogRing } from '../util/log-ring.js';
import { hangupMeaning, hasControllingTerminal, sighupIgnoredAtStart } from '../util/terminal.js';
import { hasConfig, loadConfigSource } from './config-source.js';
import { RunningGateway } from './run-gateway.js';
import { startupBanner } from './startup-banner.js';
import { controlTokenPath } from '../web/control-token.js';
import {
  EXIT_FAILED,
  EXIT_LINGER_MS,
  EXIT_OK,
  DUPLICATE_SIGNAL_MS,
  EXIT_SECOND_SIGNAL,
  logShutdownReports,
  shutdownExitCode,
} from './shutdown-report.js';

export interface StartOptions {
  config?: string;
  demo?: boolean;
  /** Accept a missing or empty state database in a home that held one (a fresh store, on purpose). */
  resetState?: boolean;
  /** `--port N`: the control API and dashboard port, over gateway.http.port (and enabling it). */
  port?: number;
}

/** `--port N` as given on the command line: an integer 0-65535 (0: any free port). */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(port) || port > 65_535) {
    throw new StartUsageError(`--port must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(text)}`);
  }
  return port;
}

export class StartUsageError extends Error {}

export async function startCommand(options: StartOptions): Promise<number> {
  const home = resolveHome();
  let config: GatewayConfig;
  let configPath: string | null = null;
  let demo: import('../demo/demo.js').PreparedDemo | undefined;
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

  if (options.port !== undefined) {
    config = { ...config, gateway: { ...config.gateway, http: { ...config.gateway.http, enabled: true, port: options.port } } };
  }
  // Logs go through the guarded, asynchronous stdout (no synchronous write per line; the buffered
  // tail is written when the process exits): a closed reader stops the gateway in order (below)
  // instead of an error per log line.
  const output = stdoutGuard();
  const hadTerminal = hasControllingTerminal();
  const nohup = sighupIgnoredAtStart();
  const logRing = new LogRing();
  const logger = createLogger({ level: config.gateway.logLevel, destination: output, ring: logRing });
  const gateway = await RunningGateway.open({
    home,
    config,
    configPath,
    logger,
    logRing,
    resetState: options.resetState === true,
    // The demo's default port may be taken (another demo, another program): any free one will do.
    portFallback: demo !== undefined && options.port === undefined,
    ...(options.port !== undefined ? { portOverride: options.port } : {}),
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection (ignored)');
  });
  await gateway.start();
  if (demo) demo.start(logger.child({ component: 'demo' }));
  logger.info({ home, config: configPath ?? 'embedded demo' }, 'gateway running');
  const dashboard = gateway.dashboard();
  const banner = startupBanner({
    demo: demo !== undefined,
    accounts: config.accounts.length,
    ...('problem' in dashboard ? { noDashboard: dashboard.problem } : dashboard),
    tokenFile: controlTokenPath(home),
    // The token only ever goes to a terminal: a pipe or a file is a log.
    tty: isatty(1),
  });
  for (const line of banner) output.line(line);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = async (signal: string, code: number) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      // Ref'd on purpose: it keeps the process alive until the stop is done. The stop ends by
      // awaiting threads that are unref'd (the checkpoint thread's end); with nothing else left,
      // Node exited there, with 0, before 'gateway stopped', the reports and the exit code.
      const hardDeadline = setTimeout(() => {
        logger.error({ exitCode: EXIT_FAILED }, 'shutdown took too long; exiting anyway');
        gateway.release();
        process.exit(EXIT_FAILED);
      }, gateway.supervisionTimeouts.stopTimeoutMs * 3 + 10_000);
      await demo?.stop();
      const reports = await gateway.stop();
      clearTimeout(hardDeadline);
      logShutdownReports(logger, reports);
      const exitCode = shutdownExitCode(code, reports);
      logger.info({ exitCode }, 'gateway stopped');
      // Bounded: whatever handle is still open (a socket, a timer) cannot keep the process running.
      setTimeout(() => {
        logger.warn({ resources: process.getActiveResourcesInfo() }, 'still busy after the stop; exiting');
        process.exit(exitCode);
      }, EXIT_LINGER_MS).unref();
      resolve(exitCode);
    };
    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // Ctrl-C under `npm start` arrives twice at once (the terminal's and npm's forwarded copy):
        // only a signal sent on purpose, a moment later, cuts the orderly stop short.
        if (performance.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
        logger.warn({ signal }, 'second signal: exiting now');
        gateway.release();
        process.exit(EXIT_SECOND_SIGNAL);
      }
      firstSignalAt = performance.now();
      void shutdown(signal, EXIT_OK);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', () => {
      if (stopping) return;
      // SIGHUP is a reload, unless it is the kernel's word that the terminal owning the gateway closed.
      if (hangupMeaning({ hadTerminal, hasTerminal: hasControllingTerminal(), nohup }) === 'terminal-closed') {
        void shutdown('SIGHUP (the terminal closed)', EXIT_OK);
        return;
      }
      logger.info('SIGHUP: reloading the config');
      void gateway.reload();
    });
    // Nobody reads stdout any more (`start | tee` and tee died, the terminal closed): stop in order
    // rather than run on unseen.
    output.onClosed((reason) => {
      void shutdown(`stdout closed (${reason})`, EXIT_OK);
    });
    process.on('uncaughtException', (err) => {
      logger.fatal({ err: err.message, stack: err.stack }, 'uncaught exception; stopping');
      void shutdown('uncaughtException', EXIT_FAILED);
    });
  });
}
