/**
 * The account machine's catching-up state (imsg 0.14+ with messages.after), on a simulated clock:
 * connect → catching-up (the catchUp actor) → streaming; progress lands in context; a failure or a
 * child exit goes to backoff-restart and stops the paging; without catch-up nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import { fakeChild } from './fake-child.js';
import { ProcessExitedError } from '../../src/imsg/errors.js';
import {
  type AccountEvent,
  type AccountTiming,
  accountStateName,
  type ConnectInput,
  type ConnectOutput,
  createAccountMachine,
} from '../../src/machines/account-machine.js';
import { progressOf, startCatchUp } from '../../src/account-rules/catch-up.js';
import { PermissionDeniedError } from '../../src/imsg/errors.js';

const timing: AccountTiming = {
  backoffInitialMs: 1000,
  backoffMaxMs: 8000,
  restartIntensity: { maxRestarts: 3, windowMs: 60_000 },
  coolDownMs: 300_000,
  permissionReprobeMs: 30_000,
  stableAfterMs: 10_000,
  livenessIntervalMs: 15_000,
};

function harness(outputs: Array<ConnectOutput | Error>, recheck: ConnectOutput = { subscription: null, catchUp: true }) {
  const clock = new SimulatedClock();
  let connects = 0;
  const catchUps = { started: 0, stopped: 0 };
  let catchUpSend: ((e: AccountEvent) => void) | undefined;
  let monitorSend: ((e: AccountEvent) => void) | undefined;
  const connect = fromPromise<ConnectOutput, ConnectInput>(async () => {
    const next = outputs[Math.min(connects++, outputs.length - 1)]!;
    if (next instanceof Error) throw next;
    return next;
  });
  const machine = createAccountMachine({ clock, random: () => 0.5 }).provide({
    actors: {
      initialize: connect,
      recheck: fromPromise<ConnectOutput, ConnectInput>(async () => recheck),
      catchUp: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => {
        catchUps.started++;
        catchUpSend = sendBack;
        return () => {
          catchUps.stopped++;
        };
      }),
      imsgChild: fakeChild({ onSendBack: (sb) => (monitorSend = sb) }),
    },
  });
  const actor = createActor(machine, { input: { accountId: 'bot', timing }, clock });
  actor.start();
  return {
    actor,
    clock,
    catchUps,
    connects: () => connects,
    settle: () => new Promise((r) => setTimeout(r, 0)),
    state: () => accountStateName(actor.getSnapshot().value, actor.getSnapshot().context),
    ctx: () => actor.getSnapshot().context,
    fromCatchUp: (e: AccountEvent) => catchUpSend?.(e),
    fromMonitor: (e: AccountEvent) => monitorSend?.(e),
  };
}

const catchUp: ConnectOutput = { subscription: null, catchUp: true };

describe('catching-up', () => {
  it('is a visible state between connect and streaming, with the progress in context', async () => {
    const h = harness([catchUp]);
    await h.settle();
    expect(h.state()).toBe('catching-up');
    expect(h.actor.getSnapshot().matches({ child: 'catching-up' })).toBe(true);
    expect(h.ctx().reason).toBe('catching up with messages.after');
    expect(h.catchUps.started).toBe(1);

    const running = progressOf({ ...startCatchUp(100, 5100, 0), cursor: 600, rows: 500, pages: 1 }, 250);
    h.fromCatchUp({ type: 'CATCH_UP_PROGRESS', progress: running });
    expect(h.state()).toBe('catching-up');
    expect(h.ctx().catchUp).toMatchObject({ active: true, behindBy: 4500, rowsPerSecond: 2000 });

    const done = progressOf({ ...startCatchUp(100, 5100, 0), cursor: 5100, rows: 5000, pages: 10 }, 2000, 'caught-up');
    h.fromCatchUp({ type: 'CATCH_UP_DONE', subscription: 9, progress: done });
    expect(h.state()).toBe('streaming');
    expect(h.ctx()).toMatchObject({ subscription: 9, catchUp: { active: false, behindBy: 0, rows: 5000 } });
    expect(h.ctx().reason).toContain('caught up (5000 rows)');
    expect(h.catchUps.stopped).toBe(1);
    expect(h.ctx().restarts).toBe(0);
  });

  it('a failed catch-up goes to backoff-restart and connects (and catches up) again', async () => {
    const h = harness([catchUp]);
    await h.settle();
    h.fromCatchUp({ type: 'CATCH_UP_FAILED', error: new Error('the state database did not take 3 caught-up messages') });
    expect(h.state()).toBe('backoff-restart');
    expect(h.ctx().lastError?.message).toContain('did not take 3');
    h.clock.increment(timing.backoffMaxMs);
    await h.settle();
    expect(h.state()).toBe('catching-up');
    expect(h.connects()).toBe(2);
    expect(h.catchUps).toEqual({ started: 2, stopped: 1 });
  });

  it('a child that exits mid catch-up stops the paging and restarts with backoff', async () => {
    const h = harness([catchUp]);
    await h.settle();
    h.fromMonitor({ type: 'CHILD_FAILED', error: new ProcessExitedError(1, null, '') });
    expect(h.state()).toBe('backoff-restart');
    expect(h.catchUps.stopped).toBe(1);
  });

  it('STOP while catching up stops the paging', async () => {
    const h = harness([catchUp]);
    await h.settle();
    h.actor.send({ type: 'STOP' });
    await h.settle();
    expect(h.state()).toBe('stopped');
    expect(h.catchUps.stopped).toBe(1);
  });

  it('recovering from missing permissions catches up too', async () => {
    const denied = new PermissionDeniedError('v1', '/opt/homebrew/bin/imsg', '/db', 'Database unavailable');
    const h = harness([denied]);
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    h.clock.increment(timing.permissionReprobeMs);
    await h.settle();
    expect(h.state()).toBe('catching-up');
  });

  it('without catch-up (imsg ≤0.13: no messages.after) connect goes straight to streaming', async () => {
    const h = harness([{ subscription: 4 }]);
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.catchUps.started).toBe(0);
    expect(h.ctx().catchUp).toBeNull();
  });
});
