import { describe, expect, it } from 'vitest';
import { loopDelayOf, type DelayHistogram } from '../../src/util/loop-delay.js';

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

  it('never negative (a timer that fired early), and zeros before the first sample', () => {
    expect(loopDelayOf(histogramOf([9.1, 9.5]), 10)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
    // An empty histogram reports max 0 and huge percentiles on some Node lines: ignored.
    expect(loopDelayOf({ percentile: () => 9.2e18, max: 0, count: 0 }, 10)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });
});
