import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chunkText } from '../../src/workers/chunk-text.js';
import { WorkerTaskError } from '../../src/workers/errors.js';
import { WorkerPool, createPool, defaultThreadCount, defaultWorkerFilename } from '../../src/workers/pool.js';
import { compiledWorker, pngBytes, tempDir, writeFile } from './fixtures.js';

const LONG = 'A sentence of the reply goes here. '.repeat(3000) + '\n\n```ts\n' + 'const x = 1;\n'.repeat(600) + '```\n';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('WorkerPool on worker threads', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = new WorkerPool({ threads: 2, filename: compiledWorker(), allowTestTasks: true, inlineChunkBelow: 0 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('chunks on a worker with the same result as inline', async () => {
    const before = pool.stats;
    expect(await pool.chunk(LONG, 4000)).toEqual(chunkText(LONG, 4000));
    expect(pool.stats.completed).toBe(before.completed + 1);
    expect(pool.stats.inline).toBe(before.inline);
  });

  it('ingests on a worker', async () => {
    const root = join(tmp.dir, 'Attachments');
    mkdirSync(root);
    const path = writeFile(join(root, 'photo.txt'), pngBytes());
    const result = await pool.ingest({ path, mediaDir: join(tmp.dir, 'media'), maxBytes: 1024 * 1024, roots: [root] });
    expect(result).toMatchObject({ ok: true, mimeType: 'image/png', sizeBytes: pngBytes().length });
    if (result.ok) expect(existsSync(result.storedPath)).toBe(true);
    const refused = await pool.ingest({ path: join(root, 'gone.png'), mediaDir: join(tmp.dir, 'media'), maxBytes: 1, roots: [root] });
    expect(refused).toMatchObject({ ok: false, kind: 'missing' });
  });

  it('keeps the event loop free while a worker is busy', async () => {
    const order: string[] = [];
    const busy = pool.runTask({ kind: 'sleep', ms: 400 }).then(() => order.push('worker done'));
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    order.push('timer fired');
    await busy;
    expect(order).toEqual(['timer fired', 'worker done']);
  });

  it('fails a task that throws, alone', async () => {
    const before = pool.stats;
    const thrown = pool.runTask({ kind: 'throw', message: 'boom in the worker' });
    const next = pool.chunk(LONG, 4000);
    await expect(thrown).rejects.toThrow(WorkerTaskError);
    await expect(thrown).rejects.toMatchObject({ kind: 'failed', task: 'throw', message: expect.stringContaining('boom in the worker') });
    await expect(next).resolves.toHaveLength(chunkText(LONG, 4000).length);
    expect(pool.stats.failed).toBe(before.failed + 1);
  });

  it('stops a task that overruns its deadline, alone', async () => {
    const before = pool.stats;
    const stuck = pool.runTask({ kind: 'sleep', ms: 20_000 }, { timeoutMs: 250 });
    const meanwhile = pool.chunk(LONG, 4000);
    await expect(stuck).rejects.toMatchObject({
      name: 'WorkerTaskError',
      kind: 'timeout',
      message: expect.stringContaining('overran its 250 ms deadline'),
    });
    await expect(meanwhile).resolves.toEqual(chunkText(LONG, 4000));
    // The thread that ran it was replaced: the pool still works at full size.
    await expect(Promise.all([pool.chunk(LONG, 3000), pool.runTask({ kind: 'sleep', ms: 10 })])).resolves.toBeTruthy();
    expect(pool.stats.timedOut).toBe(before.timedOut + 1);
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    const task = pool.runTask({ kind: 'sleep', ms: 20_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('reply cancelled')), 50);
    await expect(task).rejects.toMatchObject({ kind: 'aborted', message: expect.stringContaining('reply cancelled') });
  });

  it('chunks short texts inline only when asked to', async () => {
    const before = pool.stats;
    await pool.chunk('short', 4000); // fits: always inline
    expect(pool.stats.inline).toBe(before.inline + 1);
  });
});

describe('WorkerPool lifecycle and modes', () => {
  it('refuses test-only tasks unless allowed', async () => {
    const pool = new WorkerPool({ filename: compiledWorker() });
    await expect(pool.runTask({ kind: 'sleep', ms: 1 })).rejects.toMatchObject({ kind: 'not-allowed' });
    await pool.close();
  });

  it('runs a task queued behind one stopped at its deadline on the replacement thread', async () => {
    const pool = new WorkerPool({ threads: 1, filename: compiledWorker(), allowTestTasks: true, inlineChunkBelow: 0 });
    const root = join(tmp.dir, 'r');
    mkdirSync(root);
    const path = writeFile(join(root, 'a.pdf'), pngBytes());
    const stuck = pool.runTask({ kind: 'sleep', ms: 20_000 }, { timeoutMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the sleep holds the only thread
    const neighbour = pool.ingest({ path, mediaDir: join(tmp.dir, 'm'), maxBytes: 1 << 20, roots: [root] });
    await expect(stuck).rejects.toMatchObject({ kind: 'timeout' });
    await expect(neighbour).resolves.toMatchObject({ ok: true, mimeType: 'image/png' });
    expect(pool.stats).toMatchObject({ timedOut: 1, failed: 0, completed: 1 });
    await pool.close();
  });

  it('close() waits for running tasks, then refuses new ones', async () => {
    const pool = createPool({ threads: 1, filename: compiledWorker(), allowTestTasks: true, inlineChunkBelow: 0 });
    const running = pool.runTask({ kind: 'sleep', ms: 300 });
    let taskDone = false;
    void running.then(() => (taskDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.close();
    expect(taskDone).toBe(true);
    await expect(running).resolves.toMatchObject({ sleptMs: expect.any(Number) });
    await expect(pool.chunk(LONG, 4000)).rejects.toMatchObject({ kind: 'closed' });
    await expect(pool.chunk('tiny', 4000)).rejects.toMatchObject({ kind: 'closed' });
    await pool.close(); // idempotent
  });

  it('chunks small texts inline below the threshold and large ones on a worker', async () => {
    const pool = new WorkerPool({ threads: 1, filename: compiledWorker(), inlineChunkBelow: 50_000 });
    const small = 'word '.repeat(2000); // 10 KB: over the limit, under the threshold
    expect(await pool.chunk(small, 4000)).toEqual(chunkText(small, 4000));
    expect(pool.stats).toMatchObject({ inline: 1, completed: 1 });
    expect(await pool.chunk(LONG, 4000)).toEqual(chunkText(LONG, 4000));
    expect(pool.stats).toMatchObject({ inline: 1, completed: 2 });
    await pool.close();
  });

  it('disabled mode runs everything inline with the same results and deadlines', async () => {
    const pool = new WorkerPool({ disabled: true, allowTestTasks: true });
    expect(await pool.chunk(LONG, 4000)).toEqual(chunkText(LONG, 4000));
    const root = join(tmp.dir, 'r');
    mkdirSync(root);
    const path = writeFile(join(root, 'a.png'), pngBytes());
    await expect(pool.ingest({ path, mediaDir: join(tmp.dir, 'm'), maxBytes: 1 << 20, roots: [root] })).resolves.toMatchObject({ ok: true });
    await expect(pool.runTask({ kind: 'throw', message: 'inline boom' })).rejects.toMatchObject({ kind: 'failed' });
    await expect(pool.runTask({ kind: 'sleep', ms: 5000 }, { timeoutMs: 50 })).rejects.toMatchObject({ kind: 'timeout' });
    expect(pool.stats).toMatchObject({ completed: 2, inline: 2, failed: 1, timedOut: 1, queued: 0 });
    await pool.close();
  });
});

describe('pool defaults', () => {
  it('sizes the pool for the host, leaving a core to the event loop', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((n) => defaultThreadCount(n))).toEqual([1, 1, 2, 3, 4, 4, 4]);
    expect(new WorkerPool().threads).toBe(defaultThreadCount());
  });

  it('finds the compiled worker when running from the sources', () => {
    expect(defaultWorkerFilename()).toBe(compiledWorker());
  });
});
