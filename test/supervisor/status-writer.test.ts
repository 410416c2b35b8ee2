/**
 * Issue 15 (idle CPU): when status.json is written. A status that did not change (but for
 * updatedAt and eventLoop) is not rewritten until the heartbeat; a change is; the requests of a
 * whole stop storm cost one build per spacing, not one per account transition; the final write
 * always happens and nothing follows it; a failed write is retried. Driven by a simulated clock and
 * a hand-run deferral queue (the event-loop turns).
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { AccountStatus, GatewayStatus } from '../../src/supervisor/status.js';
import { sameJson, STATUS_HEARTBEAT_MS, STATUS_IDLE_BUILD_MS, STATUS_SPACING_MS, StatusWriter } from '../../src/supervisor/status-writer.js';

function setup(o: { failWrites?: () => boolean; activity?: () => unknown } = {}) {
  const clock = new SimulatedClock();
  clock.set(1_000_000);
  const state = { states: ['streaming', 'streaming', 'streaming'], running: true, loop: 0 };
  let builds = 0;
  const written: GatewayStatus[] = [];
  const deferred: Array<() => void> = [];
  const writer = new StatusWriter({
    build: () => {
      builds++;
      state.loop++;
      return {
        running: state.running,
        pid: 1,
        startedAt: 'start',
        updatedAt: new Date(clock.now()).toISOString(),
        configPath: null,
        eventLoop: { p50Ms: 0, p99Ms: state.loop, maxMs: state.loop },
        accounts: state.states.map((s, i) => ({ id: `a${i}`, state: s, transitions: [] }) as unknown as AccountStatus),
      };
    },
    write: (status) => {
      if (o.failWrites?.()) return false;
      written.push(status);
      return true;
    },
    clock,
    defer: (fn) => void deferred.push(fn),
    ...(o.activity ? { activity: o.activity } : {}),
  });
  /** Ends the current event-loop turn: runs what was deferred to its end. */
  const endTurn = () => {
    for (const fn of deferred.splice(0)) fn();
  };
  return { clock, state, writer, written, endTurn, builds: () => builds };
}

describe('StatusWriter', () => {
  it('does not rewrite a status whose content did not change, until the heartbeat', () => {
    const { clock, writer, written } = setup();
    writer.tick();
    expect(written).toHaveLength(1);
    for (let s = 1; s < STATUS_HEARTBEAT_MS / 1000; s++) {
      clock.increment(1000);
      writer.tick(); // updatedAt and eventLoop moved: not a change
    }
    expect(written).toHaveLength(1);
    clock.increment(1000);
    writer.tick();
    expect(written).toHaveLength(2);
    expect(written[1]!.updatedAt).toBe(new Date(clock.now()).toISOString());
  });

  it('writes at the next tick what changed', () => {
    const { clock, state, writer, written } = setup();
    writer.tick();
    state.states[1] = 'backoff-restart';
    clock.increment(1000);
    const status = writer.tick();
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(status);
    expect(written[1]!.accounts[1]!.state).toBe('backoff-restart');
  });

  it('coalesces a stop storm: N transitions over many turns cost one build per spacing, and the final write comes last', () => {
    const { clock, state, writer, written, endTurn, builds } = setup();
    writer.tick();
    const before = builds();
    const n = 100;
    state.states = Array.from({ length: n }, () => 'streaming');
    // Every account goes stopping, then stopped, each in its own event-loop turn, within one spacing.
    for (const to of ['stopping', 'stopped']) {
      for (let i = 0; i < n; i++) {
        state.states[i] = to;
        writer.request();
        writer.request();
        endTurn();
      }
    }
    expect(builds() - before).toBe(1); // the first turn's; the rest wait for the spacing
    clock.increment(STATUS_SPACING_MS);
    endTurn();
    expect(builds() - before).toBe(2);
    expect(written.at(-1)!.accounts.every((a) => a.state === 'stopped')).toBe(true);
    state.running = false;
    writer.request();
    writer.final(writer.tick());
    const count = written.length;
    expect(written.at(-1)!.running).toBe(false);
    // Nothing after the final write, even what was asked for before it.
    clock.increment(10 * STATUS_SPACING_MS);
    endTurn();
    writer.request();
    endTurn();
    writer.tick();
    expect(written).toHaveLength(count);
  });

  it('writes the final status even when it did not change', () => {
    const { writer, written } = setup();
    const status = writer.tick();
    writer.final(status);
    expect(written).toEqual([status, status]);
  });

  it('retries a failed write at the next tick', () => {
    let failing = true;
    const { clock, writer, written } = setup({ failWrites: () => failing });
    writer.tick();
    expect(written).toHaveLength(0);
    failing = false;
    clock.increment(1000);
    writer.tick();
    expect(written).toHaveLength(1);
  });
});

describe('StatusWriter.periodic (the status timer)', () => {
  /** Calls periodic() once a second for `seconds`; returns the seconds (1-based) at which it built. */
  function run(t: ReturnType<typeof setup>, seconds: number, live = false, each?: (second: number) => void): number[] {
    const at: number[] = [];
    for (let second = 1; second <= seconds; second++) {
      t.clock.increment(1000);
      each?.(second);
      const before = t.builds();
      const status = t.writer.periodic(live);
      if (t.builds() > before) {
        at.push(second);
        expect(status).toBeDefined();
      } else expect(status).toBeUndefined();
    }
    return at;
  }
  /** Two builds of the same status now: nothing is moving, the last build is now. */
  function settle(t: ReturnType<typeof setup>): void {
    t.writer.tick();
    t.writer.tick();
  }

  it('builds an idle status only every idle interval, and at every call while a live view listens', () => {
    const commits = { n: 7 };
    const t = setup({ activity: () => commits.n });
    t.writer.tick(); // the first build differs from nothing before it: moving
    expect(run(t, 1)).toEqual([1]); // the same again: quiet
    const every = STATUS_IDLE_BUILD_MS / 1000;
    expect(run(t, 3 * every)).toEqual([every, 2 * every, 3 * every]);
    expect(run(t, 3, true)).toEqual([1, 2, 3]);
  });

  it('builds at the next call once the activity value moved, and every second while the status keeps changing', () => {
    const commits = { n: 7 };
    const t = setup({ activity: () => commits.n });
    settle(t);
    // A commit at second 2: built at 2; the status did not change, so it is quiet again.
    expect(run(t, 4, false, (s) => s === 2 && commits.n++)).toEqual([2]);
    settle(t);
    // The state changes at seconds 3..6 (no commit): seen at the idle build (5), then built every
    // second until a build equals the one before (7).
    const writes = t.written.length;
    const at = run(t, 11, false, (s) => {
      if (s >= 3 && s <= 6) t.state.states[0] = `state-${s}`;
    });
    expect(at).toEqual([5, 6, 7]);
    expect(t.written.length - writes).toBe(2);
    expect(t.written.at(-1)!.accounts[0]!.state).toBe('state-6');
  });

  it('shows within the idle interval what changed without a commit or a request', () => {
    const t = setup({ activity: () => 1 });
    settle(t);
    t.state.states[2] = 'awaiting-permissions';
    const at = run(t, STATUS_IDLE_BUILD_MS / 1000);
    expect(at).toEqual([STATUS_IDLE_BUILD_MS / 1000]);
    expect(t.written.at(-1)!.accounts[2]!.state).toBe('awaiting-permissions');
  });

  it('builds at every call while the activity cannot be read (NaN)', () => {
    const t = setup({ activity: () => Number.NaN });
    t.writer.tick();
    expect(run(t, 4)).toEqual([1, 2, 3, 4]);
  });

  it('retries a failed write at the next call, not at the next idle build', () => {
    let failing = false;
    const t = setup({ failWrites: () => failing, activity: () => 1 });
    settle(t);
    failing = true;
    t.state.states[0] = 'backoff-restart';
    const writes = t.written.length;
    t.writer.request();
    t.endTurn();
    expect(t.written).toHaveLength(writes);
    failing = false;
    expect(run(t, 1)).toEqual([1]);
    expect(t.written).toHaveLength(writes + 1);
    expect(t.written.at(-1)!.accounts[0]!.state).toBe('backoff-restart');
  });

  it('still rewrites an unchanged status by the heartbeat (within one idle interval of it)', () => {
    const t = setup({ activity: () => 1 });
    t.writer.tick();
    const first = t.clock.now();
    run(t, STATUS_HEARTBEAT_MS / 1000 + STATUS_IDLE_BUILD_MS / 1000);
    expect(t.written).toHaveLength(2);
    const second = Date.parse(t.written[1]!.updatedAt);
    expect(second - first).toBeGreaterThanOrEqual(STATUS_HEARTBEAT_MS);
    expect(second - first).toBeLessThanOrEqual(STATUS_HEARTBEAT_MS + STATUS_IDLE_BUILD_MS);
  });
});

describe('sameJson', () => {
  it('compares as JSON would serialise', () => {
    expect(sameJson({ a: 1, b: [1, { c: 'x' }], d: null }, { b: [1, { c: 'x' }], d: null, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, u: undefined })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(sameJson({ a: 1, b: 0 }, { a: 1 })).toBe(false);
    expect(sameJson([1, 2], [1, 2, 3])).toBe(false);
    expect(sameJson([1], { 0: 1 })).toBe(false);
    expect(sameJson({ a: null }, { a: {} })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
  });
});
