/** What the gateway's thread and the checkpoint thread (checkpoint-worker.ts) share. */

/** Index of the commit counter in the shared control array (the gateway adds 1 per commit). */
export const COMMIT_SLOT = 0;
/** Index of the stop flag (1: the worker closes its connection and ends). */
export const STOP_SLOT = 1;
/** How long the worker lets a burst's commits gather before it checkpoints. */
export const CHECKPOINT_PACE_MS = 100;
/**
 * After this long without a commit, a WAL file larger than WAL_SIZE_LIMIT_BYTES is truncated by
 * the worker (`wal_checkpoint(TRUNCATE)`). Never by the gateway's connection: truncating a WAL of
 * 100 MB or more blocked its thread for about 25 ms at the first commit after a burst.
 */
export const TRUNCATE_AFTER_QUIET_MS = 2000;
/** The WAL is cut back (to nothing) once it has grown past this and the gateway is quiet. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface CheckpointWorkerData {
  /** The database file. */
  path: string;
  /** A SharedArrayBuffer of two Int32 slots: COMMIT_SLOT and STOP_SLOT. */
  control: SharedArrayBuffer;
  /** WAL size past which a quiet gateway's WAL is truncated (default WAL_SIZE_LIMIT_BYTES; tests set less). */
  walSizeLimit?: number;
  /** Quiet time before that truncation (default TRUNCATE_AFTER_QUIET_MS). */
  truncateAfterQuietMs?: number;
}

export type CheckpointWorkerMessage = { type: 'stopped' } | { type: 'failed'; error: string };
