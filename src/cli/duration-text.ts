/** Durations the way people read them in a terminal: "3m 12s ago", "in 40s", "2h 5m", "3d 4h". */

const UNITS: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A length of time in its two largest units ("3m 12s", "2h", "0s"); milliseconds under a second round down to 0s, never "-". */
export function durationText(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      const n = Math.floor(rest / size);
      rest -= n * size;
      if (n > 0 || parts.length === 0) parts.push(`${n}${unit}`);
    } else if (parts.length > 0) {
      break;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/**
 * How far an ISO timestamp lies from `now`: "3m 12s ago" for the past, "in 40s" for the future,
 * "now" within a second; the raw text back when it is not a timestamp.
 */
export function relativeTime(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const delta = at - now;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${durationText(delta)}` : `${durationText(-delta)} ago`;
}
