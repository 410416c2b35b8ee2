/**
 * Starts and talks to the checkpoint thread (checkpoint-worker.ts). The gateway's connection
 * counts each commit into a shared Int32 and wakes the thread: no message per commit, and nothing
 * runs while the gateway is idle. The thread is unref'd: it never keeps the process alive.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { COMMIT_SLOT, STOP_SLOT, type CheckpointWorkerData, type CheckpointWorkerMessage } from './checkpoint-protocol.js';
import type { WalTruncation } from './types.js';

/** dist/store/checkpoint-worker.js beside this module, or the repository's dist/ when run from src/. */
export function checkpointWorkerFile(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'checkpoint-worker.js'), resolve(here, '..', '..', 'dist', 'store', 'checkpoint-worker.js')];
  return candidates.find((file) => existsSync(file));
}

export class Checkpointer {
  private readonly control: Int32Array;
  private readonly worker: Worker;
  private stopping = false;
  /** Settles when the thread has ended (stopped or failed). */
  readonly ended: Promise<void>;

  /**
   * `onFailure` is told once if the thread fails or ends unasked (the store then checkpoints on
   * its own connection again).
   */
  constructor(path: string, file: string, onFailure: (reason: string) => void, truncation?: WalTruncation) {
    const shared = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    this.control = new Int32Array(shared);
    const data: CheckpointWorkerData = {
      path,
      control: shared,
      ...(truncation ? { walSizeLimit: truncation.sizeLimit, truncateAfterQuietMs: truncation.quietMs } : {}),
    };
    this.worker = new Worker(file, { workerData: data });
    this.worker.unref();
    let failed = false;
    const fail = (reason: string) => {
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
