/**
 * A clock whose timer callbacks cannot throw into the process: an exception in one account's
 * timer (outbox, journal retry, liveness) goes to that account's `onError` (the supervisor restarts
 * the account) instead of reaching `uncaughtException` and stopping every account.
 */
import type { Clock } from '../util/clock.js';

export function guardedClock(clock: Clock, onError: (err: unknown) => void): Clock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) =>
      clock.setTimeout(() => {
        try {
          fn();
        } catch (err) {
          onError(err);
        }
      }, ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
  };
}
