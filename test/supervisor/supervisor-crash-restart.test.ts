/**
 * Issue 11, item 1 (crash isolation): "an exception in one account's machinery restarts that
 * account through the supervisor, never the process".
 *
 * A real Supervisor (built as run-gateway.ts builds it) runs two accounts on real imsg-sim
 * databases and processes, on a simulated clock. Account `a` hits a programming error inside its
 * own event handling: the logger hook (pino's documented `hooks.logMethod`, injected through
 * SupervisorOptions.logger) throws a TypeError the first time `a` logs its transition to
 * streaming. That runs inside the account's state-machine observer, where XState would otherwise
 * rethrow it on a bare timer (uncaughtException: every account stops). Expected: no
 * uncaughtException; `a` is degraded with `internal-error`, stopped, and replaced by a fresh
 * runtime only once the restart backoff has passed on the clock, which streams and answers again;
 * `b` streams and answers throughout.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRuntime } from '../../src/supervisor/account-runtime.js';
import { type Cleanups, echoConfig, fixtureDir, openSimAccount, startRealSupervisor } from '../helpers/real-supervisor.js';
import { createSimDb, inject, sentRows, waitUntil } from '../helpers/sim-db.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface LogLine {
  account?: string;
  msg?: string;
  errorClass?: string;
  restartInMs?: number;
}

/**
 * A pino logger that keeps every line, and whose logMethod hook throws once, when account
 * `crashAccount` logs `crashOn`: a stand-in for a programming error in that account's event handling.
 */
function crashingLogger(crashAccount: string, crashOn: string): { logger: Logger; lines: LogLine[]; thrown: () => boolean } {
  const lines: LogLine[] = [];
  let thrown = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  const logger = pino(
    {
      level: 'info',
      hooks: {
        logMethod(this: Logger, args: Parameters<Logger['info']>, method) {
          const msg = args.find((a): a is string => typeof a === 'string');
          if (!thrown && msg === crashOn && this.bindings().account === crashAccount) {
            thrown = true;
            throw new TypeError(`bug in the ${crashOn} handler`);
          }
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    sink,
  );
  return { logger, lines, thrown: () => thrown };
}

describe('Supervisor: an exception in one account restarts that account, never the process', () => {
  it('account a throws inside its transition handling: no uncaughtException, a is restarted fresh after the backoff, b keeps answering', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    cleanups.push(() => void process.off('uncaughtException', onUncaught));

    const dir = fixtureDir(cleanups, 'gw-crash-restart-');
    const dbA = createSimDb(dir, 'a-chat.db');
    const dbB = createSimDb(dir, 'b-chat.db');
    const config = echoConfig(dir, { a: openSimAccount(dbA), b: openSimAccount(dbB) }, 'crash-restart test');
    const backoffMs = config.gateway.supervision.backoffInitialMs;
    const { logger, lines, thrown } = crashingLogger('a', 'streaming');
    const { supervisor, clock } = startRealSupervisor(cleanups, { dir, config, logger });

    const first = supervisor.account('a') as AccountRuntime;
    const bRuntime = supervisor.account('b') as AccountRuntime;
    expect(first).toBeDefined();
    expect(bRuntime).toBeDefined();
    // Both account machines are children of the supervisor's root actor.
    expect(supervisor.rootView.running).toEqual(['a', 'b']);

    // a reached streaming and its transition handling threw: the account is degraded, restarting.
    await waitUntil(() => thrown(), 'account a to hit the bug');
    const crashed = await waitUntil(() => {
      const s = first.status();
      return s.degradedReasons.some((r) => r.code === 'internal-error') ? s : undefined;
    }, 'account a degraded with internal-error');
    expect(crashed.health).toBe('degraded');
    // Marked visibly: the state is `failed`, with the error as the reason.
    expect(crashed.state).toBe('failed');
    expect(crashed.transitions.at(-1)).toMatchObject({ to: 'failed', reason: expect.stringContaining('TypeError: bug in the streaming handler') });
    expect(crashed.degradedReasons.find((r) => r.code === 'internal-error')?.message).toContain('TypeError: bug in the streaming handler');
    expect(supervisor.status().accounts.find((s) => s.id === 'a')?.health).toBe('degraded');
    await waitUntil(
      () => lines.find((l) => l.account === 'a' && l.msg?.startsWith('internal error in the account') && l.errorClass === 'TypeError'),
      'the internal error logged for account a',
    );
    const restartLog = await waitUntil(
      () => lines.find((l) => l.msg === 'restarting the account after an internal error'),
      'the supervisor scheduling the restart',
    );
    expect(restartLog).toMatchObject({ account: 'a', restartInMs: backoffMs });

    // The old runtime is stopped (its imsg child released); no restart before the backoff passes.
    await waitUntil(() => first.status().childPid === null || undefined, 'the crashed runtime to release its imsg child');
    expect(supervisor.account('a')).toBe(first);

    // b streams and answers while a is down.
    await waitUntil(() => supervisor.account('b')?.status().state === 'streaming', 'account b streaming');
    inject(dbB, { from: '+15550000002', text: 'b while a restarts' });
    await waitUntil(() => sentRows(dbB).find((r) => r.text === 'echo: b while a restarts'), 'b answering while a is down');
    expect(supervisor.account('a')).toBe(first);

    // The backoff passes: a fresh runtime replaces the crashed one and streams again.
    clock.increment(backoffMs);
    const second = await waitUntil(() => {
      const now = supervisor.account('a');
      return now !== first ? now : undefined;
    }, 'a fresh runtime for account a');
    await waitUntil(() => second.status().state === 'streaming', 'account a streaming again');
    expect(supervisor.rootView.running).toEqual(['a', 'b']);
    // The crash stays visible on the fresh runtime for a while: degraded, the account restarted.
    const restarted = second.status();
    expect(restarted.health).toBe('degraded');
    expect(restarted.degradedReasons).toEqual([
      { code: 'internal-error', message: expect.stringMatching(/account restarted: TypeError: bug in the streaming handler/) },
    ]);
    inject(dbA, { from: '+15550000001', text: 'a after the restart' });
    await waitUntil(() => sentRows(dbA).find((r) => r.text === 'echo: a after the restart'), 'a answering after the restart');

    // b was never touched: the same runtime, still streaming, still answering.
    inject(dbB, { from: '+15550000002', text: 'b after a restarted' });
    await waitUntil(() => sentRows(dbB).find((r) => r.text === 'echo: b after a restarted'), 'b answering after a restarted');
    expect(supervisor.account('b')).toBe(bRuntime);
    expect(bRuntime.status()).toMatchObject({ state: 'streaming', health: 'ok' });
    expect(lines.filter((l) => l.msg === 'restarting the account after an internal error')).toHaveLength(1);

    expect(uncaught).toEqual([]);
  });
});
