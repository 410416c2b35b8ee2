/**
 * One gateway per home: two supervisors reading the same Messages source would answer every
 * message twice. The lock file holds the owner's pid; a lock whose pid is gone is stale and taken over.
 */
import { openSync, closeSync, writeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readTextIfExists } from '../util/private-file.js';

export class GatewayLockedError extends Error {
  constructor(
    readonly pid: number,
    readonly path: string,
  ) {
    super(`another gateway (pid ${pid}) is already running with this home (${path}); stop it first, or use another IMESSAGE_GATEWAY_HOME`);
    this.name = 'GatewayLockedError';
  }
}

export function lockPath(home: string): string {
  return join(home, 'gateway.lock');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live gateway holding the lock, if any. */
export function lockOwner(home: string): number | undefined {
  const text = readTextIfExists(lockPath(home));
  const pid = text ? Number.parseInt(text.trim(), 10) : NaN;
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export function acquireLock(home: string): () => void {
  const path = lockPath(home);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (lockOwner(home) === process.pid) unlinkSync(path);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockOwner(home);
      if (owner !== undefined && owner !== process.pid) throw new GatewayLockedError(owner, path);
      unlinkSync(path); // stale: its owner is gone
    }
  }
  throw new Error(`could not take the gateway lock ${path}`);
}
