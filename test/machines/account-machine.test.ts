import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { fakeChild } from './fake-child.js';
import { DeadlineError, PermissionDeniedError, ProcessExitedError, SpawnError } from '../../src/imsg/errors.js';
import {
  type AccountEvent,
  type AccountTiming,
  accountStateName,
  type ConnectOutput,
  createAccountMachine,
} from '../../src/machines/account-machine.js';

const timing: AccountTiming = {
  backoffInitialMs: 1000,
  backoffMaxMs: 8000,
  restartIntensity: { maxRestarts: 3, windowMs: 60_000 },
  coolDownMs: 300_000,
  permissionReprobeMs: 30_000,
  stableAfterMs: 10_000,
  livenessIntervalMs: 15_000,
};

/** Runs the machine with scripted connect results and a simulated clock; no real time passes. */
function harness(connectResults: Array<Error | number>) {
  const clock = new SimulatedClock();
  let connects = 0;
  let releases = 0;
  let sendBack: ((e: AccountEvent) => void) | undefined;
  const connect = fromPromise<ConnectOutput, { accountId: string }>(async () => {
    const next = connectResults[Math.min(connects, connectResults.length - 1)];
    connects++;
    if (next instanceof Error) throw next;
    return { subscription: next ?? 1 };
  });
  const machine = createAccountMachine({ clock, random: () => 0.5 }).provide({
    actors: {
      initialize: connect,
      resubscribe: fromPromise<ConnectOutput, { accountId: string }>(async () => ({ subscription: 99 })),
      imsgChild: fakeChild({ onSendBack: (sb) => (sendBack = sb), onRelease: () => void releases++ }),
    },
  });
  const actor = createActor(machine, { input: { accountId: 'bot', timing }, clock });
  actor.start();
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return {
    actor,
    clock,
    settle,
    state: () => accountStateName(actor.getSnapshot().value, actor.getSnapshot().context),
    connects: () => connects,
    releases: () => releases,
    fail: (error: unknown) => sendBack?.({ type: 'CHILD_FAILED', error }),
    watchError: () => sendBack?.({ type: 'WATCH_ERROR', message: 'database is locked (code: 5)' }),
  };
}

const permission = () => new PermissionDeniedError('json', '/usr/local/bin/imsg', undefined, 'denied');

describe('account machine', () => {
  it('reaches streaming when the probe answers', async () => {
    const h = harness([1]);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.actor.getSnapshot().context.subscription).toBe(1);
  });

  it('goes to backoff-restart when the child exits, then spawns again after the delay', async () => {
    const h = harness([1, 2]);
    await h.settle();
    h.fail(new ProcessExitedError(null, 'SIGKILL', ''));
    expect(h.state()).toBe('backoff-restart');
    expect(h.releases()).toBe(1);
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.restarts).toBe(1);
    expect(ctx.lastError?.kind).toBe('exited');
    // attempt 0: step 1000 ms, equal jitter with random 0.5 → 750 ms
    expect(ctx.retryDelayMs).toBe(750);
    expect(ctx.nextRetryAt).toBe(h.clock.now() + 750);
    h.clock.increment(749);
    expect(h.state()).toBe('backoff-restart');
    h.clock.increment(1);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.connects()).toBe(2);
  });

  it('treats a hang like a crash', async () => {
    const h = harness([1]);
    await h.settle();
    h.fail(new DeadlineError('chats.list', 10_000));
    expect(h.state()).toBe('backoff-restart');
    expect(h.actor.getSnapshot().context.lastError?.kind).toBe('deadline');
  });

  it('backs off exponentially while starts keep failing', async () => {
    const h = harness([new ProcessExitedError(1, null, ''), new ProcessExitedError(1, null, ''), new ProcessExitedError(1, null, ''), 1]);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await h.settle();
      expect(h.state()).toBe('backoff-restart');
      delays.push(h.actor.getSnapshot().context.retryDelayMs);
      h.clock.increment(h.actor.getSnapshot().context.retryDelayMs);
    }
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(delays).toEqual([750, 1500, 3000]);
  });

  it('cools down instead of looping once the restart intensity is exceeded', async () => {
    const crash = new ProcessExitedError(1, null, '');
    const h = harness([crash]);
    for (let i = 0; i < 3; i++) {
      await h.settle();
      expect(h.state()).toBe('backoff-restart');
      h.clock.increment(h.actor.getSnapshot().context.retryDelayMs);
    }
    await h.settle();
    expect(h.state()).toBe('cooling-down');
    expect(h.connects()).toBe(4);
    h.clock.increment(timing.coolDownMs - 1);
    await h.settle();
    expect(h.connects()).toBe(4);
    h.clock.increment(1);
    await h.settle();
    expect(h.connects()).toBe(5);
  });

  it('waits in awaiting-permissions and re-probes on the slow timer, without restarting', async () => {
    const h = harness([permission(), permission(), 7]);
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.actor.getSnapshot().context.lastError?.kind).toBe('full-disk-access');
    h.clock.increment(timing.permissionReprobeMs - 1);
    await h.settle();
    expect(h.connects()).toBe(1);
    h.clock.increment(1);
    await h.settle();
    expect(h.connects()).toBe(2);
    expect(h.state()).toBe('awaiting-permissions');
    h.clock.increment(timing.permissionReprobeMs);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.actor.getSnapshot().context.restarts).toBe(0);
    expect(h.actor.getSnapshot().context.lastError).toBeNull();
  });

  it('RETRY re-probes at once from awaiting-permissions', async () => {
    const h = harness([permission(), 3]);
    await h.settle();
    h.actor.send({ type: 'RETRY' });
    await h.settle();
    expect(h.state()).toBe('streaming');
  });

  it('puts a missing binary in misconfigured, not in a restart loop', async () => {
    const h = harness([new SpawnError('/nope/imsg', 'ENOENT')]);
    await h.settle();
    expect(h.state()).toBe('misconfigured');
    expect(h.actor.getSnapshot().context.lastError?.remediation).toMatch(/cliPath/);
  });

  it('retries a spawn that failed for lack of descriptors (EMFILE) with backoff, not misconfigured', async () => {
    const h = harness([new SpawnError('/usr/local/bin/imsg', 'EMFILE')]);
    await h.settle();
    expect(h.state()).toBe('backoff-restart');
    expect(h.actor.getSnapshot().context.lastError).toMatchObject({ kind: 'spawn', recovery: 'retry' });
  });

  it('resubscribes after a watch error without restarting the child', async () => {
    const h = harness([1]);
    await h.settle();
    h.watchError();
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.actor.getSnapshot().context.subscription).toBe(99);
    expect(h.connects()).toBe(1);
    expect(h.releases()).toBe(0);
  });

  it('resets the backoff attempt after a stable stretch of streaming', async () => {
    const h = harness([new ProcessExitedError(1, null, ''), 1]);
    await h.settle();
    h.clock.increment(h.actor.getSnapshot().context.retryDelayMs);
    await h.settle();
    expect(h.actor.getSnapshot().context.attempt).toBe(1);
    h.clock.increment(timing.stableAfterMs);
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
  });

  it('stops from any state', async () => {
    const h = harness([permission()]);
    await h.settle();
    h.actor.send({ type: 'STOP' });
    await h.settle();
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.state()).toBe('stopped');
  });
});
