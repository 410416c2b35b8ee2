/**
 * The state database's checkpoints, on a thread of their own (checkpointer.ts starts it). The
 * gateway's connection never checkpoints (`wal_autocheckpoint = 0`): copying WAL frames into the
 * database and the fsyncs around it took up to tens of milliseconds on the event loop. This
 * thread's own connection runs `PRAGMA wal_checkpoint(PASSIVE)` (it never waits for or blocks the
 * writer) with `synchronous = FULL`, so the WAL is on disk before any frame is copied and the
 * database after.
 *
 * It sleeps in Atomics.wait until the gateway counts a commit in the shared control array, lets
 * a burst's commits gather for PACE_MS, checkpoints, and waits again. Idle, it costs nothing.
 *
 * SQLite writes the WAL from its start again only when a checkpoint has taken in all of it before
 * a write begins, which a checkpoint beside a steady stream of commits never does: a burst grew
 * the WAL by every frame it wrote, each onto a new page of the file. Once the WAL holds
 * `wrapFrames` frames, the worker wraps it: it asks the gateway to hold its deferrable commits
 * (HOLD_SLOT), checkpoints what came since its last checkpoint, and lets go; the gateway's next
 * write then starts the WAL from its start, over pages the file already has.
 *
 * The WAL file keeps the size a burst gave it (SQLite reuses it from the start). Once the gateway
 * has been quiet for TRUNCATE_AFTER_QUIET_MS and the file is past the limit, this thread runs
 * `wal_checkpoint(TRUNCATE)`, which cuts it to nothing. That checkpoint holds the writer lock for
 * its few milliseconds, so it is kept for a quiet moment; the gateway's own connection has no
 * `journal_size_limit`, because it would truncate at its first commit after a burst, on its thread.
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { nodeSqlite } from '../sqlite/load-node-sqlite.js';
import {
  CHECKPOINT_PACE_MS,
  COMMIT_HOLD_MAX_MS,
  COMMIT_SLOT,
  HOLD_SLOT,
  STOP_SLOT,
  WAL_WRAP_FRAMES,
  WRAP_CATCH_UP_PASSES,
  WRAP_TAIL_MS,
  WRAPS_SLOT,
  TRUNCATE_AFTER_QUIET_MS,
  WAL_SIZE_LIMIT_BYTES,
  type CheckpointWorkerData,
} from './checkpoint-protocol.js';

const data = workerData as CheckpointWorkerData;
const control = new Int32Array(data.control);

/** The WAL file's size now (0 when there is none). */
function walSize(): number {
  try {
    return statSync(`${data.path}-wal`).size;
  } catch {
    return 0;
  }
}

/** A row of `PRAGMA wal_checkpoint`: frames in the WAL, frames now in the database. */
interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

interface CheckpointStatement {
  get(): unknown;
}

/** Runs the checkpoint: what it left (a row of zeros when SQLite gives none). */
function checkpointed(checkpoint: CheckpointStatement): CheckpointRow {
  const row = checkpoint.get() as Partial<CheckpointRow> | undefined;
  return { busy: Number(row?.busy ?? 0), log: Number(row?.log ?? 0), checkpointed: Number(row?.checkpointed ?? 0) };
}

/**
 * Holds the gateway's deferrable commits and checkpoints until the whole WAL is in the database
 * (or COMMIT_HOLD_MAX_MS has passed): with no write begun in between, the gateway's next
 * transaction writes the WAL from its start. A commit the hold does not defer (a send's state, a
 * command) or another process's reader only makes this try fail; the next checkpoint tries again.
 */
function wrap(checkpoint: CheckpointStatement, wrapFrames: number): void {
  // Catch up first, holding nothing: each pass takes in what came during the one before, so the
  // passes shorten while the gateway writes slower than this thread checkpoints.
  for (let pass = 0; pass < WRAP_CATCH_UP_PASSES; pass++) {
    const started = performance.now();
    if (checkpointed(checkpoint).log < wrapFrames) return; // started over meanwhile
    if (performance.now() - started < WRAP_TAIL_MS) break;
  }
  Atomics.store(control, HOLD_SLOT, 1);
  const deadline = performance.now() + COMMIT_HOLD_MAX_MS;
  try {
    for (;;) {
      const row = checkpointed(checkpoint);
      if (row.busy === 0 && row.checkpointed === row.log) {
        Atomics.add(control, WRAPS_SLOT, 1);
        return;
      }
      if (performance.now() >= deadline || Atomics.load(control, STOP_SLOT) !== 0) return;
      // A commit that began before the hold was seen is still being written: a moment.
      Atomics.wait(control, STOP_SLOT, 0, 1);
    }
  } finally {
    Atomics.store(control, HOLD_SLOT, 0);
    Atomics.notify(control, HOLD_SLOT);
  }
}

function run(): void {
  // Stopped before it began (a store closed at once): opening now would create the files anew.
  if (Atomics.load(control, STOP_SLOT) !== 0) return;
  const { DatabaseSync } = nodeSqlite();
  const db = new DatabaseSync(data.path, { enableForeignKeyConstraints: false });
  try {
    db.exec('PRAGMA busy_timeout = 1000');
    db.exec('PRAGMA synchronous = FULL');
    const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
    const limit = data.walSizeLimit ?? WAL_SIZE_LIMIT_BYTES;
    const quietMs = data.truncateAfterQuietMs ?? TRUNCATE_AFTER_QUIET_MS;
    const wrapFrames = data.wrapFrames ?? WAL_WRAP_FRAMES;
    // The count starts at 0 when the store opens: commits made before this thread began (its
    // start can take longer than a burst's commits on a loaded machine) are unseen, so the first
    // wait returns at once and they are checkpointed without waiting for another commit.
    let seen = 0;
    for (;;) {
      // stop() sets STOP_SLOT before it counts a commit: a stop that came before `seen` was read
      // is seen here, one after it wakes the wait below.
      if (Atomics.load(control, STOP_SLOT) !== 0) return;
      if (walSize() > limit) {
        // A burst grew the WAL: wait for a quiet moment to cut it back, unless commits come first.
        if (Atomics.wait(control, COMMIT_SLOT, seen, quietMs) === 'timed-out') {
          if (Atomics.load(control, STOP_SLOT) !== 0) return;
          truncate.get();
          continue;
        }
      } else {
        Atomics.wait(control, COMMIT_SLOT, seen);
      }
      if (Atomics.load(control, STOP_SLOT) !== 0) return;
      // Let the commits of a burst gather (wakes early only to stop).
      Atomics.wait(control, STOP_SLOT, 0, CHECKPOINT_PACE_MS);
      if (Atomics.load(control, STOP_SLOT) !== 0) return;
      seen = Atomics.load(control, COMMIT_SLOT);
      if (checkpointed(checkpoint).log >= wrapFrames) wrap(checkpoint, wrapFrames);
    }
  } finally {
    db.close();
  }
}

try {
  run();
  parentPort?.postMessage({ type: 'stopped' });
} catch (err) {
  parentPort?.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}
