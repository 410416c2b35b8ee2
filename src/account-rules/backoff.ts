/**
 * Exponential backoff with jitter: attempt 0 waits about initialMs, each further attempt doubles,
 * capped at maxMs. "Equal jitter": half of the step is fixed, half random, so restarts of many
 * accounts spread out while no wait is ever shorter than half its step.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(attempt, 0), 30);
  const step = Math.min(options.maxMs, options.initialMs * 2 ** exp);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(step / 2 + (step / 2) * r);
}
