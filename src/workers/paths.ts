/** Path helpers shared by ingestion, remote fetches and staging. */
import { homedir } from 'node:os';
import { resolve, sep } from 'node:path';

/** `~` and `~/x` become the home directory (`~user` is left alone). */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}${path.slice(1)}`;
  return path;
}

/** Absolute, normalised, `~` expanded. */
export function absolutePath(path: string): string {
  return resolve(expandHome(path));
}

/** True when `path` lies strictly inside `root` (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  if (path === root) return false;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return path.startsWith(prefix);
}
