/**
 * The event loop's delay for status.json's `eventLoop` (docs/performance.md). A sampling timer
 * fires every 10 ms and records the time between two firings, so every sample includes the
 * sampling interval itself: an idle loop sampled every 10 ms reads p50 ≈ 10 ms. The delay is what
 * the loop added beyond that interval: each figure minus the resolution, never below 0.
 *
 * A 10 ms timer wakes an idle process 100 times a second, which alone cost about 1% of a core here
 * (issue 15: 100 idle accounts must cost under 1% CPU). So the sampler only samples finely while
 * the loop works: after a second in which the loop was busy under 5% of the time, it looks only
 * every 250 ms, and counts the samples the fine timer would have taken in between as on time (an
 * idle loop's are: ≈ 0 delay), the last one as late as the look itself fired. The on-time samples
 * are counted, not recorded one by one (24 histogram records per look were a tenth of an idle
 * gateway's main thread): they sit at the bottom of the distribution, so a percentile of all
 * samples is 0 up to their share and the histogram's own percentile above it. A look that finds the
 * loop busy (over 5% of its window) goes back to fine sampling, and counts that window's work as
 * one late sample (at most what a fine sampler could have seen of it), so the start of a burst is
 * not lost.
 *
 * Only the loop's own work (its utilisation) switches modes, never a late timer alone: a loop that
 * blocks is busy for that long, while a timer that fires late from a quiet loop was late because
 * the process was not scheduled (a loaded machine). Such lateness is still recorded, but it used to
 * send an idle gateway on a loaded machine back to fine sampling second after second (about 20
 * wakeups a second instead of 4).
 */
import { createHistogram, performance } from 'node:perf_hooks';
import type { Clock } from './clock.js';

/** Sampled every 10 ms while busy: fewer wakeups than finer resolutions. */
export const LOOP_DELAY_RESOLUTION_MS = 10;
/**
 * While the loop is quiet it is looked at this often (4 wakeups a second instead of 100). Not
 * longer: the look that finds the loop busy counts its whole window's work as one late sample, and
 * the fine samples of a burst's first window are lost (scenario 2's event-loop p99 is judged on a
 * burst of a few seconds).
 */
export const LOOP_DELAY_IDLE_CHECK_MS = 250;
/** Fine sampling stops after this long quiet. */
export const LOOP_DELAY_QUIET_MS = 1000;
/** The share of a window the loop may work and still be quiet. */
export const LOOP_DELAY_BUSY_SHARE = 0.05;

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What the figures are read from: a histogram of the sampling intervals (values in ns). */
export interface DelayHistogram {
  percentile(p: number): number;
  readonly max: number;
  readonly count: number;
}

/**
 * The delay beyond the sampling interval, in ms rounded to 0.01; zeros before the first sample.
 * `onTime`: samples of exactly the interval (no delay) counted beside the histogram.
 */
export function loopDelayOf(h: DelayHistogram, resolutionMs: number, onTime = 0): LoopDelay {
  const ms = (ns: number) => (h.count === 0 ? 0 : Math.max(0, Math.round((ns / 1e6 - resolutionMs) * 100) / 100));
  const total = h.count + onTime;
  const at = (p: number) => {
    const rank = (p / 100) * total;
    return rank <= onTime ? 0 : ms(h.percentile(Math.min(100, ((rank - onTime) / h.count) * 100)));
  };
  return { p50Ms: at(50), p99Ms: at(99), maxMs: ms(h.max) };
}

export interface LoopDelayOptions {
  resolutionMs?: number;
  /** `now` in ms with sub-ms precision (default: performance.now and unref'd timers). */
  clock?: Clock;
  /** The share (0–1) of the time since the previous call the loop was busy (default: eventLoopUtilization). */
  busyShare?: () => number;
}

export interface LoopDelaySampler {
  /** The delay since the start. */
  read(): LoopDelay;
  /** 'fine' while sampling every resolution, 'coarse' while the loop is quiet. */
  readonly mode: 'fine' | 'coarse';
  /** Samples recorded so far (fine ones and those counted for quiet windows). */
  readonly samples: number;
  stop(): void;
}

const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function utilizationSince(): () => number {
  let previous = performance.eventLoopUtilization();
  return () => {
    const current = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(current, previous).utilization;
    previous = current;
    return share;
  };
}

/** Starts sampling now. */
export function startLoopDelay(o: LoopDelayOptions = {}): LoopDelaySampler {
  const resolution = o.resolutionMs ?? LOOP_DELAY_RESOLUTION_MS;
  const clock = o.clock ?? realClock;
  const busyShare = o.busyShare ?? utilizationSince();
  const h = createHistogram();
  let onTime = 0;
  const record = (ms: number) => h.record(Math.max(1, Math.round(ms * 1e6)));
  let mode: 'fine' | 'coarse' = 'fine';
  let last = clock.now();
  // The fine span judged for quiet: since when.
  let spanStart = last;
  let timer: unknown;
  let stopped = false;

  const fire = () => {
    const now = clock.now();
    const elapsed = now - last;
    last = now;
    const period = mode === 'fine' ? resolution : LOOP_DELAY_IDLE_CHECK_MS;
    const late = Math.max(0, elapsed - period);
    if (mode === 'fine') {
      record(elapsed);
      if (now - spanStart >= LOOP_DELAY_QUIET_MS) {
        // busyShare() covers the span since the last call: this whole fine span.
        if (busyShare() < LOOP_DELAY_BUSY_SHARE) mode = 'coarse';
        spanStart = now;
      }
    } else {
      const share = busyShare();
      const busy = share >= LOOP_DELAY_BUSY_SHARE;
      onTime += Math.max(0, Math.round(elapsed / resolution) - 1);
      record(resolution + (busy ? Math.max(late, share * elapsed) : late));
      if (busy) {
        mode = 'fine';
        spanStart = now;
      }
    }
    if (!stopped) timer = clock.setTimeout(fire, mode === 'fine' ? resolution : LOOP_DELAY_IDLE_CHECK_MS);
  };
  timer = clock.setTimeout(fire, resolution);

  return {
    read: () => loopDelayOf(h, resolution, onTime),
    get mode() {
      return mode;
    },
    get samples() {
      return h.count + onTime;
    },
    stop: () => {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
