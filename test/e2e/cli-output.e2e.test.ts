/**
 * Issue 14, item 5, with real processes: the CLI and the gateway when the reader of their stdout
 * goes away (EPIPE, a closed terminal), NO_COLOR on a terminal, and the exit codes of `status`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_AGENTS, FAST_SUPERVISION, GATEWAY_BIN, type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, REPO, SIM_BIN, tempDir, waitUntil } from '../helpers/sim-db.js';
import { startOnTerminal } from '../helpers/terminal.js';
import { processAlive } from '../../src/util/process-alive.js';

const POISON_IMSG = join(REPO, 'test', 'helpers', 'poison-imsg.mjs');

let gateway: GatewayProcess | undefined;
let extra: ChildProcess | undefined;
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = undefined;
  if (extra && extra.exitCode === null && extra.signalCode === null) extra.kill('SIGKILL');
  extra = undefined;
});

function exited(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs the CLI with its stdout's reader already gone: every write meets EPIPE. */
async function cliIntoClosedPipe(args: string[], home: string) {
  const proc = spawn(process.execPath, [GATEWAY_BIN, ...args], {
    env: { ...process.env, IMESSAGE_GATEWAY_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.destroy();
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const { code } = await exited(proc);
  return { code, stderr };
}

function writeConfig(home: string, config: Record<string, unknown>): string {
  const path = join(home, 'config.json5');
  writeFileSync(path, JSON.stringify({ agents: ECHO_AGENTS, gateway: { supervision: FAST_SUPERVISION, http: { port: 0 } }, ...config }));
  return path;
}

function statusJson(home: string): { running: boolean; pid: number; accounts: Array<{ id: string; state: string }> } | undefined {
  const r = runCli(['status', '--json'], home);
  try {
    return JSON.parse(r.stdout) as { running: boolean; pid: number; accounts: Array<{ id: string; state: string }> };
  } catch {
    return undefined;
  }
}

// A gateway orphaned by npm's exit and never reaped (this host's init may not reap) is a zombie: stopped.
const alive = processAlive;

describe('the CLI when its reader goes away', () => {
  it('status into a closed pipe exits 0 with nothing on stderr (not 3, not a stack trace)', async () => {
    const home = tempDir('epipe-home-');
    expect(runCli(['status'], home).code).toBe(3); // what it answers when it can write
    expect(await cliIntoClosedPipe(['status'], home)).toEqual({ code: 0, stderr: '' });
    expect(await cliIntoClosedPipe(['help'], home)).toEqual({ code: 0, stderr: '' });
  });

  it('`status | head -1` prints the summary line, no stack trace', () => {
    const home = tempDir('epipe-home-');
    const r = spawnSync('bash', ['-c', '"$0" "$1" status | head -1', process.execPath, GATEWAY_BIN], {
      env: { ...process.env, IMESSAGE_GATEWAY_HOME: home },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('gateway not running\n');
    expect(r.stderr).toBe('');
  });
});

describe('status: summary, one account, exit codes', () => {
  it('summary first; exit 4 with a degraded account, 0 for a healthy one alone, 2 for an unknown one, 3 once stopped', async () => {
    const dir = tempDir();
    gateway = startGateway({
      imessage: {
        accounts: {
          poison: openAccount(POISON_IMSG, join(dir, 'poison.db')),
          sim: openAccount(SIM_BIN, createSimDb(dir)),
        },
      },
    });
    await gateway.waitForState('sim', 'streaming');
    await waitUntil(() => gateway!.account('poison')?.health === 'degraded', 'poison degraded');

    const all = runCli(['status'], gateway.home);
    expect(all.code).toBe(4);
    expect(all.stdout.split('\n')[0]).toBe('2 accounts: 2 streaming; 1 degraded');
    // Under a second it reads "now" (a fast host gets there first).
    expect(all.stdout).toMatch(/gateway running: pid \d+, since (now|\d+[smh]( \d+s)? ago)/);
    expect(all.stdout).toMatch(/sim\s+streaming\s+since (now|\d+[smh]( \d+s)? ago)/);

    const sim = runCli(['status', 'sim'], gateway.home);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toContain('sim ');
    expect(sim.stdout).not.toContain('poison');
    expect(runCli(['status', 'poison'], gateway.home).code).toBe(4);
    const json = JSON.parse(runCli(['status', 'sim', '--json'], gateway.home).stdout) as { accounts: Array<{ id: string }> };
    expect(json.accounts.map((a) => a.id)).toEqual(['sim']);

    const unknown = runCli(['status', 'nobody'], gateway.home);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no account "nobody" in the gateway\'s status; its accounts: poison, sim');

    await gateway.stop();
    const after = runCli(['status'], gateway.home);
    expect(after.code).toBe(3);
    expect(after.stdout.split('\n')[0]).toBe('gateway not running (2 accounts in its last status)');
  });
});

describe('the gateway when its reader goes away', () => {
  it('stdout closed: the gateway stops in order (exit 0, lock released) instead of spinning', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    gateway = startGateway({ imessage: { accounts: { sim: openAccount(SIM_BIN, db) } } });
    await gateway.waitForState('sim', 'streaming');
    const pid = gateway.proc.pid!;
    gateway.proc.stdout!.destroy();
    // The gateway learns of it at its next log line: a message coming in writes one.
    inject(db, { from: '+15551230000', text: 'anyone reading?' });
    const result = await Promise.race([
      gateway.exited(),
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000)),
    ]);
    expect(result).toEqual({ code: 0, signal: null });
    expect(alive(pid)).toBe(false);
    expect(statusJson(gateway.home)?.running).toBe(false);
    // Its last words went to stderr? No: nothing at all, not a stack trace per line.
    expect(gateway.logs.filter((l) => l.includes('EPIPE') && l.includes('at '))).toEqual([]);
  });

  it('its terminal closed: SIGHUP without a terminal stops it in order; SIGHUP with the terminal is still a reload', async () => {
    const home = tempDir('tty-home-');
    const dir = tempDir();
    const config = writeConfig(home, { imessage: { accounts: { sim: openAccount(SIM_BIN, createSimDb(dir)) } } });
    const term = startOnTerminal(home, ['start', '--config', config], { LOG_LEVEL: 'info' });
    extra = term.proc;
    const running = await waitUntil(() => {
      const s = statusJson(home);
      return s?.running && s.accounts[0]?.state === 'streaming' ? s : undefined;
    }, `the gateway on a terminal to stream; output:\n${term.output()}`);
    const pid = running.pid;

    // kill -HUP while the terminal is there: a reload, the gateway stays.
    process.kill(pid, 'SIGHUP');
    await waitUntil(() => term.output().includes('SIGHUP: reloading the config'), 'the reload log line');
    expect(alive(pid)).toBe(true);

    // The terminal goes away (its master side closes): the kernel hangs up; the gateway stops.
    term.proc.kill('SIGKILL');
    await waitUntil(() => !alive(pid), 'the gateway to stop after its terminal closed', 20_000);
    expect(statusJson(home)?.running).toBe(false);
  });

  it('Ctrl-C on `npm start | tee` stops the gateway; none is left orphaned', async () => {
    const home = tempDir('tty-home-');
    const teeOut = join(home, 'tee.out');
    // The shell line is fixed text; the file name travels as an environment variable.
    const term = spawn('script', ['-qfec', 'npm start --silent -- --port 0 | tee "$GW_TEE"', '/dev/null'], {
      cwd: REPO,
      env: { ...process.env, SHELL: '/bin/bash', IMESSAGE_GATEWAY_HOME: home, GW_TEE: teeOut },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    extra = term;
    const running = await waitUntil(() => {
      const s = statusJson(home);
      return s?.running && s.accounts.every((a) => a.state === 'streaming') ? s : undefined;
    }, 'the demo under npm start | tee', 30_000);
    let shown = '';
    term.stdout.on('data', (d: Buffer) => (shown = (shown + d.toString()).slice(-4000)));
    term.stdin.write('\x03'); // Ctrl-C on that terminal: SIGINT to npm, the gateway and tee at once
    await waitUntil(() => !alive(running.pid), 'the gateway to stop after Ctrl-C', 20_000).catch((err: Error) => {
      const ps = spawnSync('ps', ['-o', 'pid,ppid,stat,args', '-p', String(running.pid)]).stdout.toString();
      throw new Error(`${err.message}\nthe gateway now:\n${ps}\nthe terminal's last output:\n${shown}`);
    });
    expect(statusJson(home)?.running).toBe(false);
  });

  it('NO_COLOR: no ANSI colour in the pretty log on a terminal; colour without it', async () => {
    for (const noColour of [true, false]) {
      const home = tempDir('tty-home-');
      const dir = tempDir();
      const config = writeConfig(home, { imessage: { accounts: { sim: openAccount(SIM_BIN, createSimDb(dir)) } } });
      const env: Record<string, string> = { LOG_LEVEL: 'info' };
      if (noColour) env.NO_COLOR = '1';
      const term = startOnTerminal(home, ['start', '--config', config], env);
      extra = term.proc;
      await waitUntil(() => term.output().includes('gateway running'), `the start-up line; output:\n${term.output()}`);
      const pid = statusJson(home)!.pid;
      // eslint-disable-next-line no-control-regex
      const colour = /\x1b\[\d+(;\d+)*m/;
      if (noColour) expect(term.output()).not.toMatch(colour);
      else expect(term.output()).toMatch(colour);
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !alive(pid), 'the gateway to stop');
      await exited(term.proc);
    }
  });
});
