/**
 * One gateway per home: two supervisors reading the same Messages source would answer every
 * message twice.
 *
 * The lock is SQLite's own file lock (POSIX advisory `fcntl` locks, which the kernel drops when
 * the process dies, however it dies) on `<home>/gateway.lock`, an empty SQLite database:
 * the gateway opens it with `locking_mode = EXCLUSIVE` and holds `BEGIN EXCLUSIVE` for its whole
 * life. Nothing is ever written into it, so it stays 0 bytes, and it is never deleted (deleting a
 * locked file would let a third process lock a new file of the same name). A file left by a dead
 * process is therefore never stale: its lock died with the process.
 *
 * `<home>/gateway.pid` holds the holder's pid, only as information (messages, `status`); whether
 * a gateway runs is always asked of the lock.
 *
 * The CLI takes the same lock, briefly, while it writes a stopped gateway's files directly (a
 * `send` into the outbox, a pairing approval, a dead letter queued again: `holdForDirectWrite`),
 * and records its pid in `<home>/direct-write.pid` meanwhile. A gateway starting then waits for
 * that write to end (`acquireLockAfterDirectWrites`) instead of starting, draining an empty outbox
 * and missing the row committed a moment later; a CLI that finds the lock held goes to the
 * running gateway's control API instead.
 *
 * POSIX locks belong to a process: closing ANY descriptor of the lock file in the holding process
 * would drop them. SQLite knows this and defers its own closes; code in the gateway process must
 * never open the lock file with `node:fs` once the lock is held.
 */
import { closeSync, openSync, readSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteDatabase, sqliteErrorName } from '../sqlite/index.js';
import { ensurePrivateDir, readTextIfExists, writePrivateFile } from '../util/private-file.js';
import { processAlive } from '../util/process-alive.js';
import type { TypedError } from '../util/typed-error.js';

/** How long a start waits for the lock: long enough to outlast a `status` probe, short for a real holder. */
export const LOCK_WAIT_MS = 1000;

/** Another gateway holds this home: this one does not start (`fatal`); the message names the holder. */
export class GatewayLockedError extends Error implements TypedError {
  readonly kind = 'gateway-locked';
  readonly recovery = 'fatal';
  readonly remediation: string;
  constructor(
    /** The holder's pid as it recorded it, when known. */
    readonly pid: number | undefined,
    readonly path: string,
    readonly home: string,
  ) {
    super(
      `another gateway (${pid !== undefined ? `pid ${pid}` : 'pid not recorded yet'}) is already running with the home ${home} ` +
        `(it holds the lock ${path}).`,
    );
    this.name = 'GatewayLockedError';
    this.remediation =
      `stop it first (\`imessage-gateway status\` shows it; SIGTERM stops it, or stop the service that runs it), ` +
      `or give this one another home with IMESSAGE_GATEWAY_HOME.`;
  }
}

export function lockPath(home: string): string {
  return join(home, 'gateway.lock');
}

export function pidPath(home: string): string {
  return join(home, 'gateway.pid');
}

export function directWritePidPath(home: string): string {
  return join(home, 'direct-write.pid');
}

/** How long a starting gateway waits for CLI direct writes to end before it gives up. */
export const DIRECT_WRITE_WAIT_MS = 30_000;

export interface LockState {
  /** True while a live process holds the lock. */
  held: boolean;
  /** The pid the holder recorded (undefined when the lock is free or the pid is not written yet). */
  pid: number | undefined;
  /** Held by a CLI writing a stopped gateway's files (its pid), not by a gateway. */
  directWriter?: number;
}

/** Asks the lock itself (a shared-lock probe that fails while a gateway holds it exclusively). */
export function lockState(home: string): LockState {
  const path = lockPath(home);
  if (!isHeld(path)) return { held: false, pid: undefined };
  const writer = directWriter(home);
  return { held: true, pid: recordedPid(home), ...(writer !== undefined ? { directWriter: writer } : {}) };
}

/**
 * For the CLI, when no gateway runs: takes the home's lock for one direct write, or answers
 * undefined at once when the lock is held (a gateway runs, or another CLI is writing). The
 * release must be called when the write is committed (process death releases it too).
 */
export function holdForDirectWrite(home: string): (() => void) | undefined {
  ensurePrivateDir(home);
  const path = lockPath(home);
  prepareLockFile(path);
  const db = new SqliteDatabase(path, { fileMustExist: true, timeout: 0 });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if (isBusy(err)) return undefined;
    throw err;
  }
  writePrivateFile(directWritePidPath(home), `${process.pid}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      if (readPid(directWritePidPath(home)) === process.pid) unlinkSync(directWritePidPath(home));
    } catch {
      // information only
    } finally {
      db.close();
    }
  };
}

/**
 * `acquireLock` for a starting gateway: while a CLI holds the lock for a direct write (a live pid
 * in direct-write.pid), it waits for that write to end (up to `maxWaitMs`, telling `onWait` once)
 * rather than failing. A lock held by another gateway is a GatewayLockedError as before.
 */
export async function acquireLockAfterDirectWrites(
  home: string,
  opts: { onWait?: (writerPid: number) => void; pause?: (ms: number) => Promise<void>; now?: () => number; maxWaitMs?: number } = {},
): Promise<() => void> {
  const now = opts.now ?? Date.now;
  const pause = opts.pause ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (opts.maxWaitMs ?? DIRECT_WRITE_WAIT_MS);
  let told = false;
  for (;;) {
    try {
      return acquireLock(home);
    } catch (err) {
      if (!(err instanceof GatewayLockedError)) throw err;
      const writer = directWriter(home);
      if (writer === undefined || now() >= deadline) throw err;
      if (!told) opts.onWait?.(writer);
      told = true;
      await pause(50);
    }
  }
}

/** The live CLI recorded as writing the home's files directly, if any. */
function directWriter(home: string): number | undefined {
  const pid = readPid(directWritePidPath(home));
  if (pid === undefined || pid === process.pid) return undefined;
  return processAlive(pid) ? pid : undefined;
}

/** The pid of the live gateway holding the lock, if any. */
export function lockOwner(home: string): number | undefined {
  const state = lockState(home);
  return state.held ? state.pid : undefined;
}

/**
 * Takes the home's lock for the life of this process, or throws GatewayLockedError naming the
 * holder. Returns the release (also implied by process death).
 */
export function acquireLock(home: string, waitMs: number = LOCK_WAIT_MS): () => void {
  const path = lockPath(home);
  prepareLockFile(path);
  const db = new SqliteDatabase(path, { fileMustExist: true, timeout: waitMs });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    // A caller that does not wait for the lock does not wait for the holder's pid either.
    if (isBusy(err)) throw new GatewayLockedError(holderPid(home, waitMs > 0 ? PID_WAIT_MS : 0), path, home);
    throw err;
  }
  writePrivateFile(pidPath(home), `${process.pid}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      if (recordedPid(home) === process.pid) unlinkSync(pidPath(home));
    } catch {
      // the pid file is information only
    } finally {
      db.close(); // ends the transaction and drops the lock; the file stays
    }
  };
}

/**
 * The pid the holder recorded. Two starts at the same instant: SQLite may refuse the loser at once
 * (it does not wait when waiting could deadlock), before the winner has even taken the lock: give
 * the winner up to `waitMs` (PID_WAIT_MS) to take it and write its pid (a starting process on a loaded
 * machine took over a second). A CLI holding the lock for a direct write records its pid
 * elsewhere: no wait then (acquireLockAfterDirectWrites waits for that write instead).
 */
function holderPid(home: string, waitMs: number): number | undefined {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const pid = recordedPid(home);
    if (pid !== undefined && pid !== process.pid) return pid;
    if (Date.now() >= deadline || directWriter(home) !== undefined) return pid;
    Atomics.wait(PAUSE, 0, 0, PID_POLL_MS);
  }
}

const PID_POLL_MS = 20;
/** How long a refused start waits for the holder's pid, to name it. */
const PID_WAIT_MS = 5000;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function recordedPid(home: string): number | undefined {
  return readPid(pidPath(home));
}

function readPid(path: string): number | undefined {
  const text = readTextIfExists(path);
  const pid = text ? Number.parseInt(text.trim(), 10) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isHeld(path: string): boolean {
  let db: SqliteDatabase;
  try {
    db = new SqliteDatabase(path, { readonly: true, fileMustExist: true, timeout: 0 });
  } catch (err) {
    if (sqliteErrorName(err) === 'SQLITE_CANTOPEN' || (err as { code?: unknown }).code === 'SQLITE_CANTOPEN') return false;
    throw err;
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return false;
  } catch (err) {
    if (isBusy(err)) return true;
    if (sqliteErrorName(err) === 'SQLITE_NOTADB') return false; // a pid file of an older release: no lock in it
    throw err;
  } finally {
    db.close();
  }
}

function isBusy(err: unknown): boolean {
  const name = sqliteErrorName(err);
  return name === 'SQLITE_BUSY' || name === 'SQLITE_LOCKED';
}

const SQLITE_MAGIC = 'SQLite format 3\0';
const LEGACY_MAX_BYTES = 32;

/**
 * Creates the lock file (0600) if missing. Releases before this one kept a pid in it as text:
 * such a file (digits only) is emptied in place, never unlinked. Anything else that is not a
 * SQLite database is refused rather than overwritten.
 */
function prepareLockFile(path: string): void {
  const fd = openSync(path, 'a+', 0o600);
  let head = '';
  let size = 0;
  try {
    size = statSync(path).size;
    if (size > 0) {
      const buf = Buffer.alloc(Math.min(size, LEGACY_MAX_BYTES));
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('latin1');
    }
  } finally {
    closeSync(fd); // no lock is held yet in this process, so closing drops nothing
  }
  if (size === 0 || head.startsWith(SQLITE_MAGIC)) return;
  if (size <= LEGACY_MAX_BYTES && /^\s*\d+\s*$/.test(head)) {
    truncateSync(path, 0);
    return;
  }
  throw new Error(
    `${path} is neither the gateway's lock nor a pid file of an older release; move it aside (mv ${path} ${path}.old) and start again`,
  );
}
