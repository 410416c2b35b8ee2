/** What the gateway's thread and the checkpoint thread (checkpoint-worker.ts) share. */

/** Index of the commit counter in the shared control array (the gateway adds 1 per commit). */
export const COMMIT_SLOT = 0;
/** Index of the stop flag (1: the worker closes its connection and ends). */
export const STOP_SLOT = 1;
/** How long the worker lets a burst's commits gather before it checkpoints. */
export const CHECKPOINT_PACE_MS = 100;

export interface CheckpointWorkerData {
  /** The database file. */
  path: string;
  /** A SharedArrayBuffer of two Int32 slots: COMMIT_SLOT and STOP_SLOT. */
  control: SharedArrayBuffer;
}

export type CheckpointWorkerMessage = { type: 'stopped' } | { type: 'failed'; error: string };
