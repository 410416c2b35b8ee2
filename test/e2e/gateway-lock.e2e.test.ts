/**
 * Issue 11, item 7, "two concurrent starts": one gateway per home, with real processes. fcntl
 * locks belong to a process, so only separate processes prove the lock. Before, the lock was a
 * pid in a file: two starts at the same instant both ran (1 in 60), and a stale file naming an
 * unrelated live process (pid reuse after a reboot) blocked start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_GATEWAY_LOCKED } from '../../src/cli/exit-codes.js';
import { GATEWAY_BIN, GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, SIM_BIN, tempDir, waitUntil } from '../helpers/sim-db.js';

/** Trials of the race; each is two process starts plus a stop, a few seconds on a loaded 2-core host. */
const TRIALS = 10;

const running: GatewayProcess[] = [];
const homes: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function freshHome(): { home: string; config: Record<string, unknown> } {
  const home = tempDir('gw-lock-e2e-');
  homes.push(home);
  return { home, config: { imessage: openAccount(SIM_BIN, createSimDb(home)) } };
}

/** A second `start` on a home whose config.json5 startGateway already wrote. */
function startAgain(home: string): GatewayProcess {
  const proc: ChildProcess = spawn(process.execPath, [GATEWAY_BIN, 'start', '--config', join(home, 'config.json5')], {
    env: { ...process.env, IMESSAGE_GATEWAY_HOME: home, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const g = new GatewayProcess(home, proc);
  running.push(g);
  return g;
}

function start(config: Record<string, unknown>, home: string): GatewayProcess {
  const g = startGateway(config, home);
  running.push(g);
  return g;
}

const alive = (g: GatewayProcess) => g.proc.exitCode === null && g.proc.signalCode === null;

async function waitRunningAs(g: GatewayProcess, streaming = true): Promise<void> {
  await waitUntil(() => g.status()?.pid === g.proc.pid || undefined, `the status file of pid ${g.proc.pid}; logs:\n${g.logs.slice(-10).join('\n')}`);
  if (streaming) await g.waitForState('default', 'streaming');
}

describe('one gateway per home (real processes)', () => {
  it(`two starts on one home at the same instant: exactly one runs, ${TRIALS} times out of ${TRIALS}`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const { home, config } = freshHome();
      const a = start(config, home);
      const b = startAgain(home);
      const loser = await waitUntil(
        () => (!alive(a) ? a : !alive(b) ? b : undefined),
        `one of the two starts to give up (trial ${trial}); a:\n${a.logs.slice(-5).join('\n')}\nb:\n${b.logs.slice(-5).join('\n')}`,
      );
      const winner = loser === a ? b : a;
      const { code } = await loser.exited();
      expect(code, `trial ${trial}: the loser's exit code; its output:\n${loser.logs.join('\n')}`).toBe(EXIT_GATEWAY_LOCKED);
      const said = loser.logs.join('\n');
      expect(said).toContain(`another gateway (pid ${winner.proc.pid})`);
      expect(said).toContain(home);
      await waitRunningAs(winner, false);
      expect(alive(winner), `trial ${trial}: the winner keeps running`).toBe(true);
      const status = runCli(['status', '--json'], home);
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { pid: number }).pid).toBe(winner.proc.pid);
      await winner.stop();
      running.splice(0);
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);

  it.each([
    { who: 'this test process', pid: () => process.pid },
    { who: 'pid 1', pid: () => 1 },
  ])('a stale lock naming a live unrelated process ($who) does not block start', async ({ pid }) => {
    const { home, config } = freshHome();
    // What an older release left: the pid as text in gateway.lock (and, in this one, gateway.pid).
    writeFileSync(join(home, 'gateway.lock'), `${pid()}\n`);
    writeFileSync(join(home, 'gateway.pid'), `${pid()}\n`);
    expect(runCli(['status'], home).code).toBe(3); // the lock, not the pid, says whether a gateway runs
    const g = start(config, home);
    await waitRunningAs(g);
    const status = runCli(['status', '--json'], home);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { pid: number }).pid).toBe(g.proc.pid);
  });

  it('kill -9 of the holder: status says not running at once, and the next start takes the lock at once', async () => {
    const { home, config } = freshHome();
    const first = start(config, home);
    await waitRunningAs(first);
    expect(runCli(['status'], home).code).toBe(0);
    await first.stop('SIGKILL');
    // gateway.pid still names the dead process; the lock died with it.
    expect(runCli(['status'], home).code).toBe(3);
    const second = startAgain(home);
    await waitRunningAs(second);
    expect(second.logs.join('\n')).not.toContain('another gateway');
    expect(runCli(['status'], home).code).toBe(0);
  });
});
