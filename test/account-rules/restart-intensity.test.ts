import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { intensityExceeded, recordRestart } from '../../src/account-rules/restart-intensity.js';

const opts = { maxRestarts: 3, windowMs: 60_000 };

describe('recordRestart', () => {
  it('appends the new restart time', () => {
    expect(recordRestart([], 100, 60_000)).toEqual([100]);
    expect(recordRestart([100, 200], 300, 60_000)).toEqual([100, 200, 300]);
  });

  it('forgets restarts that left the sliding window (a restart exactly windowMs ago is gone)', () => {
    expect(recordRestart([0, 10_000, 50_000], 60_000, 60_000)).toEqual([10_000, 50_000, 60_000]);
    expect(recordRestart([0, 10_000, 50_000], 70_000, 60_000)).toEqual([50_000, 70_000]);
    expect(recordRestart([0, 10_000], 59_999, 60_000)).toEqual([0, 10_000, 59_999]);
    expect(recordRestart([0, 10_000], 1_000_000, 60_000)).toEqual([1_000_000]);
  });

  it('does not mutate its input', () => {
    const times = Object.freeze([1, 2, 3]);
    const next = recordRestart(times, 4, 10);
    expect(times).toEqual([1, 2, 3]);
    expect(next).not.toBe(times);
  });
});

describe('intensityExceeded', () => {
  it('is not exceeded at exactly maxRestarts within the window', () => {
    expect(intensityExceeded([1000, 2000, 3000], 3000, opts)).toBe(false);
  });

  it('is exceeded past maxRestarts within the window', () => {
    expect(intensityExceeded([1000, 2000, 3000, 4000], 4000, opts)).toBe(true);
  });

  it('only counts restarts still inside the window at `now`', () => {
    // four restarts, but the first is exactly windowMs old at now
    expect(intensityExceeded([0, 20_000, 40_000, 50_000], 60_000, opts)).toBe(false);
    expect(intensityExceeded([0, 20_000, 40_000, 50_000], 59_999, opts)).toBe(true);
  });

  it('with maxRestarts 0 the first restart already exceeds', () => {
    expect(intensityExceeded([], 5, { maxRestarts: 0, windowMs: 1000 })).toBe(false);
    expect(intensityExceeded([5], 5, { maxRestarts: 0, windowMs: 1000 })).toBe(true);
  });

  it('a restart loop trips on the (maxRestarts+1)th restart and a slow one never does', () => {
    let times: number[] = [];
    const fast: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      times = recordRestart(times, i * 1000, opts.windowMs);
      fast.push(intensityExceeded(times, i * 1000, opts));
    }
    expect(fast).toEqual([false, false, false, true, true]);

    times = [];
    for (let i = 0; i < 20; i++) {
      times = recordRestart(times, i * 20_001, opts.windowMs);
      expect(intensityExceeded(times, i * 20_001, opts)).toBe(false);
      expect(times.length).toBeLessThanOrEqual(3);
    }
  });

  it('property: recorded times are exactly those within the window plus now, and exceeded ⇔ count > max', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 30 }).map((a) => a.sort((x, y) => x - y)),
        fc.integer({ min: 1, max: 500_000 }),
        fc.integer({ min: 0, max: 10 }),
        (history, windowMs, maxRestarts) => {
          const now = (history.at(-1) ?? 0) + 1;
          const times = recordRestart(history, now, windowMs);
          expect(times).toEqual([...history.filter((t) => now - t < windowMs), now]);
          expect(intensityExceeded(times, now, { maxRestarts, windowMs })).toBe(times.length > maxRestarts);
        },
      ),
    );
  });
});
