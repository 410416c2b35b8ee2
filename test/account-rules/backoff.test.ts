import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { backoffDelay } from '../../src/account-rules/backoff.js';

const opts = { initialMs: 1000, maxMs: 30_000 };
const fixed = (r: number) => () => r;

describe('backoffDelay', () => {
  it.each([
    [0, 0, 500],
    [0, 0.5, 750],
    [0, 1, 1000],
    [1, 0, 1000],
    [1, 0.5, 1500],
    [1, 1, 2000],
    [3, 0, 4000],
    [3, 0.5, 6000],
    [3, 1, 8000],
  ])('attempt %i with random %d waits exactly %i ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, opts, fixed(r))).toBe(expected);
  });

  it('doubles the step per attempt until it reaches maxMs, then stays capped', () => {
    const steps = Array.from({ length: 8 }, (_, a) => backoffDelay(a, opts, fixed(1)));
    expect(steps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoffDelay(5, opts, fixed(0))).toBe(15_000);
    expect(backoffDelay(5, opts, fixed(0.5))).toBe(22_500);
  });

  it('stays capped for huge attempt numbers instead of overflowing', () => {
    expect(backoffDelay(1_000_000, opts, fixed(1))).toBe(30_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, opts, fixed(0))).toBe(15_000);
    expect(backoffDelay(1_000_000, { initialMs: 1, maxMs: Number.MAX_SAFE_INTEGER }, fixed(1))).toBe(2 ** 30);
  });

  it('treats a negative attempt as attempt 0', () => {
    expect(backoffDelay(-5, opts, fixed(1))).toBe(1000);
    expect(backoffDelay(-1, opts, fixed(0))).toBe(500);
  });

  it('clamps a random source outside [0, 1]', () => {
    expect(backoffDelay(0, opts, fixed(-3))).toBe(500);
    expect(backoffDelay(0, opts, fixed(7))).toBe(1000);
  });

  it('caps at maxMs even when initialMs is larger than maxMs', () => {
    expect(backoffDelay(0, { initialMs: 10_000, maxMs: 4000 }, fixed(1))).toBe(4000);
    expect(backoffDelay(0, { initialMs: 10_000, maxMs: 4000 }, fixed(0))).toBe(2000);
  });

  it('uses Math.random by default and stays within the step', () => {
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('property: the delay is always an integer within [step/2, step] and never above maxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10, max: 200 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, initialMs, maxMs, r) => {
          const step = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
          const d = backoffDelay(attempt, { initialMs, maxMs }, () => r);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(step / 2);
          expect(d).toBeLessThanOrEqual(step);
          expect(d).toBeLessThanOrEqual(maxMs);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: for a fixed random value the delay never decreases with the attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, initialMs, maxMs, r) => {
          const o = { initialMs, maxMs };
          expect(backoffDelay(attempt + 1, o, () => r)).toBeGreaterThanOrEqual(backoffDelay(attempt, o, () => r));
        },
      ),
    );
  });
});
