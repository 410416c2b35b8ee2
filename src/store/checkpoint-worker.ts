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
  COMMIT_SLOT,
  STOP_SLOT,
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

function run(): void {
  const { DatabaseSync } = nodeSqlite();
  const db = new DatabaseSync(data.path, { enableForeignKeyConstraints: false });
  try {
    db.exec('PRAGMA busy_timeout = 1000');
    db.exec('PRAGMA synchronous = FULL');
    const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
    const limit = data.walSizeLimit ?? WAL_SIZE_LIMIT_BYTES;
    const quietMs = data.truncateAfterQuietMs ?? TRUNCATE_AFTER_QUIET_MS;
    let seen = Atomics.load(control, COMMIT_SLOT);
    for (;;) {
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
      checkpoint.get();
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
