/** Durations in the config: "90s", "15m", "2h", "1d" (or a plain number of milliseconds). */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION_RULE = 'a duration such as "30s", "15m", "2h" or "1d"';

export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2]!.toLowerCase()] ?? NaN);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
