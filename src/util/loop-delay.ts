/**
 * The event loop's delay for status.json's `eventLoop` (docs/performance.md). Node's
 * monitorEventLoopDelay records the time between two firings of its sampling timer, so every
 * sample includes the sampling interval itself: an idle loop sampled every 10 ms reads p50 ≈ 10 ms.
 * The delay is what the loop added beyond that interval: each figure minus the resolution,
 * never below 0.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Sampled every 10 ms: fewer idle wakeups than finer resolutions. */
export const LOOP_DELAY_RESOLUTION_MS = 10;

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** What the figures are read from: a monitorEventLoopDelay histogram (values in ns). */
export interface DelayHistogram {
  percentile(p: number): number;
  readonly max: number;
  readonly count: number;
}

/** The delay beyond the sampling interval, in ms rounded to 0.01; zeros before the first sample. */
export function loopDelayOf(h: DelayHistogram, resolutionMs: number): LoopDelay {
  const ms = (ns: number) => (h.count === 0 ? 0 : Math.max(0, Math.round((ns / 1e6 - resolutionMs) * 100) / 100));
  return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
}

/** Starts sampling now; `read()` gives the delay since the start. */
export function startLoopDelay(resolutionMs = LOOP_DELAY_RESOLUTION_MS): { read(): LoopDelay } {
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  return { read: () => loopDelayOf(h, resolutionMs) };
}
