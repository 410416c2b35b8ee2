/**
 * Issue 11, item 7 (the parts one process can show): the home's lock is SQLite's file lock on an
 * empty database that is never written nor deleted; the pid beside it is information only. The
 * race between processes and kill -9 are in test/e2e/gateway-lock.e2e.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireLock,
  acquireLockAfterDirectWrites,
  directWritePidPath,
  GatewayLockedError,
  holdForDirectWrite,
  lockOwner,
  lockPath,
  lockState,
  pidPath,
} from '../../src/supervisor/gateway-lock.js';
import { tempDir } from '../helpers/sim-db.js';

const homes: string[] = [];
const releases: Array<() => void> = [];
function home(): string {
  const h = tempDir('gw-lock-');
  homes.push(h);
  return h;
}
function take(h: string): () => void {
  const release = acquireLock(h, 0);
  releases.push(release);
  return release;
}
afterEach(() => {
  for (const r of releases.splice(0)) r();
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

describe('gateway lock', () => {
  it('a free home: no lock file, nobody holds it', () => {
    const h = home();
    expect(lockState(h)).toEqual({ held: false, pid: undefined });
    expect(lockOwner(h)).toBeUndefined();
  });

  it('taking it creates an empty 0600 lock file, records the pid, and the lock answers held', () => {
    const h = home();
    take(h);
    const st = statSync(lockPath(h));
    expect(st.size).toBe(0);
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(pidPath(h)).mode & 0o777).toBe(0o600);
    expect(readFileSync(pidPath(h), 'utf8').trim()).toBe(String(process.pid));
    expect(lockState(h)).toEqual({ held: true, pid: process.pid });
    expect(lockOwner(h)).toBe(process.pid);
  });

  it('a second taker is refused with the holder pid, the home and the fix', () => {
    const h = home();
    take(h);
    let caught: unknown;
    try {
      take(h);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayLockedError);
    const e = caught as GatewayLockedError;
    expect(e.pid).toBe(process.pid);
    expect(e.home).toBe(h);
    expect(e.message).toContain(`pid ${process.pid}`);
    expect(e.message).toContain(h);
    expect(e.remediation).toContain('IMESSAGE_GATEWAY_HOME');
  });

  it('release frees it, removes the pid file and keeps the lock file (never unlinked)', () => {
    const h = home();
    const release = take(h);
    release();
    expect(lockState(h)).toEqual({ held: false, pid: undefined });
    expect(existsSync(pidPath(h))).toBe(false);
    expect(existsSync(lockPath(h))).toBe(true);
    take(h); // and it can be taken again
    expect(lockOwner(h)).toBe(process.pid);
  });

  it('a pid file naming a live process does not make the home held: only the lock does', () => {
    const h = home();
    writeFileSync(pidPath(h), '1\n');
    writeFileSync(lockPath(h), '');
    expect(lockState(h).held).toBe(false);
    take(h);
    expect(lockOwner(h)).toBe(process.pid);
  });

  it("an older release's pid lock (naming a live process) is emptied in place and taken", () => {
    const h = home();
    writeFileSync(lockPath(h), `${process.pid}\n`);
    expect(lockState(h).held).toBe(false);
    take(h);
    expect(statSync(lockPath(h)).size).toBe(0);
    expect(lockOwner(h)).toBe(process.pid);
  });

  it('a lock file with other content is refused, never overwritten', () => {
    const h = home();
    writeFileSync(lockPath(h), 'not a lock, keep me '.repeat(10));
    expect(() => take(h)).toThrow(/neither the gateway's lock nor a pid file.*move it aside/);
    expect(readFileSync(lockPath(h), 'utf8')).toContain('keep me');
  });

  it('a start refused by a holder that records its pid late (a slow start on a loaded machine) still names it', async () => {
    const h = home();
    take(h)(); // the lock file exists, nobody holds it
    // Another process takes the lock and writes its pid 2.5 s later (CI once saw over a second).
    const script = `
      const { DatabaseSync } = require('node:sqlite');
      const db = new DatabaseSync(${JSON.stringify(lockPath(h))});
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('held\\n');
      setTimeout(() => require('node:fs').writeFileSync(${JSON.stringify(pidPath(h))}, process.pid + '\\n'), 2500);
      setTimeout(() => {}, 30000);`;
    const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited (${code})`)));
      });
      let refused: unknown;
      try {
        acquireLock(h); // waits 1 s for the lock, then for the holder's pid
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(GatewayLockedError);
      expect((refused as GatewayLockedError).pid).toBe(holder.pid);
      expect((refused as Error).message).toContain(`another gateway (pid ${holder.pid})`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a CLI direct write holds the lock, names itself in direct-write.pid, and lets go', () => {
    const h = home();
    const release = holdForDirectWrite(h);
    expect(release).toBeDefined();
    releases.push(release!);
    expect(readFileSync(directWritePidPath(h), 'utf8').trim()).toBe(String(process.pid));
    expect(holdForDirectWrite(h)).toBeUndefined(); // a second writer goes to the API instead
    expect(() => acquireLock(h, 0)).toThrow(GatewayLockedError);
    release!();
    expect(existsSync(directWritePidPath(h))).toBe(false);
    expect(lockState(h)).toEqual({ held: false, pid: undefined });
    take(h);
    expect(holdForDirectWrite(h)).toBeUndefined(); // a gateway holds it
  });

  it('a starting gateway waits for a live direct writer, once told, and takes the lock when it ends', async () => {
    const h = home();
    const writerLock = acquireLock(h, 0); // stands in for the CLI's hold (another process's in real life)
    writeFileSync(directWritePidPath(h), `${process.ppid}\n`); // a live process that is not this one
    const waits: number[] = [];
    let pauses = 0;
    const release = await acquireLockAfterDirectWrites(h, {
      onWait: (pid) => waits.push(pid),
      pause: async () => {
        if (++pauses === 2) writerLock(); // the write ends
      },
    });
    releases.push(release);
    expect(waits).toEqual([process.ppid]);
    expect(lockOwner(h)).toBe(process.pid);
  });

  it('a lock held by a gateway (no live direct writer) is refused without waiting for a writer; a writer past the limit too', async () => {
    const h = home();
    const other = acquireLock(h, 0);
    releases.push(other);
    await expect(acquireLockAfterDirectWrites(h, { pause: async () => undefined })).rejects.toThrow(GatewayLockedError);
    writeFileSync(directWritePidPath(h), `${process.ppid}\n`);
    let t = 0;
    await expect(acquireLockAfterDirectWrites(h, { now: () => (t += 20_000), pause: async () => undefined })).rejects.toThrow(GatewayLockedError);
  });
});
