import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { createAccountMachine } from '../../src/machines/account-machine.js';
import { systemClock } from '../../src/util/clock.js';
import { machineGraph } from '../../src/web/machine-graph.js';

describe('machineGraph on the real account machine', () => {
  const graph = machineGraph(createAccountMachine({ clock: systemClock }));
  const ids = graph.states.map((s) => s.id);
  const has = (from: string, to: string, label?: string | RegExp) =>
    graph.edges.some(
      (e) =>
        e.from === from &&
        e.to === to &&
        (label === undefined || (typeof label === 'string' ? e.label === label : label.test(e.label))),
    );

  it('has every lifecycle state, nested ones as parent.child', () => {
    expect(graph.id).toBe('account');
    expect(graph.initial).toBe('child');
    for (const id of [
      'child',
      'child.spawning',
      'child.initializing',
      'child.catching-up',
      'child.streaming',
      'child.streaming.idle',
      'child.resubscribing',
      'child.awaiting-permissions',
      'child.awaiting-permissions.probing',
      'child.regenerating',
      'awaiting-permissions',
      'misconfigured',
      'backoff-restart',
      'cooling-down',
      'stopping',
      'stopped',
    ]) {
      expect(ids, id).toContain(id);
    }
    expect(graph.states.find((s) => s.id === 'child.streaming')).toEqual({ id: 'child.streaming', label: 'streaming', parent: 'child' });
    expect(graph.states.find((s) => s.id === 'stopped')).toMatchObject({ final: true });
    expect(graph.states.find((s) => s.id === 'child')?.parent).toBeUndefined();
  });

  it('has the transitions of on, after, always and invoke onDone/onError, with guards', () => {
    expect(has('child.spawning', 'child.initializing', 'CHILD_SPAWNED')).toBe(true);
    expect(has('child.initializing', 'child.streaming', 'done: initialize')).toBe(true);
    expect(has('child.initializing', 'child.catching-up', 'done: initialize [catchUpFirst]')).toBe(true);
    expect(has('child.initializing', 'backoff-restart', 'error: initialize')).toBe(true);
    expect(has('child.initializing', 'awaiting-permissions', 'error: initialize [needsPermission]')).toBe(true);
    expect(has('child.initializing', 'child.awaiting-permissions', 'error: initialize [keepsChild]')).toBe(true);
    expect(has('child.initializing', 'misconfigured', 'error: initialize [needsOperator]')).toBe(true);
    expect(has('child', 'backoff-restart', 'CHILD_FAILED')).toBe(true);
    expect(has('child.streaming', 'child.resubscribing', 'WATCH_ERROR')).toBe(true);
    // The liveness probe: a timed self-transition; only its failure comes back, as an event.
    expect(has('child.streaming.idle', 'child.streaming.idle', 'after liveness')).toBe(true);
    expect(has('child.streaming', 'backoff-restart', 'PROBE_FAILED')).toBe(true);
    expect(has('child.streaming', 'child.awaiting-permissions', 'PROBE_FAILED [keepsChild]')).toBe(true);
    expect(ids).not.toContain('child.streaming.probing');
    expect(has('child.resubscribing', 'child.streaming', 'done: resubscribe')).toBe(true);
    expect(has('child.resubscribing', 'backoff-restart', 'error: resubscribe')).toBe(true);
    expect(has('child.awaiting-permissions.probing', 'child.streaming', 'done: recheck')).toBe(true);
    // A waiting state re-probes by entering `child` again.
    expect(has('awaiting-permissions', 'child', 'after reprobe')).toBe(true);
    expect(has('misconfigured', 'child', 'after reprobe')).toBe(true);
    expect(has('child.regenerating', 'child.streaming', 'done: regenerate')).toBe(true);
    expect(has('backoff-restart', 'child', 'after backoff')).toBe(true);
    expect(has('backoff-restart', 'child', 'RETRY')).toBe(true);
    expect(has('backoff-restart', 'cooling-down', 'always [intensityExceeded]')).toBe(true);
    expect(has('cooling-down', 'child', 'after coolDown')).toBe(true);
    expect(has('child.awaiting-permissions.waiting', 'child.awaiting-permissions.probing', 'after reprobe')).toBe(true);
    expect(has('awaiting-permissions', 'child', 'RETRY')).toBe(true);
    expect(has('child', 'awaiting-permissions', /needsPermission/)).toBe(true);
    expect(has('stopping', 'stopped', 'done: disconnect')).toBe(true);
    expect(has('*', 'stopping', 'STOP')).toBe(true);
  });

  it('leaves out targetless transitions and only points at known states', () => {
    // streaming's `after stableAfter` only resets the attempt counter.
    expect(graph.edges.some((e) => e.label.startsWith('after stableAfter'))).toBe(false);
    for (const e of graph.edges) {
      expect(e.from === '*' || ids.includes(e.from), e.from).toBe(true);
      expect(ids, e.to).toContain(e.to);
    }
  });

  it('labels numeric delays in ms', () => {
    const m = setup({}).createMachine({ id: 'm', initial: 'a', states: { a: { after: { 500: 'b' } }, b: { always: 'a' } } });
    expect(machineGraph(m)).toEqual({
      id: 'm',
      initial: 'a',
      states: [
        { id: 'a', label: 'a' },
        { id: 'b', label: 'b' },
      ],
      edges: [
        { from: 'a', to: 'b', label: 'after 500ms' },
        { from: 'b', to: 'a', label: 'always' },
      ],
    });
  });
});
