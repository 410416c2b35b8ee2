/**
 * The gateway's root actor (src/supervisor/gateway-machine.ts): one spawned child machine per
 * account, removal and shutdown stop them, and a child that throws is marked failed and handed to
 * the supervisor, never only logged. The account logic here is a small stand-in machine (the root
 * only spawns, stops and watches it); the real account machine runs under it in the e2e suites
 * and in supervisor-crash-restart.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, createActor, setup, SimulatedClock } from 'xstate';
import { accountActorId, accountIdOfEvent, createGatewayMachine } from '../../src/supervisor/gateway-machine.js';

/** Counts BUMPs, throws on BOOM (a bug in an action), stops on STOP. */
const standIn = setup({
  types: { context: {} as { id: string; bumps: number }, input: {} as { id: string }, events: {} as { type: 'BUMP' } | { type: 'BOOM' } | { type: 'STOP' } },
}).createMachine({
  context: ({ input }) => ({ id: input.id, bumps: 0 }),
  initial: 'running',
  states: {
    running: {
      on: {
        BUMP: { actions: assign({ bumps: ({ context }) => context.bumps + 1 }) },
        BOOM: {
          actions: () => {
            throw new TypeError('bug in an action');
          },
        },
        STOP: 'stopped',
      },
    },
    stopped: { type: 'final' },
  },
});

const BACKOFF = { backoffInitialMs: 1_000, backoffMaxMs: 8_000, stableAfterMs: 60_000 };

function harness(known: string[]) {
  const failures: Array<{ id: string; error: unknown }> = [];
  const scheduled: Array<{ id: string; count: number; delayMs: number }> = [];
  const due: string[] = [];
  const accounts = new Set(known);
  const clock = new SimulatedClock();
  const root = createActor(
    createGatewayMachine({
      accountLogic: (id) => (accounts.has(id) ? { logic: standIn, input: { id } } : undefined),
      onAccountFailed: (id, error) => failures.push({ id, error }),
      crashBackoff: () => BACKOFF,
      onRestartScheduled: (id, crash, delayMs) => scheduled.push({ id, count: crash.count, delayMs }),
      onRestartDue: (id) => due.push(id),
    }),
    { clock },
  );
  root.start();
  const ctx = () => root.getSnapshot().context;
  const child = (id: string) => ctx().accounts[id] as AnyActorRef | undefined;
  const crash = (id: string, error = 'TypeError: bug') => root.send({ type: 'ACCOUNT.CRASHED', accountId: id, at: clock.now(), error });
  return { root, ctx, child, failures, accounts, clock, scheduled, due, crash, spawn: (id: string) => root.send({ type: 'ACCOUNT.SPAWN', accountId: id }) };
}

describe('gateway root actor', () => {
  it('spawns one child machine per account, with its input and systemId', () => {
    const h = harness(['a', 'b']);
    h.spawn('a');
    h.spawn('b');
    expect(Object.keys(h.ctx().accounts).sort()).toEqual(['a', 'b']);
    const a = h.child('a')!;
    expect(a.id).toBe('account:a');
    expect(h.root.system.get('account:a')).toBe(a);
    expect(a.getSnapshot().context).toEqual({ id: 'a', bumps: 0 });
    expect((h.root.getSnapshot().children as Record<string, unknown>)['account:b']).toBe(h.child('b'));
    // A second spawn of a running account does nothing; an unknown account is not spawned.
    h.spawn('a');
    expect(h.child('a')).toBe(a);
    h.spawn('ghost');
    expect(h.child('ghost')).toBeUndefined();
  });

  it('reload: a removed account is stopped, an added one spawned, the others untouched', () => {
    const h = harness(['a', 'b']);
    h.spawn('a');
    h.spawn('b');
    const a = h.child('a')!;
    const b = h.child('b')!;
    b.send({ type: 'BUMP' });
    h.root.send({ type: 'ACCOUNT.REMOVE', accountId: 'a' });
    expect(a.getSnapshot().status).toBe('stopped');
    expect(h.root.system.get('account:a')).toBeUndefined();
    h.accounts.add('c');
    h.spawn('c');
    expect(Object.keys(h.ctx().accounts).sort()).toEqual(['b', 'c']);
    expect(h.child('b')).toBe(b);
    expect(b.getSnapshot().context.bumps).toBe(1);
    // The removed account can come back (a restart after a changed config): a fresh actor.
    h.spawn('a');
    expect(h.child('a')).not.toBe(a);
    expect(h.child('a')!.getSnapshot().status).toBe('active');
  });

  it('a child that throws is marked failed and handed on; the root and the other accounts go on', () => {
    const h = harness(['a', 'b']);
    h.spawn('a');
    h.spawn('b');
    const a = h.child('a')!;
    a.subscribe({ error: () => undefined }); // the runtime's observer (it reports the crash too)
    a.send({ type: 'BOOM' });
    expect(a.getSnapshot().status).toBe('error');
    expect(h.ctx().failed).toEqual({ a: 'TypeError: bug in an action' });
    expect(h.child('a')).toBeUndefined();
    expect(h.failures).toHaveLength(1);
    expect(h.failures[0]!.id).toBe('a');
    expect(h.failures[0]!.error).toBeInstanceOf(TypeError);
    expect(h.root.getSnapshot().status).toBe('active');
    h.child('b')!.send({ type: 'BUMP' });
    expect(h.child('b')!.getSnapshot().context.bumps).toBe(1);
    // The supervisor's restart spawns a fresh one, which clears the mark.
    h.spawn('a');
    expect(h.child('a')!.getSnapshot().status).toBe('active');
    expect(h.ctx().failed).toEqual({});
  });

  it('a child that reaches its final state (a graceful stop) is forgotten', () => {
    const h = harness(['a']);
    h.spawn('a');
    h.child('a')!.send({ type: 'STOP' });
    expect(h.ctx().accounts).toEqual({});
    expect(h.ctx().failed).toEqual({});
    expect(h.failures).toEqual([]);
  });

  it('SHUTDOWN stops every child and ends the root', () => {
    const h = harness(['a', 'b']);
    h.spawn('a');
    h.spawn('b');
    const refs = [h.child('a')!, h.child('b')!];
    h.root.send({ type: 'SHUTDOWN' });
    expect(refs.map((r) => r.getSnapshot().status)).toEqual(['stopped', 'stopped']);
    expect(h.root.getSnapshot().status).toBe('done');
  });

  it('maps xstate actor events to account ids', () => {
    expect(accountActorId('ops.2')).toBe('account:ops.2');
    expect(accountIdOfEvent('xstate.error.actor.account:ops.2')).toBe('ops.2');
    expect(accountIdOfEvent('xstate.done.actor.account:a')).toBe('a');
    expect(accountIdOfEvent('xstate.error.actor.other')).toBeUndefined();
  });

  it('a crash is counted and its restart is a delayed event on the clock, doubling up to the maximum', () => {
    const h = harness(['a']);
    h.spawn('a');
    const a = h.child('a')!;
    h.crash('a');
    expect(a.getSnapshot().status).toBe('stopped');
    expect(h.ctx().failed).toEqual({ a: 'TypeError: bug' });
    expect(h.scheduled).toEqual([{ id: 'a', count: 1, delayMs: 1_000 }]);
    h.clock.increment(999);
    expect(h.due).toEqual([]);
    h.clock.increment(1);
    expect(h.due).toEqual(['a']);
    h.spawn('a');
    expect(h.ctx().failed).toEqual({});
    for (const expected of [2_000, 4_000, 8_000, 8_000]) {
      h.crash('a');
      expect(h.scheduled.at(-1)!.delayMs).toBe(expected);
      h.clock.increment(expected);
      h.spawn('a');
    }
    expect(h.due).toHaveLength(5);
    // A quiet spell (stableAfterMs + backoffMaxMs) starts the count over.
    h.clock.increment(BACKOFF.stableAfterMs + BACKOFF.backoffMaxMs);
    h.crash('a');
    expect(h.scheduled.at(-1)).toEqual({ id: 'a', count: 1, delayMs: 1_000 });
    expect(h.ctx().crashes['a']).toMatchObject({ count: 1, error: 'TypeError: bug' });
  });

  it('removing an account cancels its pending restart; a stopped root fires none', () => {
    const h = harness(['a', 'b']);
    h.spawn('a');
    h.spawn('b');
    h.crash('a');
    h.crash('b');
    h.root.send({ type: 'ACCOUNT.REMOVE', accountId: 'a' });
    expect(h.ctx().crashes['a']).toBeUndefined();
    h.clock.increment(1_000);
    expect(h.due).toEqual(['b']);
    h.spawn('b');
    h.crash('b');
    h.root.send({ type: 'SHUTDOWN' });
    h.clock.increment(60_000);
    expect(h.due).toEqual(['b']);
  });
});
