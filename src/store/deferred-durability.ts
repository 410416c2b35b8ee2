/**
 * The gateway's way of making its commits durable without waiting on the disk in the event loop
 * (issue 15; docs/durability.md#deferred-durability):
 * - its connection commits with `synchronous = OFF` and never checkpoints (`wal_autocheckpoint = 0`);
 * - WalSync (wal-sync.ts) fsyncs the WAL on libuv's thread pool after commits, and `durable()`
 *   resolves once the commits so far are on disk;
 * - the checkpoint thread (checkpointer.ts) copies the WAL into the database with its own
 *   connection at `synchronous = FULL`;
 * - closing fsyncs the WAL synchronously and raises the connection to `synchronous = FULL`, so the
 *   checkpoint SQLite runs when the last connection closes syncs as it always did.
 * When the thread cannot run (no built worker file, or it failed), the connection goes back to
 * `synchronous = NORMAL` with SQLite's own checkpoints (each syncs the WAL first) and `durable()`
 * keeps working; `onProblem` says so once.
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import type { SqliteDatabase } from '../sqlite/index.js';
import { Checkpointer, checkpointWorkerFile } from './checkpointer.js';
import { WAL_SYNC_GAP_MS, WalSync } from './wal-sync.js';
import { WAL_SIZE_LIMIT_BYTES } from './checkpoint-protocol.js';
import type { CommitHold, WalTruncation } from './types.js';


export interface DeferredDurabilityOptions {
  /** Told once when the checkpoint thread is unavailable or failed (checkpoints then block the loop again). */
  onProblem?: (message: string) => void;
  /** The checkpoint worker's file; default: the built one (checkpointWorkerFile()). `null`: none. */
  workerFile?: string | null;
  /** fsyncs the WAL's descriptor (default fs.fsync; tests: a failing disk). */
  fsync?: (fd: number) => Promise<void>;
  /** When the checkpoint thread cuts a grown WAL back (default: checkpoint-protocol.ts). */
  walTruncate?: WalTruncation;
  /** Least time between two fsyncs nobody waits for (default WAL_SYNC_GAP_MS; 0: back to back). */
  walSyncGapMs?: number;
  /** WAL frames past which the checkpoint thread wraps a burst's WAL (default WAL_WRAP_FRAMES). */
  walWrapFrames?: number;
}

export type CheckpointMode = 'thread' | 'connection';

export class DeferredDurability implements CommitHold {
  private readonly wal: WalSync;
  private walFd: number | undefined;
  private checkpointer: Checkpointer | undefined;
  /** Settles when the checkpoint thread, if one was started, has ended (kept after a fallback drops it). */
  private threadEnd: Promise<void> = Promise.resolve();
  private mode: CheckpointMode = 'connection';
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    path: string,
    private readonly o: DeferredDurabilityOptions = {},
  ) {
    const walPath = `${path}-wal`;
    this.wal = new WalSync({
      commits: () => db.commitStats().commits,
      minGapMs: o.walSyncGapMs ?? WAL_SYNC_GAP_MS,
      sync: () =>
        new Promise<void>((resolve, reject) => {
          try {
            // Opened on first use: SQLite creates the WAL with the first write in WAL mode.
            this.walFd ??= openSync(walPath, 'r');
          } catch (err) {
            reject(err as Error);
            return;
          }
          if (o.fsync) o.fsync(this.walFd).then(resolve, reject);
          else fsync(this.walFd, (err) => (err ? reject(err) : resolve()));
        }),
    });
    const file = o.workerFile === undefined ? checkpointWorkerFile() : o.workerFile;
    if (file) {
      try {
        this.checkpointer = new Checkpointer(path, file, (reason) => this.checkpointOnConnection(`the checkpoint thread failed: ${reason}`), {
          ...(o.walTruncate ? { truncation: o.walTruncate } : {}),
          ...(o.walWrapFrames !== undefined ? { wrapFrames: o.walWrapFrames } : {}),
        });
        this.threadEnd = this.checkpointer.ended;
        db.pragma('wal_autocheckpoint = 0');
        db.pragma('synchronous = OFF');
        this.mode = 'thread';
      } catch (err) {
        this.checkpointOnConnection(`the checkpoint thread could not start: ${(err as Error).message}`);
      }
    } else {
      this.checkpointOnConnection('the checkpoint worker is not built (run `npm run build`)');
    }
    db.onCommit(() => {
      this.wal.request();
      this.checkpointer?.committed();
    });
  }

  /** Where checkpoints run now. */
  get checkpoints(): CheckpointMode {
    return this.mode;
  }

  /** The fsync error that stopped durability for good, if any. */
  get failed(): Error | undefined {
    return this.wal.failed;
  }

  /** True while the checkpoint thread asks the deferrable commits to wait (a WAL wrap). */
  held(): boolean {
    return this.checkpointer?.held() ?? false;
  }

  afterHold(fn: () => void): void {
    if (this.checkpointer) this.checkpointer.afterHold(fn);
    else queueMicrotask(fn);
  }

  /** WAL wraps the checkpoint thread brought about so far. */
  get wraps(): number {
    return this.checkpointer?.wraps ?? 0;
  }

  /** fsyncs of the WAL so far. */
  get syncs(): number {
    return this.wal.syncs;
  }

  /** Resolves once every commit made so far is on disk; rejects once an fsync has failed. */
  durable(): Promise<void> {
    return this.wal.durable();
  }

  /** Synchronous: the WAL on disk, the thread asked to stop, the connection back to FULL. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.onCommit(undefined);
    this.wal.stop();
    this.checkpointer?.stop();
    if (this.walFd !== undefined) {
      try {
        fsyncSync(this.walFd);
      } finally {
        closeSync(this.walFd);
        this.walFd = undefined;
      }
    }
    if (this.db.open) this.db.pragma('synchronous = FULL');
  }

  /** Settles once the checkpoint thread (stopped by close() or a fallback) has ended and closed its connection. */
  threadEnded(): Promise<void> {
    return this.threadEnd;
  }

  private checkpointOnConnection(reason: string): void {
    if (this.closed || !this.db.open) return;
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.mode = 'connection';
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('wal_autocheckpoint = 1000');
    // SQLite's own checkpoints now: the WAL is cut back to the limit once checkpointed (the thread did it before).
    this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    this.o.onProblem?.(`${reason}; the state database checkpoints on the gateway's thread (commits may block it for longer)`);
  }
}
