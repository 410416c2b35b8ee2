/**
 * How long an account whose machinery threw waits before it is started again: a pure decision
 * for the gateway's root actor (gateway-machine.ts), which schedules the restart as a delayed
 * event. Crashes closer together than stableAfterMs + backoffMaxMs count as one run of failures
 * and double the wait each time, up to backoffMaxMs; a crash after a quiet spell starts over.
 */
export interface CrashBackoffSettings {
  backoffInitialMs: number;
  backoffMaxMs: number;
  stableAfterMs: number;
}

export interface CrashRecord {
  /** Internal-error restarts in the current run of failures (1 for the first). */
  count: number;
  /** When the last one happened (clock ms). */
  lastAt: number;
  /** The error, as its class and message, when known. */
  error?: string;
}

export function nextCrash(prev: CrashRecord | undefined, now: number, s: CrashBackoffSettings, error?: string): { record: CrashRecord; delayMs: number } {
  const count = prev && now - prev.lastAt < s.stableAfterMs + s.backoffMaxMs ? prev.count + 1 : 1;
  const delayMs = Math.min(s.backoffInitialMs * 2 ** (count - 1), s.backoffMaxMs);
  return { record: { count, lastAt: now, ...(error !== undefined ? { error } : {}) }, delayMs };
}
