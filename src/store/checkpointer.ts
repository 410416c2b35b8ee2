/**
 * Starts and talks to the checkpoint thread (checkpoint-worker.ts). The gateway's connection
 * counts each commit into a shared Int32 and wakes the thread: no message per commit, and nothing
 * runs while the gateway is idle. The thread is unref'd: it never keeps the process alive.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  COMMIT_HOLD_MAX_MS,
  COMMIT_SLOT,
  CONTROL_SLOTS,
  HOLD_SLOT,
  STOP_SLOT,
  WRAPS_SLOT,
  type CheckpointWorkerData,
  type CheckpointWorkerMessage,
} from './checkpoint-protocol.js';
import type { CommitHold, WalTruncation } from './types.js';

/** What the thread is started with besides the file: test settings. */
export interface CheckpointerSettings {
  truncation?: WalTruncation;
  /** WAL frames past which a burst's WAL is wrapped (default WAL_WRAP_FRAMES). */
  wrapFrames?: number;
  /** Milliseconds, for the bound on a hold (default performance.now). */
  now?: () => number;
}

/** dist/store/checkpoint-worker.js beside this module, or the repository's dist/ when run from src/. */
export function checkpointWorkerFile(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'checkpoint-worker.js'), resolve(here, '..', '..', 'dist', 'store', 'checkpoint-worker.js')];
  return candidates.find((file) => existsSync(file));
}

export class Checkpointer implements CommitHold {
  private readonly control: Int32Array;
  private readonly now: () => number;
  /** When this thread first saw the hold that is set now (undefined: none seen). */
  private holdSeenAt: number | undefined;
  private readonly worker: Worker;
  private stopping = false;
  /** Settles when the thread has ended (stopped or failed). */
  readonly ended: Promise<void>;

  /**
   * `onFailure` is told once if the thread fails or ends unasked (the store then checkpoints on
   * its own connection again).
   */
  constructor(path: string, file: string, onFailure: (reason: string) => void, settings: CheckpointerSettings = {}) {
    const shared = new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.control = new Int32Array(shared);
    this.now = settings.now ?? (() => performance.now());
    const { truncation } = settings;
    const data: CheckpointWorkerData = {
      path,
      control: shared,
      ...(truncation ? { walSizeLimit: truncation.sizeLimit, truncateAfterQuietMs: truncation.quietMs } : {}),
      ...(settings.wrapFrames !== undefined ? { wrapFrames: settings.wrapFrames } : {}),
    };
    this.worker = new Worker(file, { workerData: data });
    this.worker.unref();
    let failed = false;
    const fail = (reason: string) => {
      // A thread that ended holding would otherwise hold until the bound, every time it is asked.
      Atomics.store(this.control, HOLD_SLOT, 0);
      if (failed || this.stopping) return;
      failed = true;
      onFailure(reason);
    };
    this.worker.on('message', (m: CheckpointWorkerMessage) => {
      if (m.type === 'failed') fail(m.error);
    });
    this.worker.on('error', (err) => fail(err.message));
    this.ended = new Promise<void>((done) => {
      this.worker.once('exit', (code) => {
        fail(`the checkpoint thread ended (exit code ${code})`);
        done();
      });
    });
  }

  /** After a commit of the gateway's connection. */
  committed(): void {
    Atomics.add(this.control, COMMIT_SLOT, 1);
    Atomics.notify(this.control, COMMIT_SLOT);
  }

  /**
   * True while the thread asks the deferrable commits to wait for a WAL wrap. A hold this thread
   * has seen for COMMIT_HOLD_MAX_MS is over, whatever the flag says.
   */
  held(): boolean {
    if (Atomics.load(this.control, HOLD_SLOT) === 0) {
      this.holdSeenAt = undefined;
      return false;
    }
    this.holdSeenAt ??= this.now();
    return this.now() - this.holdSeenAt < COMMIT_HOLD_MAX_MS;
  }

  /** Calls `fn` once the hold is over (cleared by the thread, or its bound passed); soon if there is none. */
  afterHold(fn: () => void): void {
    const left = this.held() ? COMMIT_HOLD_MAX_MS - (this.now() - (this.holdSeenAt ?? this.now())) : 0;
    const wait = left > 0 ? Atomics.waitAsync(this.control, HOLD_SLOT, 1, left) : undefined;
    if (wait?.async) void wait.value.then(() => fn());
    else queueMicrotask(fn);
  }

  /** WAL wraps the thread brought about so far. */
  get wraps(): number {
    return Atomics.load(this.control, WRAPS_SLOT);
  }

  /** Asks the thread to close its connection and end; does not wait (see `ended`). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    Atomics.store(this.control, STOP_SLOT, 1);
    Atomics.add(this.control, COMMIT_SLOT, 1);
    Atomics.notify(this.control, STOP_SLOT);
    Atomics.notify(this.control, COMMIT_SLOT);
  }
}
