/**
 * Issue 15 (idle CPU): timers of a second or more share one wakeup per whole second. Driven by
 * XState's SimulatedClock, with a count of the real (base) timers the grid asks for.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { Clock } from '../../src/util/clock.js';
import { TIMER_GRID_MS, TimerGrid } from '../../src/util/timer-grid.js';

/** Advances the simulated clock in 1 ms steps (SimulatedClock runs what is due at the end of an increment). */
function advance(sim: SimulatedClock, ms: number): void {
  for (let i = 0; i < ms; i++) sim.increment(1);
}

/**
 * A grid on a simulated base clock that counts its real timers. `fireEarlyMs`: base timers fire
 * that much before their time (libuv's cached time behind Date.now); `wall`: the base clock's
 * error against the monotonic time timers run on (a wall clock set back or forward).
 */
function setup(start = 1_000_250, o: { fireEarlyMs?: number; wall?: () => number } = {}) {
  const sim = new SimulatedClock();
  sim.set(start);
  let baseTimers = 0;
  const base: Clock = {
    now: () => sim.now() + (o.wall?.() ?? 0),
    setTimeout: (fn, ms) => {
      baseTimers++;
      return sim.setTimeout(fn, Math.max(0, ms - (o.fireEarlyMs ?? 0)));
    },
    clearTimeout: (h) => sim.clearTimeout(h as number),
  };
  const grid = new TimerGrid(base);
  const fired: Array<{ name: string; at: number }> = [];
  const note = (name: string) => () => void fired.push({ name, at: sim.now() });
  /** A tick on every grid point (grid.next from its own callback); returns when each ran. */
  const ticking = (): number[] => {
    const at: number[] = [];
    const tick = () => {
      at.push(sim.now());
      grid.next(tick);
    };
    grid.next(tick);
    return at;
  };
  return { sim, grid, fired, note, ticking, baseTimers: () => baseTimers };
}

describe('TimerGrid', () => {
  it('runs timers of a second or more at the next whole second after their time, many of them on one real timer', () => {
    const { sim, grid, fired, note, baseTimers } = setup(1_000_250);
    // 100 accounts' 15 s liveness timers, scheduled at different moments of the same second.
    for (let i = 0; i < 100; i++) {
      sim.increment(i === 0 ? 0 : 7);
      grid.clock.setTimeout(note(`a${i}`), 15_000);
    }
    expect(baseTimers()).toBe(1); // 1_000_250 + 693 + 15 000 all round up to 1_016_000
    sim.increment(1_016_000 - sim.now() - 1);
    expect(fired).toHaveLength(0);
    sim.increment(1);
    expect(fired).toHaveLength(100);
    expect(new Set(fired.map((f) => f.at))).toEqual(new Set([1_016_000]));
    expect(fired.map((f) => f.name)).toEqual(Array.from({ length: 100 }, (_, i) => `a${i}`)); // in the order scheduled
  });

  it('never fires early and at most one grid late', () => {
    for (const [offset, ms] of [
      [0, 1000],
      [1, 1000],
      [999, 2500],
      [0, 15_000],
    ] as const) {
      const { sim, grid, fired, note } = setup(5_000_000 + offset);
      const start = sim.now();
      grid.clock.setTimeout(note('t'), ms);
      advance(sim, ms + TIMER_GRID_MS);
      expect(fired).toHaveLength(1);
      expect(fired[0]!.at - start).toBeGreaterThanOrEqual(ms);
      expect(fired[0]!.at - start).toBeLessThan(ms + TIMER_GRID_MS);
      expect(fired[0]!.at % TIMER_GRID_MS).toBe(0);
    }
  });

  it('passes shorter timers to the base clock unchanged', () => {
    const { sim, grid, fired, note } = setup(1_000_250);
    grid.clock.setTimeout(note('short'), 300);
    sim.increment(300);
    expect(fired).toEqual([{ name: 'short', at: 1_000_550 }]);
    const h = grid.clock.setTimeout(note('cleared'), 999);
    grid.clock.clearTimeout(h);
    sim.increment(2000);
    expect(fired).toHaveLength(1);
    expect(grid.pending).toBe(0);
  });

  it('clears one timer of a grid point, and the real timer once none is left', () => {
    const { sim, grid, fired, note } = setup(1_000_000);
    const a = grid.clock.setTimeout(note('a'), 5000);
    const b = grid.clock.setTimeout(note('b'), 5000);
    grid.clock.clearTimeout(a);
    expect(grid.pending).toBe(1);
    sim.increment(5000);
    expect(fired.map((f) => f.name)).toEqual(['b']);
    const c = grid.clock.setTimeout(note('c'), 5000);
    grid.clock.clearTimeout(c);
    grid.clock.clearTimeout(b); // already run: nothing happens
    expect(grid.pending).toBe(0);
    sim.increment(10_000);
    expect(fired).toHaveLength(1);
  });

  it('next(): a tick on every whole second, sharing the real timer of the timers due then', () => {
    const { sim, grid, fired, note, baseTimers } = setup(2_000_400);
    const tick = () => {
      fired.push({ name: 'tick', at: sim.now() });
      grid.next(tick);
    };
    grid.next(tick);
    grid.clock.setTimeout(note('probe'), 2000); // 2_002_400 → 2_003_000
    advance(sim, 3600);
    expect(fired.filter((f) => f.name === 'tick').map((f) => f.at)).toEqual([2_001_000, 2_002_000, 2_003_000, 2_004_000]);
    expect(fired.find((f) => f.name === 'probe')!.at).toBe(2_003_000);
    expect(baseTimers()).toBe(5); // one per whole second (the probe rode on the tick's)
  });

  it('a base timer firing a little before its grid point does not run the next tick at once', () => {
    const { sim, ticking } = setup(3_000_000, { fireEarlyMs: 1 });
    const at = ticking();
    advance(sim, 3000);
    expect(at).toEqual([3_000_999, 3_001_999, 3_002_999]);
  });

  it('a wall clock set back an hour does not hold the timers scheduled after it', () => {
    let offset = 0; // the wall clock's error: Date.now() against the monotonic time timers run on
    const { sim, grid, ticking } = setup(10_000_000, { wall: () => offset });
    const ticks = ticking();
    advance(sim, 2000);
    expect(ticks).toEqual([10_001_000, 10_002_000]);
    offset = -3_600_000;
    let probed: number | undefined;
    grid.clock.setTimeout(() => (probed = sim.now()), 15_000);
    advance(sim, 16_000);
    expect(probed).toBeDefined();
    expect(probed! - 10_002_000).toBeLessThanOrEqual(16_000);
    expect(ticks.length).toBeGreaterThanOrEqual(17);
    expect(ticks.at(-1)! - ticks.at(-2)!).toBe(1000);
  });

  it('a callback that cancels another timer of the same grid point keeps it from running', () => {
    const { sim, grid, fired, note } = setup(1_000_000);
    let b: unknown;
    grid.clock.setTimeout(() => grid.clock.clearTimeout(b), 2000);
    b = grid.clock.setTimeout(note('b'), 2000);
    sim.increment(2000);
    expect(fired).toHaveLength(0);
  });

  it('one callback that throws does not keep the others of its grid point from running; its error is thrown after them', () => {
    const { sim, grid, fired, note } = setup(1_000_000);
    grid.clock.setTimeout(() => {
      throw new Error('boom');
    }, 2000);
    grid.clock.setTimeout(note('after'), 2000);
    expect(() => sim.increment(2000)).toThrow('boom');
    expect(fired.map((f) => f.name)).toEqual(['after']);
  });
});
