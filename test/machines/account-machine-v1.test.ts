/**
 * The account machine's imsg 0.14+ paths, on a simulated clock: -32002 keeps the child and
 * re-checks it (never a respawn), and watch.overflow resubscribes from resume_after_rowid.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { fakeChild } from './fake-child.js';
import { PermissionDeniedError, ProcessExitedError } from '../../src/imsg/errors.js';
import {
  type AccountEvent,
  type AccountTiming,
  accountStateName,
  type ConnectInput,
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

const dbUnavailable = () =>
  new PermissionDeniedError('v1', '/opt/homebrew/bin/imsg', '/Users/me/Library/Messages/chat.db', 'The configured Messages database could not be opened read-only. Verify the path and grant Full Disk Access to the supervising process, then retry.');
const legacyBanner = () => new PermissionDeniedError('json', '/opt/homebrew/bin/imsg', undefined, 'Permission Error');

type Step = Error | number;

function harness(connectSteps: Step[], recheckSteps: Step[] = [], resubscribeSteps: Step[] = []) {
  const clock = new SimulatedClock();
  const calls = { connect: 0, recheck: 0, resubscribe: 0 };
  const resubscribeInputs: ConnectInput[] = [];
  let sendBack: ((e: AccountEvent) => void) | undefined;
  const run = (steps: Step[], n: number) => {
    const next = steps[Math.min(n, steps.length - 1)];
    if (next instanceof Error) throw next;
    return { subscription: next ?? 1 };
  };
  const machine = createAccountMachine({ clock, random: () => 0.5 }).provide({
    actors: {
      initialize: fromPromise<ConnectOutput, ConnectInput>(async () => run(connectSteps, calls.connect++)),
      recheck: fromPromise<ConnectOutput, ConnectInput>(async () => run(recheckSteps, calls.recheck++)),
      resubscribe: fromPromise<ConnectOutput, ConnectInput>(async ({ input }) => {
        resubscribeInputs.push(input);
        return run(resubscribeSteps, calls.resubscribe++);
      }),
      imsgChild: fakeChild({ onSendBack: (sb) => (sendBack = sb) }),
    },
  });
  const actor = createActor(machine, { input: { accountId: 'bot', timing }, clock });
  actor.start();
  return {
    actor,
    clock,
    calls,
    resubscribeInputs,
    settle: () => new Promise((r) => setTimeout(r, 0)),
    state: () => accountStateName(actor.getSnapshot().value, actor.getSnapshot().context),
    value: () => actor.getSnapshot().value,
    send: (e: AccountEvent) => sendBack?.(e),
  };
}

describe('database unavailable on imsg 0.14+ (-32002)', () => {
  it('waits in awaiting-permissions and re-checks the same child, never spawning another', async () => {
    const h = harness([dbUnavailable()], [dbUnavailable(), dbUnavailable(), 7]);
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.actor.getSnapshot().context.childHeld).toBe(true);
    expect(h.actor.getSnapshot().context.lastError?.message).toContain('could not be opened read-only');
    for (let i = 1; i <= 3; i++) {
      h.clock.increment(timing.permissionReprobeMs);
      await h.settle();
      expect(h.calls.recheck).toBe(i);
    }
    expect(h.state()).toBe('streaming');
    expect(h.calls.connect).toBe(1);
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.restarts).toBe(0);
    expect(ctx.childHeld).toBe(false);
    expect(ctx.subscription).toBe(7);
  });

  it('an operator retry re-checks at once', async () => {
    const h = harness([dbUnavailable()], [3]);
    await h.settle();
    h.actor.send({ type: 'RETRY' });
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.calls).toMatchObject({ connect: 1, recheck: 1 });
  });

  it('a held child that dies goes to backoff-restart, and only then is a new one spawned', async () => {
    const h = harness([dbUnavailable(), 5], [new ProcessExitedError(1, null, '')]);
    await h.settle();
    h.clock.increment(timing.permissionReprobeMs);
    await h.settle();
    expect(h.state()).toBe('backoff-restart');
    expect(h.actor.getSnapshot().context.childHeld).toBe(false);
    h.clock.increment(timing.backoffMaxMs);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.calls).toMatchObject({ connect: 2, recheck: 1 });
  });

  it('the legacy banner (0.8.2–0.13) still respawns to re-probe', async () => {
    const h = harness([legacyBanner(), 2]);
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.actor.getSnapshot().context.childHeld).toBe(false);
    h.clock.increment(timing.permissionReprobeMs);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.calls).toMatchObject({ connect: 2, recheck: 0 });
  });
});

describe('watch.overflow', () => {
  it('resubscribes from resume_after_rowid on the same child, clamped at 0, without a restart', async () => {
    const h = harness([1], [], [2, 3]);
    await h.settle();
    h.send({ type: 'WATCH_OVERFLOW', resumeAfterRowid: 9000 });
    expect(h.state()).toBe('resubscribing');
    expect(h.actor.getSnapshot().context.reason).toContain('resuming after row 9000');
    await h.settle();
    expect(h.state()).toBe('streaming');
    h.send({ type: 'WATCH_OVERFLOW', resumeAfterRowid: -1 });
    await h.settle();
    expect(h.resubscribeInputs.map((i) => i.resumeAfterRowid)).toEqual([9000, 0]);
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.restarts).toBe(0);
    expect(ctx.resumeAfterRowid).toBeNull();
    expect(ctx.subscription).toBe(3);
  });

  it('an overflow that arrives while resubscribing starts over from the earlier resume point', async () => {
    const h = harness([1], [], [2]);
    await h.settle();
    h.send({ type: 'WATCH_OVERFLOW', resumeAfterRowid: 50 });
    h.send({ type: 'WATCH_OVERFLOW', resumeAfterRowid: 60 });
    expect(h.state()).toBe('resubscribing');
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.resubscribeInputs.map((i) => i.resumeAfterRowid)).toEqual([50, 50]);
  });
});
