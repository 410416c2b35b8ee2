/**
 * The command handler: runs an executable per envelope, without a shell.
 *
 * Contract (docs/agents.md): the envelope JSON (one line) is written to stdin, which is then
 * closed; stdout is the reply (plain text or `{"replies":[...]}`), read once the process exits
 * with code 0. The reply is what was written by the time the process exits, plus what arrives
 * within a short grace (STDOUT_GRACE_MS): a process it left behind that still holds stdout open
 * neither delays the reply nor loses it (the held pipes are destroyed). The process runs in its own process group; on deadline, abort or runaway output the
 * whole group gets SIGTERM, then SIGKILL after a grace period, and the handler settles only once
 * the group is gone (bounded). Processes the command leaves behind after a normal exit get the
 * same treatment, so nothing is orphaned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Envelope } from '../routing/envelope.js';
import { AgentError, stderrSuffix, stderrTailOf, type AgentErrorKind } from './errors.js';
import { parseAgentOutput } from './reply-format.js';
import type { AgentHandler, AgentResult } from './types.js';

export interface CommandAgentConfig {
  argv: string[];
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string>;
}

export interface CommandAgentOptions {
  /** Delay between SIGTERM and SIGKILL of the process group. Default 2000 ms. */
  killGraceMs?: number;
  /** After the command exits, how long its stdout and stderr may stay open. Default 500 ms. */
  stdoutGraceMs?: number;
}

/** stdout beyond this is an error (the process group is killed). */
export const STDOUT_LIMIT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** After exit, the pipes get this long to deliver what is left, then they are destroyed. */
export const STDOUT_GRACE_MS = 500;
/** After SIGKILL, how long to wait for the group to disappear before settling anyway. */
const REAP_WAIT_MS = 3_000;
const GROUP_POLL_MS = 25;
/** Bytes of stderr kept (the error message shows the last STDERR_TAIL_CHARS characters). */
const STDERR_KEEP_BYTES = 8 * 1024;

export class CommandAgent implements AgentHandler {
  readonly kind = 'command' as const;
  private readonly killGraceMs: number;
  private readonly stdoutGraceMs: number;

  constructor(
    readonly agentId: string,
    private readonly config: CommandAgentConfig,
    options: CommandAgentOptions = {},
  ) {
    if (config.argv.length === 0 || config.argv[0] === '') {
      throw new TypeError(`agent "${agentId}": command handler needs a non-empty argv`);
    }
    if (!Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0) {
      throw new TypeError(`agent "${agentId}": command handler needs a positive timeoutMs, got ${config.timeoutMs}`);
    }
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.stdoutGraceMs = options.stdoutGraceMs ?? STDOUT_GRACE_MS;
  }

  handle(envelope: Envelope, signal: AbortSignal, envelopeJson?: string): Promise<AgentResult> {
    const json = envelopeJson ?? JSON.stringify(envelope);
    return runCommand(this.agentId, this.config, { killGraceMs: this.killGraceMs, stdoutGraceMs: this.stdoutGraceMs }, json, signal);
  }
}

/** Whether any process of group `pgid` still exists (zombies included). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    // ESRCH: no such group. EPERM: the id now belongs to someone else's group, not ours.
    return false;
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}

/** SIGTERM a leftover group now, SIGKILL it after `graceMs` if anything survived. */
function sweepGroup(pgid: number, graceMs: number): void {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  setTimeout(() => {
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  }, graceMs);
}

function spawnErrorMessage(config: CommandAgentConfig, err: NodeJS.ErrnoException): string {
  const exe = JSON.stringify(config.argv[0]);
  let hint = '';
  if (err.code === 'ENOENT') {
    hint = config.cwd === undefined ? ' (executable not found: check argv[0] and PATH)' : ` (executable or cwd ${JSON.stringify(config.cwd)} not found)`;
  } else if (err.code === 'EACCES') {
    hint = ' (permission denied: is it executable?)';
  } else if (err.code === 'EMFILE' || err.code === 'ENFILE' || err.code === 'EAGAIN' || err.code === 'ENOMEM') {
    hint = ' (the host is short of descriptors, processes or memory; retried)';
  }
  return `could not start command ${exe}: ${err.message}${hint}`;
}

function runCommand(
  agentId: string,
  config: CommandAgentConfig,
  { killGraceMs, stdoutGraceMs }: { killGraceMs: number; stdoutGraceMs: number },
  envelopeJson: string,
  signal: AbortSignal,
): Promise<AgentResult> {
  return new Promise<AgentResult>((resolve, reject) => {
    if (signal.aborted) {
      reject(new AgentError('aborted', agentId, 'aborted before the command was started', { cause: signal.reason }));
      return;
    }
    const [file, ...args] = config.argv as [string, ...string[]];
    const exe = JSON.stringify(file);

    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        shell: false,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: config.cwd,
        env: { ...process.env, ...config.env },
      });
    } catch (err) {
      // Synchronous failures: invalid arguments (e.g. NUL bytes), EMFILE, ...
      reject(new AgentError('spawn', agentId, spawnErrorMessage(config, err as NodeJS.ErrnoException), { cause: err }));
      return;
    }

    const pid = child.pid;
    let stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBuf = Buffer.alloc(0);
    let exited = false;
    let settled = false;
    let failure: { kind: AgentErrorKind; message: string; cause?: unknown } | undefined;
    let killed = false;
    let deadlineTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let giveUpTimer: NodeJS.Timeout | undefined;
    let pollTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const stderrTail = (): string => stderrTailOf(stderrBuf.toString('utf8'));

    const cleanup = (): void => {
      settled = true;
      clearTimeout(deadlineTimer);
      clearTimeout(killTimer);
      clearTimeout(giveUpTimer);
      clearInterval(pollTimer);
      clearTimeout(drainTimer);
      signal.removeEventListener('abort', onAbort);
    };

    const settleFailure = (): void => {
      if (settled || failure === undefined) return;
      cleanup();
      const tail = stderrTail();
      const how = killed ? 'process group killed (SIGTERM, then SIGKILL)' : 'process group terminated (SIGTERM)';
      reject(new AgentError(failure.kind, agentId, `${failure.message}; ${how}${stderrSuffix(tail)}`, { cause: failure.cause, stderrTail: tail }));
    };

    /** Failure path: settle once the command exited and its whole group is gone. */
    const checkGone = (): void => {
      if (exited && pid !== undefined && !groupAlive(pid)) settleFailure();
    };

    const terminate = (kind: AgentErrorKind, message: string, cause?: unknown): void => {
      if (settled || failure !== undefined) return;
      failure = { kind, message, cause };
      clearTimeout(deadlineTimer);
      signal.removeEventListener('abort', onAbort);
      stdoutChunks = [];
      if (pid === undefined) {
        settleFailure();
        return;
      }
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => {
        if (groupAlive(pid)) {
          killed = true;
          signalGroup(pid, 'SIGKILL');
        }
        giveUpTimer = setTimeout(() => {
          // Something outlived SIGKILL (or holds our pipes from outside the group): stop waiting.
          child.stdout?.destroy();
          child.stderr?.destroy();
          exited = true;
          settleFailure();
        }, REAP_WAIT_MS);
      }, killGraceMs);
      pollTimer = setInterval(checkGone, GROUP_POLL_MS);
    };

    function onAbort(): void {
      terminate('aborted', `aborted while command ${exe} was running`, signal.reason);
    }

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      if (child.pid === undefined) {
        // The process never started.
        cleanup();
        reject(new AgentError('spawn', agentId, spawnErrorMessage(config, err), { cause: err }));
      }
      // With a pid, 'error' means a failed kill/send; exit and close still follow.
    });

    child.stdout?.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return; // draining only
      stdoutBytes += chunk.length;
      if (stdoutBytes > STDOUT_LIMIT_BYTES) {
        terminate('invalid-reply', `command ${exe} wrote more than ${STDOUT_LIMIT_BYTES / (1024 * 1024)} MiB to stdout`);
        return;
      }
      stdoutChunks.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrBuf = Buffer.concat([stderrBuf, chunk]);
      if (stderrBuf.length > STDERR_KEEP_BYTES) stderrBuf = stderrBuf.subarray(stderrBuf.length - STDERR_KEEP_BYTES);
    });
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});
    // A command that does not read stdin makes the write fail with EPIPE (or ECONNRESET): fine.
    child.stdin?.on('error', () => {});

    // The reply is read when the command exits, not when its stdout closes: something it left
    // behind (a daemon, a detached helper) may hold the pipe open for as long as it lives. What
    // is still in flight gets a short grace; then the pipes are destroyed, which lets 'close'
    // below settle with what was read.
    child.on('exit', () => {
      if (settled || failure !== undefined) return;
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, stdoutGraceMs);
    });

    child.on('close', (code: number | null, sig: NodeJS.Signals | null) => {
      exited = true;
      if (settled) return;
      if (failure !== undefined) {
        checkGone();
        return;
      }
      cleanup();
      if (pid !== undefined) sweepGroup(pid, killGraceMs);
      if (code !== 0) {
        const tail = stderrTail();
        const what = code === null ? `was killed by signal ${sig ?? 'unknown'}` : `exited with code ${code}`;
        reject(new AgentError('exit', agentId, `command ${exe} ${what}${stderrSuffix(tail)}`, { exitCode: code, signal: sig, stderrTail: tail }));
        return;
      }
      try {
        resolve(parseAgentOutput(Buffer.concat(stdoutChunks).toString('utf8'), agentId));
      } catch (err) {
        reject(err);
      }
    });

    if (pid === undefined) return; // 'error' follows.

    deadlineTimer = setTimeout(() => {
      terminate('timeout', `command ${exe} did not finish within ${config.timeoutMs} ms`);
    }, config.timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdin?.end(`${envelopeJson}\n`);
  });
}
