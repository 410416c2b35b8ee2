import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/util/clock.js';
import {
  LOOP_DELAY_IDLE_CHECK_MS,
  LOOP_DELAY_QUIET_MS,
  LOOP_DELAY_RESOLUTION_MS,
  loopDelayOf,
  startLoopDelay,
  type DelayHistogram,
} from '../../src/util/loop-delay.js';

/** A histogram of given samples (ms), read the way monitorEventLoopDelay's is (ns). */
function histogramOf(samplesMs: number[]): DelayHistogram {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    percentile: (p) => (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0) * 1e6,
    max: (sorted[sorted.length - 1] ?? 0) * 1e6,
    count: sorted.length,
  };
}

describe('loopDelayOf', () => {
  it('an idle loop sampled every 10 ms (timer firing every 10.0-10.2 ms) has about no delay, not 10 ms', () => {
    const idle = histogramOf(Array.from({ length: 100 }, (_, i) => 10 + (i % 3) * 0.1));
    const d = loopDelayOf(idle, 10);
    expect(d.p50Ms).toBeCloseTo(0.1, 5);
    expect(d.p99Ms).toBeCloseTo(0.2, 5);
  });

  it('a turn that blocks 30 ms shows as 30 ms of delay beyond the interval', () => {
    const samples = [...Array.from({ length: 98 }, () => 10), 40, 40];
    expect(loopDelayOf(histogramOf(samples), 10)).toEqual({ p50Ms: 0, p99Ms: 30, maxMs: 30 });
  });

  it('counts on-time samples beside the histogram as the same samples recorded would read', () => {
    const late = [10, 40, 40];
    // 97 on time + 3 recorded = the 100 samples of the test above.
    expect(loopDelayOf(histogramOf(late), 10, 97)).toEqual(loopDelayOf(histogramOf([...Array.from({ length: 97 }, () => 10), ...late]), 10));
    expect(loopDelayOf(histogramOf(late), 10, 97)).toEqual({ p50Ms: 0, p99Ms: 30, maxMs: 30 });
    // Mostly on time: p99 falls among them; the max is still the late one.
    expect(loopDelayOf(histogramOf(late), 10, 997)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 30 });
    // Few on time: the percentiles come from the histogram.
    const busy = Array.from({ length: 100 }, (_, i) => 10 + i);
    expect(loopDelayOf(histogramOf(busy), 10, 1).p99Ms).toBe(98);
    expect(loopDelayOf(histogramOf([]), 10, 50)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it('never negative (a timer that fired early), and zeros before the first sample', () => {
    expect(loopDelayOf(histogramOf([9.1, 9.5]), 10)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
    // An empty histogram reports max 0 and huge percentiles on some Node lines: ignored.
    expect(loopDelayOf({ percentile: () => 9.2e18, max: 0, count: 0 }, 10)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });
});

/** One pending timer at a time (the sampler's chain), fired by hand at any time: early, on time, or late. */
function handClock() {
  let t = 0;
  let pending: { fn: () => void; at: number } | undefined;
  let armed = 0;
  const clock: Clock = {
    now: () => t,
    setTimeout: (fn, ms) => {
      armed++;
      pending = { fn, at: t + ms };
      return pending;
    },
    clearTimeout: (h) => {
      if (pending === h) pending = undefined;
    },
  };
  /** Fires the pending timer `lateMs` after it was due. */
  const fire = (lateMs = 0) => {
    const p = pending!;
    pending = undefined;
    t = p.at + lateMs;
    p.fn();
  };
  return { clock, fire, armed: () => armed, due: () => pending?.at, pending: () => pending !== undefined };
}

describe('startLoopDelay (issue 15: no 100 wakeups a second while idle)', () => {
  const RES = LOOP_DELAY_RESOLUTION_MS;

  it('samples every 10 ms while busy, every 250 ms after a quiet second, and counts the quiet samples as on time', () => {
    const c = handClock();
    let share = 0.5;
    const s = startLoopDelay({ clock: c.clock, busyShare: () => share });
    for (let i = 0; i < 300; i++) c.fire();
    expect(s.mode).toBe('fine'); // busy: every firing 10 ms apart
    share = 0.01;
    const before = c.armed();
    for (let i = 0; i < LOOP_DELAY_QUIET_MS / RES; i++) c.fire();
    expect(s.mode).toBe('coarse');
    expect(c.due()! - c.clock.now()).toBe(LOOP_DELAY_IDLE_CHECK_MS);
    // A quiet minute costs 4 wakeups a second, and reads as a loop with no delay.
    const samples = s.samples;
    const armed = c.armed();
    for (let i = 0; i < (60_000 / LOOP_DELAY_IDLE_CHECK_MS); i++) c.fire();
    expect(c.armed() - armed).toBe(240);
    expect(s.samples - samples).toBe(60_000 / RES);
    expect(s.read()).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
    expect(before).toBeGreaterThan(300);
    s.stop();
    expect(c.pending()).toBe(false);
  });

  it('a look that finds the loop blocked (its window busy that long) goes back to fine sampling and keeps the block', () => {
    const c = handClock();
    let share = 0;
    const s = startLoopDelay({ clock: c.clock, busyShare: () => share });
    for (let i = 0; i < LOOP_DELAY_QUIET_MS / RES; i++) c.fire();
    expect(s.mode).toBe('coarse');
    share = 40 / (LOOP_DELAY_IDLE_CHECK_MS + 40); // a turn blocked 40 ms of the window
    c.fire(40); // so the look came 40 ms late
    expect(s.mode).toBe('fine');
    expect(s.read().maxMs).toBeCloseTo(40, 0); // the histogram keeps 3 significant figures
    expect(c.due()! - c.clock.now()).toBe(RES);
  });

  it('a late look from a quiet loop (the process was not scheduled: a loaded machine) is recorded but stays coarse', () => {
    const c = handClock();
    const s = startLoopDelay({ clock: c.clock, busyShare: () => 0.001 });
    for (let i = 0; i < LOOP_DELAY_QUIET_MS / RES; i++) c.fire();
    expect(s.mode).toBe('coarse');
    const armed = c.armed();
    for (let i = 0; i < 40; i++) c.fire(i % 2 === 0 ? 30 : 0); // every other look 30 ms late, for 10 s
    expect(s.mode).toBe('coarse');
    expect(c.armed() - armed).toBe(40); // 4 wakeups a second, not a fine second after each late look
    expect(s.read().maxMs).toBeCloseTo(30, 0);
  });

  it('a look that finds the loop busy (not late) goes back to fine sampling, counting the window as one block', () => {
    const c = handClock();
    let share = 0;
    const s = startLoopDelay({ clock: c.clock, busyShare: () => share });
    for (let i = 0; i < LOOP_DELAY_QUIET_MS / RES; i++) c.fire();
    expect(s.mode).toBe('coarse');
    share = 0.2;
    c.fire();
    expect(s.mode).toBe('fine');
    expect(s.read().maxMs).toBeCloseTo(0.2 * LOOP_DELAY_IDLE_CHECK_MS, 0);
  });

  it('a fine second with late samples but a quiet loop goes coarse (lateness alone is not work)', () => {
    const c = handClock();
    const s = startLoopDelay({ clock: c.clock, busyShare: () => 0 });
    c.fire(25);
    for (let i = 0; i < LOOP_DELAY_QUIET_MS / RES; i++) c.fire();
    expect(s.mode).toBe('coarse');
    expect(s.read().maxMs).toBeCloseTo(25, 0);
  });
});
