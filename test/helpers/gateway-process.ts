/** Runs the real gateway as a child process with its own home, config file and logs. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountStatus, GatewayStatus } from '../../src/supervisor/status.js';
import { REPO, tempDir, waitUntil } from './sim-db.js';
import { PROTOCOL_OF, type SimProfile } from './sim-profiles.js';

export const GATEWAY_BIN = join(REPO, 'bin', 'imessage-gateway.js');

/** Short timings so supervision behaviour shows within seconds. */
export const FAST_SUPERVISION = {
  backoffInitialMs: 200,
  backoffMaxMs: 1000,
  restartIntensity: { maxRestarts: 5, windowMs: 20_000 },
  coolDownMs: 60_000,
  permissionReprobeMs: 1000,
  livenessIntervalMs: 500,
  probeTimeoutMs: 2000,
  readTimeoutMs: 3000,
  mutationTimeoutMs: 5000,
  stableAfterMs: 5000,
  stopTimeoutMs: 500,
};

export const ECHO_AGENTS = { list: [{ id: 'main', name: 'Bot', default: true, handler: { type: 'echo' } }] };

/**
 * messages.queue pinned to one agent turn per message (`followup`), for tests whose subject is not
 * the queue mode but whose oracle is one reply per message (durability, chaos, catch-up, sends).
 * Under the default (`collect`) a burst from one sender would be answered as one collected turn.
 */
export const ONE_TURN_PER_MESSAGE = { queue: { mode: 'followup' } } as const;

export function openAccount(cliPath: string, dbPath: string, extra: Record<string, unknown> = {}) {
  return { cliPath, dbPath, dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open', ...extra };
}

/** How long exited() waits, after the process exited, for its pipes' last output. */
const OUTPUT_DRAIN_MS = 5000;

export class GatewayProcess {
  readonly logs: string[] = [];
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly home: string,
    readonly proc: ChildProcess,
    /** The imsg-sim profile every child of this gateway runs (IMSG_SIM_PROFILE), when the test chose one. */
    readonly simProfile?: SimProfile,
  ) {
    // One line buffer (and UTF-8 decoder) per pipe: a chunk of stdout can end inside a line (or a
    // character), and whatever comes on stderr before the rest must not be glued into it.
    const collector = () => {
      const decoder = new StringDecoder('utf8');
      let buffer = '';
      return (chunk: Buffer) => {
        buffer += decoder.write(chunk);
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        this.logs.push(...lines.filter((l) => l.length > 0));
      };
    };
    proc.stdout?.on('data', collector());
    proc.stderr?.on('data', collector());
    this.exit = new Promise((resolve) => {
      // 'exit' can come before the last output has been read from the pipes (Node says the stdio
      // streams may still be open then): a test that looks for the gateway's last log line once it
      // exited waits for 'close' (process gone and pipes drained), or at most OUTPUT_DRAIN_MS.
      proc.once('exit', (code, signal) => {
        const drained = setTimeout(() => resolve({ code, signal }), OUTPUT_DRAIN_MS);
        proc.once('close', () => {
          clearTimeout(drained);
          resolve({ code, signal });
        });
      });
    });
  }

  status(): GatewayStatus | undefined {
    try {
      return JSON.parse(readFileSync(join(this.home, 'status.json'), 'utf8')) as GatewayStatus;
    } catch {
      return undefined;
    }
  }

  account(id: string): AccountStatus | undefined {
    return this.status()?.accounts.find((a) => a.id === id);
  }

  /**
   * Waits for the account to be in `state`. With a simProfile, a `streaming` account must also have
   * negotiated that profile's protocol (legacy for 0.9, v1 for 0.15): the profile reached the child.
   */
  waitForState(id: string, state: string, timeoutMs = 15_000): Promise<AccountStatus> {
    return waitUntil(
      () => {
        const a = this.account(id);
        if (a?.state !== state) return undefined;
        if (state === 'streaming' && this.simProfile !== undefined && a.imsg?.protocol !== PROTOCOL_OF[this.simProfile]) {
          throw new Error(
            `account ${id} streams with imsg ${JSON.stringify(a.imsg)}, not the ${PROTOCOL_OF[this.simProfile]} protocol of imsg-sim ${this.simProfile}`,
          );
        }
        return a;
      },
      `account ${id} to be ${state} (now ${this.account(id)?.state}); logs:\n${this.logs.slice(-15).join('\n')}`,
      timeoutMs,
    );
  }

  /** Log records (parsed JSON lines) matching a predicate. */
  records(pred: (r: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.logs) {
      try {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (pred(r)) out.push(r);
      } catch {
        // non-JSON output (fatal errors before the logger exists)
      }
    }
    return out;
  }

  /**
   * Waits until at least `min` log records match. The gateway writes its log asynchronously (issue 15),
   * so a line can land just after the status file shows what it reports.
   */
  waitForRecords(
    pred: (r: Record<string, unknown>) => boolean,
    what: string,
    min = 1,
    timeoutMs = 10_000,
  ): Promise<Array<Record<string, unknown>>> {
    return waitUntil(() => {
      const found = this.records(pred);
      return found.length >= min ? found : undefined;
    }, `${what} in the log`, timeoutMs);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited();
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exit;
  }
}

export interface StartOptions {
  /** Runs the gateway under `ulimit -n <fdLimit>` (soft and hard), through bash, without interpolation. */
  fdLimit?: number;
  /** More arguments after `start --config FILE` (e.g. `--reset-state`). */
  extraArgs?: string[];
  /** Runs every imsg-sim child of this gateway with this profile (IMSG_SIM_PROFILE, inherited). */
  simProfile?: SimProfile;
}

export function startGateway(config: Record<string, unknown>, home = tempDir('gw-home-'), options: StartOptions = {}): GatewayProcess {
  const configPath = join(home, 'config.json5');
  const withDefaults = {
    agents: ECHO_AGENTS,
    ...config,
    gateway: { supervision: FAST_SUPERVISION, http: { port: 0 }, ...((config.gateway as object | undefined) ?? {}) },
  };
  writeFileSync(configPath, JSON.stringify(withDefaults, null, 2));
  const argv = [process.execPath, GATEWAY_BIN, 'start', '--config', configPath, ...(options.extraArgs ?? [])];
  const [file, ...args] =
    options.fdLimit === undefined
      ? argv
      : // The limit and the command are positional parameters: nothing is interpolated into the script.
        ['bash', '-c', 'ulimit -n "$1" || exit 97; shift; exec "$@"', 'bash', String(options.fdLimit), ...argv];
  const proc = spawn(file!, args, {
    env: {
      ...process.env,
      IMESSAGE_GATEWAY_HOME: home,
      LOG_LEVEL: 'debug',
      ...(options.simProfile === undefined ? {} : { IMSG_SIM_PROFILE: options.simProfile }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new GatewayProcess(home, proc, options.simProfile);
}

/** Runs the CLI to completion (status, config check). */
export function runCli(args: string[], home: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [GATEWAY_BIN, ...args], {
    env: { ...process.env, IMESSAGE_GATEWAY_HOME: home },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** pids of processes whose command line mentions `needle` (from /proc). */
export function processesMatching(needle: string): number[] {
  const r = spawnSync('pgrep', ['-f', needle], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => Number.isInteger(n) && n !== process.pid);
}
