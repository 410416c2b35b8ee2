/** What the gateway's thread and the checkpoint thread (checkpoint-worker.ts) share. */

/** Index of the commit counter in the shared control array (the gateway adds 1 per commit). */
export const COMMIT_SLOT = 0;
/** Index of the stop flag (1: the worker closes its connection and ends). */
export const STOP_SLOT = 1;
/**
 * Index of the hold flag: 1 while the worker asks the gateway's deferrable commits (the journal's
 * and the completions' group commits) to wait, so that one checkpoint can take in the whole WAL
 * and the next transaction writes it again from its start (a WAL wrap, below). The worker clears
 * it within COMMIT_HOLD_MAX_MS, and the gateway ignores a hold older than that.
 */
export const HOLD_SLOT = 2;
/** Index of the count of WAL wraps the worker brought about (tests, diagnostics). */
export const WRAPS_SLOT = 3;
/** Slots in the shared control array. */
export const CONTROL_SLOTS = 4;
/**
 * WAL frames (pages of 4 kB) past which the worker wraps the WAL during a burst. SQLite writes a
 * WAL from its start again only when a checkpoint has taken in all of it before a write begins;
 * under a steady stream of commits a checkpoint beside them never catches up, so without a wrap
 * the WAL grew through a whole burst (229 MB in 5 s in the throughput bench), every frame written
 * to a new page of the file: about twice the cost of writing over a page already there.
 */
export const WAL_WRAP_FRAMES = 4096;
/**
 * Before a wrap holds anything, the worker checkpoints without holding until a pass takes less
 * than this (each pass takes in what came during the one before): the hold then covers only a
 * short tail. At most WRAP_CATCH_UP_PASSES passes.
 */
export const WRAP_TAIL_MS = 5;
export const WRAP_CATCH_UP_PASSES = 4;
/** Longest a wrap holds the deferrable commits (both sides enforce it). */
export const COMMIT_HOLD_MAX_MS = 20;
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
  /** A SharedArrayBuffer of CONTROL_SLOTS Int32 slots (COMMIT_SLOT, STOP_SLOT, HOLD_SLOT, WRAPS_SLOT). */
  control: SharedArrayBuffer;
  /** WAL frames past which a burst's WAL is wrapped (default WAL_WRAP_FRAMES; tests set less). */
  wrapFrames?: number;
  /** WAL size past which a quiet gateway's WAL is truncated (default WAL_SIZE_LIMIT_BYTES; tests set less). */
  walSizeLimit?: number;
  /** Quiet time before that truncation (default TRUNCATE_AFTER_QUIET_MS). */
  truncateAfterQuietMs?: number;
}

export type CheckpointWorkerMessage = { type: 'stopped' } | { type: 'failed'; error: string };
