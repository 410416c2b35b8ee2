/**
 * The measurement behind "should the store's writes move to a worker thread?" (issue 15,
 * docs/performance.md "Store writes: main thread or worker"). Not a scenario of `npm run bench`:
 * run it alone, `node .bench-build/bench/store-writer-probe.js [messages]` after
 * `npx tsc -p tsconfig.bench.json`.
 *
 * The gateway's own store (GatewayStore: WAL, synchronous=FULL) records `messages` journal entries
 * of the gateway's size (an envelope of about 1.5 kB) in chunks of 256, then settles them as
 * dispatched in chunks of 256: the two writes of scenario 2, without the rest of the pipeline.
 * Twice, each on a fresh file in the same directory:
 * - `main`: the commits run on the main thread, as the gateway does today;
 * - `worker`: the same calls run in a worker thread that owns the store; the main thread only
 *   posts each chunk and waits for the answer without blocking.
 * Each prints messages/s and the MAIN thread's event-loop delay (monitorEventLoopDelay, 10 ms
 * resolution, as status.json's eventLoop): what the rest of the gateway would feel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GatewayStore, type InboundEntry } from '../src/store/index.js';

const CHUNK = 256;
const ENVELOPE = JSON.stringify({ id: 'default:00000000-0000-0000-0000-000000000000', text: 'hello there', pad: 'x'.repeat(1400) });

function entries(from: number, n: number): InboundEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    guid: `g-${from + i}`,
    rowid: from + i + 1,
    chatId: 1 + ((from + i) % 20),
    sender: `+1555000${1000 + ((from + i) % 20)}`,
    createdAt: 0,
    state: 'accepted' as const,
    envelope: ENVELOPE,
    trace: ['dm', 'policy:open', 'dispatch'],
  }));
}

type Job = { kind: 'record' | 'settle'; from: number; n: number };

function apply(store: GatewayStore, job: Job): void {
  const rows = entries(job.from, job.n);
  if (job.kind === 'record') store.recordInbound('a', rows, job.from + job.n);
  else store.completeDispatchMany('a', rows.map((r) => ({ guid: r.guid, replies: [] })));
}

function jobs(messages: number): Job[] {
  const out: Job[] = [];
  for (let from = 0; from < messages; from += CHUNK) {
    const n = Math.min(CHUNK, messages - from);
    out.push({ kind: 'record', from, n }, { kind: 'settle', from, n });
  }
  return out;
}

async function run(mode: 'main' | 'worker', messages: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `gw-writer-probe-${mode}-`));
  const path = join(dir, 'state.db');
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const started = performance.now();
  loop.enable();
  if (mode === 'main') {
    const store = GatewayStore.open(path);
    // One chunk per event-loop turn, as the recorder does (setImmediate between chunks).
    for (const job of jobs(messages)) {
      apply(store, job);
      await new Promise((r) => setImmediate(r));
    }
    store.close();
  } else {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { path } });
    const answers: Array<() => void> = [];
    worker.on('message', () => answers.shift()?.());
    await new Promise<void>((r) => worker.once('online', () => r()));
    for (const job of jobs(messages)) {
      await new Promise<void>((r) => {
        answers.push(r);
        worker.postMessage(job);
      });
    }
    await worker.terminate();
  }
  const ms = performance.now() - started;
  loop.disable();
  rmSync(dir, { recursive: true, force: true });
  const p = (q: number) => (loop.percentile(q) / 1e6).toFixed(1);
  process.stdout.write(
    `${mode.padEnd(6)} ${Math.round((messages / ms) * 1000)} msg/s; main-thread event-loop delay p50 ${p(50)} ms, p99 ${p(99)} ms, max ${(loop.max / 1e6).toFixed(1)} ms\n`,
  );
}

if (isMainThread) {
  const messages = Number(process.argv[2] ?? 30_000);
  for (const mode of ['main', 'worker', 'main', 'worker'] as const) await run(mode, messages);
} else {
  const store = GatewayStore.open((workerData as { path: string }).path);
  parentPort!.on('message', (job: Job) => {
    apply(store, job);
    parentPort!.postMessage('done');
  });
}
