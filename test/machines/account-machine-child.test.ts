/**
 * The account machine owns its child (issue 12, item 2), on a simulated clock: the imsgChild actor
 * is invoked on `child`, so spawning, initializing, catching-up and streaming are visible states of
 * one child; its exit comes back as an event; leaving `child` runs its cleanup exactly once; the
 * three waiting states are one parameterised definition.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock } from 'xstate';
import { DeadlineError, PermissionDeniedError, ProcessExitedError, SpawnError } from '../../src/imsg/errors.js';
import {
  type AccountEvent,
  type AccountTiming,
  accountStateName,
  type ConnectInput,
  type ConnectOutput,
  createAccountMachine,
  type GenerationWatchEvent,
} from '../../src/machines/account-machine.js';
import { ChatDbReplacedError } from '../../src/supervisor/db-generations.js';

const timing: AccountTiming = {
  backoffInitialMs: 1000,
  backoffMaxMs: 8000,
  restartIntensity: { maxRestarts: 3, windowMs: 60_000 },
  coolDownMs: 300_000,
  permissionReprobeMs: 30_000,
  stableAfterMs: 10_000,
  livenessIntervalMs: 15_000,
};

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const dbUnavailable = () => new PermissionDeniedError('v1', '/opt/homebrew/bin/imsg', '/x/chat.db', 'could not be opened read-only');
const banner = () => new PermissionDeniedError('json', '/opt/homebrew/bin/imsg', undefined, 'Permission Error');

/** Every actor is driven by the test: the child's events, each initialize / connect answer. */
function harness() {
  const clock = new SimulatedClock();
  const child = { starts: 0, cleanups: 0, sendBack: undefined as ((e: AccountEvent) => void) | undefined };
  const watch = { told: [] as string[], cleanups: 0, sendBack: undefined as ((e: AccountEvent) => void) | undefined };
  const initializes: Array<Deferred<ConnectOutput>> = [];
  const recheck: Array<Deferred<ConnectOutput>> = [];
  const regenerates: Array<Deferred<ConnectOutput> & { input: ConnectInput }> = [];
  const machine = createAccountMachine({ clock, random: () => 0.5 }).provide({
    actors: {
      imsgChild: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => {
        child.starts++;
        child.sendBack = sendBack;
        return () => {
          child.cleanups++;
          child.sendBack = undefined;
        };
      }),
      initialize: fromPromise<ConnectOutput, ConnectInput>(() => {
        const d = deferred<ConnectOutput>();
        initializes.push(d);
        return d.promise;
      }),
      regenerate: fromPromise<ConnectOutput, ConnectInput>(({ input }) => {
        const d = deferred<ConnectOutput>();
        regenerates.push({ ...d, input });
        return d.promise;
      }),
      recheck: fromPromise<ConnectOutput, ConnectInput>(() => {
        const d = deferred<ConnectOutput>();
        recheck.push(d);
        return d.promise;
      }),
      catchUp: fromCallback<AccountEvent, ConnectInput>(({ sendBack }) => {
        sendBack({
          type: 'CATCH_UP_DONE',
          subscription: 3,
          progress: { active: false, fromRowid: 0, cursor: 0, behindBy: 0, rows: 0, pages: 1, startedAt: 0, elapsedMs: 0, rowsPerSecond: 0, etaMs: null, stoppedBy: 'caught-up' },
        });
      }),
      disconnect: fromPromise<void, ConnectInput>(async () => undefined),
      generationWatch: fromCallback<GenerationWatchEvent, ConnectInput>(({ sendBack, receive }) => {
        watch.sendBack = sendBack;
        receive((e) => watch.told.push(e.type));
        return () => void watch.cleanups++;
      }),
    },
  });
  const seen: string[] = [];
  const actor = createActor(machine, { input: { accountId: 'bot', timing }, clock });
  actor.subscribe((s) => {
    const name = accountStateName(s.value, s.context);
    if (seen.at(-1) !== name) seen.push(name);
  });
  actor.start();
  return {
    actor,
    clock,
    child,
    watch,
    initializes,
    recheck,
    regenerates,
    seen,
    settle: () => new Promise((r) => setTimeout(r, 0)),
    state: () => accountStateName(actor.getSnapshot().value, actor.getSnapshot().context),
    ctx: () => actor.getSnapshot().context,
  };
}

describe('the child as an invoked actor', () => {
  it('spawning → initializing → streaming are visible states of one child', async () => {
    const h = harness();
    expect(h.state()).toBe('spawning');
    expect(h.child.starts).toBe(1);
    expect(h.initializes).toHaveLength(0);
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    expect(h.state()).toBe('initializing');
    expect(h.ctx().reason).toBe('imsg spawned; negotiating');
    h.initializes[0]!.resolve({ subscription: 4 });
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.seen).toEqual(['spawning', 'initializing', 'streaming']);
    expect(h.child).toMatchObject({ starts: 1, cleanups: 0 });
    expect(h.ctx().subscription).toBe(4);
  });

  it('initializing → catching-up → streaming when messages.after is advertised', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.resolve({ subscription: null, catchUp: true });
    await h.settle();
    expect(h.seen).toEqual(['spawning', 'initializing', 'catching-up', 'streaming']);
    expect(h.ctx().subscription).toBe(3);
  });

  it('a spawn that fails (ENOENT) goes to misconfigured and the cleanup runs once', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_FAILED', error: new SpawnError('/nope/imsg', 'ENOENT') });
    expect(h.state()).toBe('misconfigured');
    expect(h.child.cleanups).toBe(1);
  });

  it('an exit while initializing is an event: backoff-restart, cleanup once, a new child after the delay', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.child.sendBack!({ type: 'CHILD_FAILED', error: new ProcessExitedError(1, null, '') });
    expect(h.state()).toBe('backoff-restart');
    expect(h.child.cleanups).toBe(1);
    // The initialize still pending is abandoned: its late answer changes nothing.
    h.initializes[0]!.resolve({ subscription: 9 });
    await h.settle();
    expect(h.state()).toBe('backoff-restart');
    h.clock.increment(h.ctx().retryDelayMs);
    expect(h.state()).toBe('spawning');
    expect(h.child.starts).toBe(2);
  });

  it('the text permission banner (an exit) goes to awaiting-permissions, not a restart', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.child.sendBack!({ type: 'CHILD_FAILED', error: new PermissionDeniedError('text', '/opt/imsg', undefined, 'permissionDenied') });
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.ctx().restarts).toBe(0);
    expect(h.child.cleanups).toBe(1);
  });

  it('-32002 while initializing keeps the child: child.awaiting-permissions, no cleanup; its exit there restarts', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.reject(dbUnavailable());
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.actor.getSnapshot().matches({ child: 'awaiting-permissions' })).toBe(true);
    expect(h.child.cleanups).toBe(0);
    h.child.sendBack!({ type: 'CHILD_FAILED', error: new ProcessExitedError(0, null, '') });
    expect(h.state()).toBe('backoff-restart');
    expect(h.child.cleanups).toBe(1);
  });

  it('STOP from streaming stops the child (cleanup) before stopped', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.resolve({ subscription: 1 });
    await h.settle();
    h.actor.send({ type: 'STOP' });
    expect(h.child.cleanups).toBe(1);
    await h.settle();
    expect(h.actor.getSnapshot().status).toBe('done');
  });
});

describe('one parameterised waiting state', () => {
  it('awaiting-permissions and misconfigured re-probe by entering child; the held wait asks the same child', () => {
    const h = harness();
    const root = h.actor.logic.root;
    const held = root.states.child!.states['awaiting-permissions']!;
    for (const id of ['awaiting-permissions', 'misconfigured'] as const) {
      const node = root.states[id]!;
      expect(Object.keys(node.states)).toEqual([]);
      const targets = [...node.after, ...(node.on.RETRY ?? [])].flatMap((t) => (t.target ?? []).map((n) => n.id));
      expect(targets).toEqual(['account.child', 'account.child']);
    }
    expect(Object.keys(held.states).sort()).toEqual(['probing', 'waiting']);
  });

  it('a re-probe is a fresh imsgChild in `child`, shown as the waiting state, and goes where its answer says', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.reject(banner());
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.child).toMatchObject({ starts: 1, cleanups: 1 });

    // The slow timer: a fresh child, in `child.spawning`, still shown as awaiting-permissions.
    h.clock.increment(timing.permissionReprobeMs);
    expect(h.actor.getSnapshot().matches({ child: 'spawning' })).toBe(true);
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.ctx()).toMatchObject({ reprobeOf: 'awaiting-permissions', restarts: 0 });
    expect(h.ctx().reason).toBe('re-probing (awaiting-permissions): spawning imsg rpc');
    expect(h.child.starts).toBe(2);
    // operator → misconfigured; the re-probe's child is cleaned up like any other.
    h.child.sendBack!({ type: 'CHILD_FAILED', error: new SpawnError('/nope/imsg', 'EACCES') });
    expect(h.state()).toBe('misconfigured');
    expect(h.ctx().reprobeOf).toBeNull();
    expect(h.child.cleanups).toBe(2);

    // An operator retry re-probes at once, shown as misconfigured.
    h.actor.send({ type: 'RETRY' });
    expect(h.ctx()).toMatchObject({ reason: 're-probing (misconfigured): spawning imsg rpc', reprobeOf: 'misconfigured' });
    expect(h.state()).toBe('misconfigured');
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    expect(h.state()).toBe('misconfigured');
    h.initializes[1]!.reject(banner());
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');

    // -32002 on the re-probe's child: it stays up (no cleanup) and the held wait re-checks it.
    h.clock.increment(timing.permissionReprobeMs);
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[2]!.reject(dbUnavailable());
    await h.settle();
    expect(h.actor.getSnapshot().matches({ child: { 'awaiting-permissions': 'waiting' } })).toBe(true);
    expect(h.child).toMatchObject({ starts: 4, cleanups: 3 });
    h.clock.increment(timing.permissionReprobeMs);
    h.recheck[0]!.resolve({ subscription: 6 });
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.ctx()).toMatchObject({ subscription: 6, restarts: 0, lastError: null, childHeld: false, reprobeOf: null });
    expect(h.child).toMatchObject({ starts: 4, cleanups: 3 });
    // Operators saw only the waiting states between the first failure and streaming.
    expect(h.seen).toEqual(['spawning', 'initializing', 'awaiting-permissions', 'misconfigured', 'awaiting-permissions', 'streaming']);
  });

  it('a successful re-probe streams on the child it spawned, with no restart counted', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_FAILED', error: new SpawnError('/nope/imsg', 'ENOENT') });
    expect(h.state()).toBe('misconfigured');
    h.clock.increment(timing.permissionReprobeMs);
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.resolve({ subscription: 2 });
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.ctx()).toMatchObject({ restarts: 0, reprobeOf: null, lastError: null });
    expect(h.child).toMatchObject({ starts: 2, cleanups: 1 });
  });
});

describe('chat.db generations, watched while the child is connected', () => {
  it('the watch is told to run in catching-up/streaming, and a change restarts an imsg ≤0.13 child', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    expect(h.watch.told).toEqual([]);
    h.initializes[0]!.resolve({ subscription: null, catchUp: true });
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.watch.told).toEqual(['WATCH_GENERATIONS', 'WATCH_GENERATIONS']);
    h.watch.sendBack!({ type: 'GENERATION_CHANGED', error: new ChatDbReplacedError('another file at the path'), inPlace: false });
    expect(h.state()).toBe('backoff-restart');
    expect(h.ctx().lastError).toMatchObject({ kind: 'db-generation', recovery: 'retry' });
    expect(h.child.cleanups).toBe(1);
    expect(h.watch.cleanups).toBe(1);
  });

  it('on imsg 0.14+ a change moves the watch on the same child: regenerating, then catching-up, no restart', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.resolve({ subscription: 4 });
    await h.settle();
    const error = new ChatDbReplacedError('another file at the path', true);
    h.watch.sendBack!({ type: 'GENERATION_CHANGED', error, inPlace: true });
    expect(h.state()).toBe('regenerating');
    expect(h.ctx().reason).toBe(error.message);
    expect(h.ctx().reason).toContain('moving the watch to the new file on the same imsg');
    // The old watch stops; the old subscription is handed to regenerate to unsubscribe.
    expect(h.watch.told).toEqual(['WATCH_GENERATIONS', 'PAUSE_GENERATIONS']);
    expect(h.regenerates[0]!.input).toEqual({ accountId: 'bot', subscription: 4 });
    h.regenerates[0]!.resolve({ subscription: null, catchUp: true });
    await h.settle();
    expect(h.state()).toBe('streaming');
    expect(h.ctx()).toMatchObject({ restarts: 0, lastError: null, subscription: 3 });
    expect(h.child).toMatchObject({ starts: 1, cleanups: 0 });
    expect(h.watch.told).toEqual(['WATCH_GENERATIONS', 'PAUSE_GENERATIONS', 'WATCH_GENERATIONS', 'WATCH_GENERATIONS']);
    expect(h.seen).toEqual(['spawning', 'initializing', 'streaming', 'regenerating', 'catching-up', 'streaming']);
  });

  it('regenerating that fails goes by error class: -32002 holds the child, a hang restarts it', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.resolve({ subscription: 4 });
    await h.settle();
    h.watch.sendBack!({ type: 'GENERATION_CHANGED', error: new ChatDbReplacedError('x', true), inPlace: true });
    h.regenerates[0]!.reject(dbUnavailable());
    await h.settle();
    expect(h.actor.getSnapshot().matches({ child: 'awaiting-permissions' })).toBe(true);
    expect(h.child.cleanups).toBe(0);
    h.clock.increment(timing.permissionReprobeMs);
    h.recheck[0]!.resolve({ subscription: 5 });
    await h.settle();
    expect(h.state()).toBe('streaming');
    h.watch.sendBack!({ type: 'GENERATION_CHANGED', error: new ChatDbReplacedError('y', true), inPlace: true });
    h.regenerates[1]!.reject(new DeadlineError('watch.unsubscribe', 15_000));
    await h.settle();
    expect(h.state()).toBe('backoff-restart');
    expect(h.child.cleanups).toBe(1);
  });

  it('-32002 (held child) pauses the watch', async () => {
    const h = harness();
    h.child.sendBack!({ type: 'CHILD_SPAWNED' });
    h.initializes[0]!.reject(dbUnavailable());
    await h.settle();
    expect(h.state()).toBe('awaiting-permissions');
    expect(h.watch.told).toEqual(['PAUSE_GENERATIONS']);
    expect(h.watch.cleanups).toBe(0);
  });
});
