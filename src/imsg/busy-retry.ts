/**
 * -32000 Server busy (imsg 0.14+, imsg-rpc-current.md §5.2): the request never ran, so it is safe to
 * send again after a pause (100 ms doubling to 1 s, with equal jitter). `server is shutting down`
 * is not retried: the child is going away and the account respawns it.
 */
export const BUSY_MAX_RETRIES = 6;

export function busyRetryDelay(attempt: number, data: string | undefined, random: () => number = Math.random): number | undefined {
  if (attempt >= BUSY_MAX_RETRIES) return undefined;
  if (data !== undefined && /shutting down/i.test(data)) return undefined;
  const ceiling = Math.min(1000, 100 * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
