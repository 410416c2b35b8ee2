/**
 * Liveness as a timed transition (streaming.idle ──after liveness / probe──▶ idle), on a simulated
 * clock: an answered probe is no event at all, a probe past its deadline is a hang (PROBE_FAILED:
 * restart with backoff), and imsg 0.14+ -32002 mid-stream waits for access on the SAME child.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { fakeChild } from './fake-child.js';
import { DeadlineError, PermissionDeniedError, RpcError } from '../../src/imsg/errors.js';
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
  livenessIntervalMs: 5_000,
};

const dbUnavailable = () =>
  new PermissionDeniedError('v1', '/opt/homebrew/bin/imsg', '/Users/me/Library/Messages/chat.db', 'could not be opened read-only');

type ProbeStep = 'ok' | Error;

function harness(probeSteps: ProbeStep[], recheck: Array<ConnectOutput | Error> = [{ subscription: 5 }]) {
  const clock = new SimulatedClock();
  const calls = { connect: 0, probe: 0, recheck: 0, releases: 0 };
  const machine = createAccountMachine({ clock, random: () => 0.5 }).provide({
    actors: {
      initialize: fromPromise<ConnectOutput, ConnectInput>(async () => {
        calls.connect++;
        return { subscription: 1 };
      }),
      recheck: fromPromise<ConnectOutput, ConnectInput>(async () => {
        const step = recheck[Math.min(calls.recheck++, recheck.length - 1)]!;
        if (step instanceof Error) throw step;
        return step;
      }),
      imsgChild: fakeChild({ onRelease: () => void calls.releases++ }),
    },
    actions: {
      // As the runtime's: the request is answered later; only a failure comes back.
      probe: ({ self }) => {
        const step = probeSteps[Math.min(calls.probe++, probeSteps.length - 1)];
        void Promise.resolve().then(() => {
          if (step instanceof Error) self.send({ type: 'PROBE_FAILED', error: step });
        });
      },
    },
  });
  const events: string[] = [];
  const actor = createActor(machine, {
    input: { accountId: 'bot', timing },
    clock,
    inspect: (e) => {
      if (e.type === '@xstate.event' && e.actorRef === actor) events.push(e.event.type);
    },
  });
  actor.start();
  return {
    actor,
    clock,
    calls,
    events,
    settle: () => new Promise((r) => setTimeout(r, 0)),
    state: () => accountStateName(actor.getSnapshot().value, actor.getSnapshot().context),
  };
}

describe('liveness after-transition', () => {
  it('probes after each quiet livenessIntervalMs and stays streaming while answered, with no event per answer', async () => {
    const h = harness(['ok']);
    await h.settle();
    expect(h.actor.getSnapshot().matches({ child: { streaming: 'idle' } })).toBe(true);
    h.clock.increment(timing.livenessIntervalMs - 1);
    await h.settle();
    expect(h.calls.probe).toBe(0);
    const before = h.events.length;
    h.clock.increment(1);
    expect(h.calls.probe).toBe(1);
    await h.settle();
    expect(h.actor.getSnapshot().matches({ child: { streaming: 'idle' } })).toBe(true);
    // The timer's own event, and nothing for the answer.
    expect(h.events.slice(before)).toEqual(['xstate.after.liveness.account.child.streaming.idle']);
    h.clock.increment(timing.livenessIntervalMs);
    await h.settle();
    expect(h.calls.probe).toBe(2);
    expect(h.state()).toBe('streaming');
    expect(h.calls.releases).toBe(0);
  });

  it('a probe past its deadline is a hang: the child is released and restarted with backoff', async () => {
    const h = harness([new DeadlineError('chats.list', 10_000), 'ok']);
    await h.settle();
    h.clock.increment(timing.livenessIntervalMs);
    await h.settle();
    expect(h.state()).toBe('backoff-restart');
    const ctx = h.actor.getSnapshot().context;
    expect(ctx.lastError?.kind).toBe('deadline');
    expect(ctx.restarts).toBe(1);
    expect(h.calls.releases).toBe(1);
    h.clock.increment(ctx.retryDelayMs);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.calls.connect).toBe(2);
  });

  it('a probe answered with a JSON-RPC error (busy) means the child is alive: still streaming', async () => {
    const h = harness([new RpcError('chats.list', -32000, 'Server busy', undefined)]);
    await h.settle();
    h.clock.increment(timing.livenessIntervalMs);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.actor.getSnapshot().context.restarts).toBe(0);
  });

  it('-32002 mid-stream moves to awaiting-permissions on the same child, then streams again without a restart', async () => {
    const h = harness([dbUnavailable(), 'ok'], [dbUnavailable(), { subscription: 8 }]);
    await h.settle();
    h.clock.increment(timing.livenessIntervalMs);
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    let ctx = h.actor.getSnapshot().context;
    expect(ctx.childHeld).toBe(true);
    expect(ctx.lastError?.kind).toBe('full-disk-access');
    expect(h.calls.releases).toBe(0);
    h.clock.increment(timing.permissionReprobeMs);
    await h.settle();
    expect(h.calls.recheck).toBe(1);
    expect(h.state()).toBe('awaiting-permissions');
    h.clock.increment(timing.permissionReprobeMs);
    await h.settle();
    expect(h.state()).toBe('streaming');
    ctx = h.actor.getSnapshot().context;
    expect(ctx.subscription).toBe(8);
    expect(ctx.restarts).toBe(0);
    expect(h.calls).toMatchObject({ connect: 1, releases: 0 });
  });
});
