/**
 * Loads Node's built-in `node:sqlite` once. Node 22 prints "ExperimentalWarning: SQLite is an
 * experimental feature" when the module is first loaded; that one warning (and no other) is
 * dropped while the module loads. Every other warning, including other ExperimentalWarnings and
 * later SQLite ones, still reaches the process as usual.
 */
import type * as NodeSqlite from 'node:sqlite';

let loaded: typeof NodeSqlite | undefined;

/** True for the warning Node 22 emits when `node:sqlite` is loaded. */
export function isSqliteExperimentalWarning(warning: unknown, type?: unknown): boolean {
  const name = typeof type === 'string' ? type : warning instanceof Error ? warning.name : undefined;
  const message = warning instanceof Error ? warning.message : String(warning);
  return name === 'ExperimentalWarning' && /^SQLite is an experimental feature/.test(message);
}

export function nodeSqlite(): typeof NodeSqlite {
  if (loaded) return loaded;
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const first = rest[0];
    const type = typeof first === 'string' ? first : (first as { type?: unknown } | undefined)?.type;
    if (isSqliteExperimentalWarning(warning, type)) return;
    (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule('node:sqlite') as typeof NodeSqlite;
  } finally {
    if (process.emitWarning === filtered) process.emitWarning = original;
  }
  return loaded;
}
