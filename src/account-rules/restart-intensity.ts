/**
 * Restart intensity, OTP style: at most `maxRestarts` restarts within a sliding window of
 * `windowMs`. Past it, the account cools down for a long while instead of restarting in a loop.
 */
export interface IntensityOptions {
  maxRestarts: number;
  windowMs: number;
}

/** Adds a restart at `now` and forgets the ones that left the window. */
export function recordRestart(times: readonly number[], now: number, windowMs: number): number[] {
  return [...times.filter((t) => now - t < windowMs), now];
}

export function intensityExceeded(times: readonly number[], now: number, options: IntensityOptions): boolean {
  return times.filter((t) => now - t < options.windowMs).length > options.maxRestarts;
}
