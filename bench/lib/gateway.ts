/**
 * Runs the real gateway (bin/imessage-gateway.js, built into dist/) as a child process with its
 * own home and config, its JSON log written to a file (so the bench process never becomes the
 * bottleneck draining it), and the real simulator (bin/imsg-sim.js) as its imsg.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, closeSync, openSync, readFileSync, readSync, writeFileSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_BIN, SIM_BIN } from './paths.js';
import { GATEWAY_NODE_FLAGS } from '../../src/util/node-flags.js';
import { sleep } from './stats.js';

export interface AccountCountersView {
  received: number;
  accepted: number;
  dispatched: number;
  dropped: Record<string, number>;
  agentErrors: number;
  sent: number;
  spawns: number;
}

export interface AccountStatusView {
  id: string;
  state: string;
  childPid: number | null;
  restarts: number;
  counters: AccountCountersView;
  journalLag: number;
  outbox: { depth: number };
}

export interface StatusView {
  pid: number;
  accounts: AccountStatusView[];
  /** The state database's commits since the start (absent before this was reported). */
  storeCommits?: { commits: number; totalMs: number; maxMs: number; over5Ms: number; over20Ms: number; over50Ms: number };
  /** Event-loop delay since the start (absent before this was reported). */
  eventLoop?: { p50Ms: number; p99Ms: number; maxMs: number };
}

export type LogRecord = Record<string, unknown> & { time: number; msg: string; account?: string };

/** `#!/bin/sh` wrapper that exports simulator switches and execs imsg-sim (same pid as the gateway's child). */
export function simWrapper(dir: string, name: string, env: Record<string, string>): string {
  const path = join(dir, name);
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
  writeFileSync(path, `#!/bin/sh\n${exports}\nexec "${process.execPath}" "${SIM_BIN}" "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

export function openAccount(cliPath: string, dbPath: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cliPath, dbPath, dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open', ...extra };
}

export interface StartOptions {
  home: string;
  config: Record<string, unknown>;
  /** Extra node flags for the gateway process (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export class BenchGateway {
  readonly startedAt: number;
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly home: string,
    readonly logFile: string,
    readonly proc: ChildProcess,
  ) {
    this.startedAt = Date.now();
    this.exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  status(): StatusView | undefined {
    try {
      return JSON.parse(readFileSync(join(this.home, 'status.json'), 'utf8')) as StatusView;
    } catch {
      return undefined;
    }
  }

  account(id: string): AccountStatusView | undefined {
    return this.status()?.accounts.find((a) => a.id === id);
  }

  /** Log records whose raw line contains `needle` (cheap pre-filter before JSON.parse). */
  records(needle: string, pred: (r: LogRecord) => boolean = () => true): LogRecord[] {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    const out: LogRecord[] = [];
    let start = 0;
    for (;;) {
      const hit = text.indexOf(needle, start);
      if (hit === -1) break;
      const lineStart = text.lastIndexOf('\n', hit) + 1;
      let lineEnd = text.indexOf('\n', hit);
      if (lineEnd === -1) lineEnd = text.length;
      try {
        const r = JSON.parse(text.slice(lineStart, lineEnd)) as LogRecord;
        if (pred(r)) out.push(r);
      } catch {
        // a non-JSON line (fatal error before the logger existed)
      }
      start = lineEnd + 1;
    }
    return out;
  }

  /** The last lines of the log (from its last 32 kB), for error messages and the stop check. */
  tail(lines = 15): string {
    try {
      const fd = openSync(this.logFile, 'r');
      try {
        const size = fstatSync(fd).size;
        const len = Math.min(size, 32 * 1024);
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, size - len);
        return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } finally {
        closeSync(fd);
      }
    } catch {
      return '';
    }
  }

  /**
   * SIGTERM, then wait for the exit. The gateway logs "gateway stopped" once every account is
   * stopped and the journal flushed, but its process can linger a few seconds longer on open
   * handles; with `waitForExit` false (the default) it is SIGKILLed 500 ms after that record, which
   * loses nothing and keeps the bench short. A CPU profile (--cpu-prof) needs the natural exit.
   */
  async stop(o: { timeoutMs?: number; waitForExit?: boolean } = {}): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    const deadline = Date.now() + (o.timeoutMs ?? 15_000);
    let stoppedAt: number | undefined;
    while (this.alive && Date.now() < deadline) {
      if (!o.waitForExit && stoppedAt === undefined && this.tail(3).includes('"msg":"gateway stopped"')) stoppedAt = Date.now();
      if (stoppedAt !== undefined && Date.now() - stoppedAt > 500) break;
      await sleep(50);
    }
    if (this.alive) {
      this.proc.kill('SIGKILL');
      await this.exit;
    }
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exit;
  }
}

/** Starts the gateway; `config.gateway.supervision` is passed through as given (defaults otherwise). */
export function startGateway(o: StartOptions): BenchGateway {
  const configPath = join(o.home, 'config.json5');
  writeFileSync(configPath, JSON.stringify(o.config, null, 2));
  const logFile = join(o.home, 'gateway.log');
  const fd = openSync(logFile, 'a');
  // The figures (docs/performance.md) are against the 0.9 profile, whose server has the replay and
  // debounce knobs the scenarios use; imsg-sim's default is 0.15. Every child inherits this.
  const env: NodeJS.ProcessEnv = { ...process.env, IMESSAGE_GATEWAY_HOME: o.home, IMSG_SIM_PROFILE: '0.9' };
  delete env['LOG_LEVEL'];
  // Started the way the service units and `npm start` start it (node-flags.ts).
  const traceGc = process.env['BENCH_TRACE_GC'];
  const gcFlags = traceGc === 'nvp' ? ['--trace-gc-nvp'] : traceGc ? ['--trace-gc'] : [];
  // Diagnostics only: more node options for every gateway the bench starts (space-separated).
  const extra = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a.length > 0);
  const proc = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, ...gcFlags, ...extra, ...(o.nodeArgs ?? []), GATEWAY_BIN, 'start', '--config', configPath], {
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  return new BenchGateway(o.home, logFile, proc);
}

/** Follows a growing log file: each poll() returns the complete JSON records written since the last. */
export class LogFollower {
  private offset = 0;
  private carry = '';

  constructor(private readonly file: string) {}

  poll(): LogRecord[] {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.carry + buf.toString('utf8');
      const lines = text.split('\n');
      this.carry = lines.pop() ?? '';
      const out: LogRecord[] = [];
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          out.push(JSON.parse(line) as LogRecord);
        } catch {
          // partial or foreign line
        }
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

/** Resident set size (kB) and CPU time (ms, user+system) of a process, from /proc. */
export function procUsage(pid: number): { rssKb: number; cpuMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime 15.
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return { rssKb: m ? Number(m[1]) : Number.NaN, cpuMs: ((utime + stime) * 1000) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** CPU time (ms, user+system) of one thread of a process (the main thread: tid = pid), from /proc. */
export function threadCpuMs(pid: number, tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Kernel clock ticks per second for /proc/<pid>/stat (USER_HZ: 100 on every mainstream Linux build). */
export const CLK_TCK = 100;
