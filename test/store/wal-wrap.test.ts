/**
 * WAL wraps (store/checkpoint-worker.ts): under a steady stream of commits, a checkpoint beside
 * them never takes in the whole WAL, so SQLite never writes it from its start again and the WAL
 * grew by every frame of a burst. Past `walWrapFrames` the checkpoint thread holds the deferrable
 * commits for a moment, checkpoints the rest, and the next write starts the WAL over. Real SQLite
 * files, the real (built) checkpoint thread; the writer here honours the hold as the journal's and
 * the completions' group commits do.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMIT_HOLD_MAX_MS, HOLD_SLOT } from '../../src/store/checkpoint-protocol.js';
import { Checkpointer } from '../../src/store/checkpointer.js';
import { GatewayStore } from '../../src/store/gateway-store.js';
import { waitUntil } from '../helpers/sim-db.js';
import { accepted } from './store-helpers.js';

const dirs: string[] = [];
const stores: GatewayStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'igw-wal-wrap-'));
  dirs.push(dir);
  return dir;
}

/**
 * The salts of the WAL's header (bytes 16-23): SQLite changes them each time it writes the WAL
 * from its start again, and only then.
 */
function walSalts(path: string): string {
  const fd = openSync(`${path}-wal`, 'r');
  try {
    const header = Buffer.alloc(32);
    readSync(fd, header, 0, 32, 0);
    return header.subarray(16, 24).toString('hex');
  } finally {
    closeSync(fd);
  }
}

/**
 * Journals `chunks` chunks of 32 messages (random guids, as imsg's are), one commit each, waiting
 * whenever the store's commit hold asks, at about the gateway's pace in a burst (a commit every
 * millisecond or two). Returns how many times the WAL was started over.
 */
async function burst(store: GatewayStore, path: string, chunks: number): Promise<number> {
  const hold = store.commitHold();
  let rowid = 0;
  const salts = new Set<string>();
  for (let c = 0; c < chunks; c++) {
    if (hold.held()) await new Promise<void>((resume) => hold.afterHold(resume));
    const entries = Array.from({ length: 32 }, () => accepted(randomUUID(), ++rowid));
    store.recordInbound('acct', entries, rowid);
    salts.add(walSalts(path));
    await new Promise((r) => setTimeout(r, 1));
  }
  return salts.size - 1;
}


describe('WAL wraps during a burst', () => {
  it('start the WAL over while commits go on; without them it only grows; nothing is lost', async () => {
    const chunks = 400; // 12,800 messages
    const wrapped = join(tempDir(), 'state.db');
    const store = GatewayStore.open(wrapped, { durability: 'deferred', walWrapFrames: 128 });
    stores.push(store);
    const restarts = await burst(store, wrapped, chunks);
    const d = store.durability();
    expect(d.mode === 'deferred' && d.checkpoints).toBe('thread');
    expect(d.mode === 'deferred' && d.walWraps).toBeGreaterThanOrEqual(2);
    expect(restarts).toBeGreaterThanOrEqual(2);

    // The same stream where the WAL is never wrapped: it is never started over.
    const control = join(tempDir(), 'state.db');
    const unwrapped = GatewayStore.open(control, { durability: 'deferred', walWrapFrames: 1e9 });
    stores.push(unwrapped);
    expect(await burst(unwrapped, control, chunks)).toBe(0);
    expect(unwrapped.durability()).toMatchObject({ walWraps: 0 });

    // Every message is there, before and after a reopen.
    expect(store.journalLag('acct')).toBe(chunks * 32);
    await store.durable();
    store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = GatewayStore.open(wrapped);
    stores.push(reopened);
    expect(reopened.journalLag('acct')).toBe(chunks * 32);
    expect(reopened.getCursor('acct')).toBe(chunks * 32);
  });

  it("the gateway's side ends a hold after COMMIT_HOLD_MAX_MS even when the thread never clears it", async () => {
    const dir = tempDir();
    // A stand-in thread that sets the hold and never lets go (as a stuck or dying one might).
    const file = join(dir, 'holding-worker.mjs');
    writeFileSync(
      file,
      `import { workerData } from 'node:worker_threads';
       const control = new Int32Array(workerData.control);
       Atomics.store(control, ${HOLD_SLOT}, 1);
       while (Atomics.load(control, 1) === 0) Atomics.wait(control, 1, 0, 1000);`,
    );
    let now = 0;
    const failures: string[] = [];
    const checkpointer = new Checkpointer(join(dir, 'state.db'), file, (reason) => failures.push(reason), { now: () => now });
    try {
      await waitUntil(() => checkpointer.held(), 'the stand-in thread to set the hold', 10_000, 5);
      now += COMMIT_HOLD_MAX_MS - 1;
      expect(checkpointer.held()).toBe(true);
      const over = new Promise<void>((resume) => checkpointer.afterHold(resume));
      now += 1;
      expect(checkpointer.held()).toBe(false);
      await over; // its wait ended with the bound, in real time
    } finally {
      checkpointer.stop();
      await checkpointer.ended;
    }
  });
});
