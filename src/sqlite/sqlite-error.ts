/**
 * Errors from `node:sqlite` carry `code: 'ERR_SQLITE_ERROR'`, the numeric extended result code
 * in `errcode` and SQLite's text in `errstr`. The store and the simulator reason about the
 * SQLite names (SQLITE_BUSY, SQLITE_FULL, ...); this module is the one place that translates.
 */

/** SQLite's primary result codes (https://sqlite.org/rescode.html), by number. */
const PRIMARY_NAMES: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

/** The primary code's number for a SQLite name such as SQLITE_BUSY or SQLITE_IOERR_WRITE. */
export function sqliteCodeNumber(name: string): number | undefined {
  const primary = name.split('_').slice(0, 2).join('_');
  for (const [n, known] of Object.entries(PRIMARY_NAMES)) if (known === primary) return Number(n);
  return undefined;
}

/** True for an error raised by SQLite itself (as opposed to an argument or programming error). */
export function isSqliteError(err: unknown): err is Error & { errcode: number; errstr?: string } {
  return (
    err instanceof Error &&
    (err as { code?: unknown }).code === 'ERR_SQLITE_ERROR' &&
    typeof (err as { errcode?: unknown }).errcode === 'number'
  );
}

/**
 * The SQLite name of the error's primary result code (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT),
 * or undefined when `err` did not come from SQLite.
 */
export function sqliteErrorName(err: unknown): string | undefined {
  if (!isSqliteError(err)) return undefined;
  return PRIMARY_NAMES[err.errcode & 0xff] ?? 'SQLITE_ERROR';
}
