/** Apple epoch (2001-01-01T00:00:00Z) helpers. chat.db stores nanoseconds since then. */
export const APPLE_EPOCH_MS = 978_307_200_000;

/** Unix milliseconds to Apple-epoch nanoseconds (exact, as a bigint for binding). */
export function appleNsFromMs(ms: number): bigint {
  return BigInt(Math.round(ms) - APPLE_EPOCH_MS) * 1_000_000n;
}

/**
 * Apple-epoch nanoseconds (number, bigint, or the decimal text a `CAST(date AS TEXT)` read gives;
 * NULL allowed) to Unix milliseconds.
 */
export function msFromAppleNs(ns: number | bigint | string | null | undefined): number {
  if (ns === null || ns === undefined) return APPLE_EPOCH_MS;
  if (typeof ns === 'string') return msFromAppleNs(/^-?\d+$/.test(ns) ? BigInt(ns) : Number(ns));
  if (typeof ns === 'bigint') return Number(ns / 1_000_000n) + APPLE_EPOCH_MS;
  return Math.floor(ns / 1e6) + APPLE_EPOCH_MS;
}

/** ISO-8601 UTC with exactly three fractional digits and `Z` (imsg's CLIISO8601.format). */
export function isoFromMs(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoFromAppleNs(ns: number | bigint | string | null | undefined): string {
  return isoFromMs(msFromAppleNs(ns));
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses the ISO-8601 forms imsg accepts (timezone required, fractional seconds optional).
 * Returns Unix milliseconds, or null when the text is not accepted.
 */
export function parseIso8601(text: string): number | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return null;
  }
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  if (frac) ms += Math.floor(Number(`0.${frac}`) * 1000);
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    ms -= sign * offset * 60_000;
  }
  return Number.isFinite(ms) ? ms : null;
}
