/**
 * The gateway's store with `durability: 'deferred'` on a real SQLite file: commits are fsync'd off
 * the event loop (durable() resolves after), and checkpoints run on the checkpoint thread (the
 * built dist/store/checkpoint-worker.js; `npm test` builds first) while the gateway's connection
 * never checkpoints. Without the thread the store says so and checkpoints on its connection.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointWorkerFile } from '../../src/store/checkpointer.js';
import { GatewayStore } from '../../src/store/gateway-store.js';
import type { OutboxInsert } from '../../src/store/types.js';

const dirs: string[] = [];
const stores: GatewayStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) {
    s.close();
    await s.closed(); // the checkpoint thread's connection too, before its files go
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'igw-deferred-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}

function row(i: number): OutboxInsert {
  return {
    accountId: 'bot',
    idempotencyKey: `k-${i}`,
    chatKey: 'chat:1',
    target: JSON.stringify({ to: '+15555550100' }),
    text: `reply ${i} ${'x'.repeat(1000)}`,
    source: 'cli',
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the gateway's store: deferred durability", () => {
  it('the checkpoint worker is built (npm test builds before it runs)', () => {
    expect(checkpointWorkerFile()).toMatch(/dist[/\\]store[/\\]checkpoint-worker\.js$/);
  });

  it('durable() resolves after the fsync covering the commits so far; the store stays readable', async () => {
    const path = tempDb();
    const store = GatewayStore.open(path, { durability: 'deferred' });
    stores.push(store);
    expect(store.durability()).toEqual({ mode: 'deferred', checkpoints: 'thread', syncs: 0, walWraps: 0 });
    await store.durable(); // nothing committed since open: at once
    const { id } = store.enqueueOutbox(row(1));
    await store.durable();
    const d = store.durability();
    expect(d.mode === 'deferred' && d.syncs).toBeGreaterThanOrEqual(1);
    expect(store.getOutbox(id)?.state).toBe('queued');
  });

  it('checkpoints happen on the thread: the database file takes the WAL frames while the connection never checkpoints', async () => {
    const path = tempDb();
    const store = GatewayStore.open(path, { durability: 'deferred' });
    stores.push(store);
    const before = statSync(path).size;
    // ~2.5 MB of frames: below the 1000-page automatic checkpoint, which is off here anyway.
    for (let i = 0; i < 2000; i++) store.enqueueOutbox(row(i));
    await store.durable();
    await until(() => statSync(path).size > before + 1_000_000, 'the checkpoint thread to copy the frames into state.db');
  });

  it('commits made before the thread began are checkpointed without waiting for another commit', async () => {
    const path = tempDb();
    const store = GatewayStore.open(path, { durability: 'deferred' });
    stores.push(store);
    const before = statSync(path).size;
    for (let i = 0; i < 300; i++) store.enqueueOutbox(row(i)); // ~370 KB of frames
    // Block this thread while the checkpoint thread starts on its own: it begins after every
    // commit above (as on a loaded machine, where its start took longer than the commits), and
    // no commit comes after.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    await store.durable();
    await until(() => statSync(path).size > before + 300_000, 'the checkpoint of the commits made before the thread began', 5_000);
  });

  it("a WAL grown past the limit is cut back by the thread once the gateway is quiet, never at the connection's next commit", async () => {
    const path = tempDb();
    const store = GatewayStore.open(path, { durability: 'deferred', walTruncate: { sizeLimit: 1_000_000, quietMs: 300 } });
    stores.push(store);
    const wal = () => statSync(`${path}-wal`).size;
    for (let i = 0; i < 2000; i++) store.enqueueOutbox(row(i)); // ~2.5 MB of frames
    await store.durable();
    expect(wal()).toBeGreaterThan(1_000_000);
    // Checkpointed (PASSIVE) but kept while commits go on: the next write starts the WAL over
    // without truncating it (the connection has no journal_size_limit), so it stays large.
    await until(() => statSync(path).size > 2_000_000, 'the checkpoint');
    let i = 2000;
    const busyUntil = Date.now() + 600;
    while (Date.now() < busyUntil) {
      store.enqueueOutbox(row(i++));
      await new Promise((r) => setTimeout(r, 50)); // a commit every 50 ms: never 300 ms quiet
      expect(wal()).toBeGreaterThan(1_000_000);
    }
    // Quiet now: the thread truncates it.
    await until(() => wal() === 0, 'the quiet WAL to be truncated');
    expect(store.getOutbox(1)?.state).toBe('queued');
    expect(store.durability()).toMatchObject({ checkpoints: 'thread' });
  });

  it('without a built worker it says why once and checkpoints on its own connection; durable() still works', async () => {
    const path = tempDb();
    const problems: string[] = [];
    const store = GatewayStore.open(path, { durability: 'deferred', onDurabilityProblem: (m) => problems.push(m), workerFile: null });
    stores.push(store);
    expect(problems).toEqual([
      "the checkpoint worker is not built (run `npm run build`); the state database checkpoints on the gateway's thread (commits may block it for longer)",
    ]);
    expect(store.durability()).toMatchObject({ mode: 'deferred', checkpoints: 'connection' });
    store.enqueueOutbox(row(1));
    await store.durable();
  });

  it('a worker that fails to start is reported and the store falls back', async () => {
    const path = tempDb();
    const problems: string[] = [];
    const store = GatewayStore.open(path, {
      durability: 'deferred',
      onDurabilityProblem: (m) => problems.push(m),
      workerFile: join(tmpdir(), 'no-such-checkpoint-worker.js'),
    });
    stores.push(store);
    await until(() => problems.length > 0, 'the failure report');
    expect(problems[0]).toMatch(/^the checkpoint thread failed: .*; the state database checkpoints on the gateway's thread/);
    expect(store.durability()).toMatchObject({ checkpoints: 'connection' });
    store.enqueueOutbox(row(1));
    await store.durable();
  });

  it('closed() settles once the checkpoint thread has let go of the files; a thread stopped before it began opens nothing', async () => {
    for (let i = 0; i < 5; i++) {
      const path = tempDb();
      const store = GatewayStore.open(path, { durability: 'deferred' });
      store.close(); // most likely before the thread has opened its connection
      for (const f of readdirSync(dirname(path))) rmSync(join(dirname(path), f));
      await store.closed();
      expect(readdirSync(dirname(path))).toEqual([]);
    }
  });

  it('close() leaves every commit in a file the next open reads in full', async () => {
    const path = tempDb();
    const store = GatewayStore.open(path, { durability: 'deferred' });
    for (let i = 0; i < 500; i++) store.enqueueOutbox(row(i));
    store.close();
    const again = GatewayStore.open(path);
    stores.push(again);
    expect(again.outboxStats('bot').depth).toBe(500);
  });
});

describe('a failed fsync of the WAL', () => {
  it('rejects durable() with an io StoreError for good, and the store names the problem', async () => {
    const path = tempDb();
    let fail = false;
    const store = GatewayStore.open(path, {
      durability: 'deferred',
      walFsync: () => (fail ? Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' })) : Promise.resolve()),
    });
    stores.push(store);
    store.enqueueOutbox(row(1));
    await store.durable();
    expect(store.durabilityProblem()).toBeUndefined();
    fail = true;
    store.enqueueOutbox(row(2));
    await expect(store.durable()).rejects.toMatchObject({ name: 'StoreError', kind: 'io' });
    fail = false; // a later fsync "succeeding" proves nothing: the failure stays
    store.enqueueOutbox(row(3));
    await expect(store.durable()).rejects.toMatchObject({ kind: 'io' });
    const problem = store.durabilityProblem();
    expect(problem?.message).toContain('an fsync of its write-ahead log failed (EIO: i/o error, fsync)');
    expect(problem?.remediation).toContain('check the disk');
  });
});
