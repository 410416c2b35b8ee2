/**
 * The control API's bearer token: 32 random bytes, hex, in `<home>/control-token` (mode 0600, the
 * home 0700). Reused across restarts so a dashboard tab and the CLI keep working; replaced when the
 * file is missing, malformed, not a regular file, or readable by group/others (it may have leaked).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../util/private-file.js';

export const CONTROL_TOKEN_FILE = 'control-token';
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export function controlTokenPath(home: string): string {
  return join(home, CONTROL_TOKEN_FILE);
}

/** The token in the home, or undefined when there is no valid one (the CLI's view). */
export function readControlToken(home: string): string | undefined {
  const path = controlTokenPath(home);
  try {
    const stat = lstatSync(path);
    if (!stat.isFile()) return undefined;
    const token = readFileSync(path, 'utf8').trim();
    return TOKEN_PATTERN.test(token) ? token : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Returns the home's token, creating (or replacing an unusable) one first. */
export function ensureControlToken(home: string): string {
  ensurePrivateDir(home);
  const path = controlTokenPath(home);
  let reusable = false;
  try {
    const stat = lstatSync(path);
    reusable = stat.isFile() && (stat.mode & 0o077) === 0 && (typeof process.getuid !== 'function' || stat.uid === process.getuid());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (reusable) {
    const token = readControlToken(home);
    if (token) return token;
  }
  const token = randomBytes(32).toString('hex');
  writePrivateFile(path, `${token}\n`);
  return token;
}

/** Constant-time comparison; a candidate of another length is a mismatch, never a throw. */
export function tokenMatches(expected: string, candidate: string | undefined): boolean {
  if (typeof candidate !== 'string') return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(candidate, 'utf8');
  if (a.length !== b.length) {
    // Still spend a comparison so the length check does not stand out in timing.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
