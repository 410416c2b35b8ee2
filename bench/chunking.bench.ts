/**
 * Chunking and media benchmark (not a test: nothing here asserts a time).
 *
 *   runChunkingBench   chunkText throughput at 0.25, 1, 2 and 8 MB of mixed markdown.
 *   runInlineCrossoverBench
 *                      inline chunking vs a worker round trip per text size: where the pool's
 *                      DEFAULT_INLINE_CHUNK_BELOW comes from.
 *   runEventLoopBench  event-loop delay while 10 x 2 MB replies are chunked and 20 x 16 MB files
 *                      ingested, through the pool and with the pool disabled (all inline); the
 *                      workload is repeated until MIN_MEASURED_MS of samples are taken.
 *
 * Run it compiled (the pool needs the compiled worker next to pool.js):
 *   npx tsc -p tsconfig.json --outDir /tmp/igw-bench && ln -sfn "$PWD/node_modules" /tmp/igw-bench/node_modules
 *   node /tmp/igw-bench/bench/chunking.bench.js [--quick]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chunkText } from '../src/workers/chunk-text.js';
import { WorkerPool } from '../src/workers/pool.js';

/** Event-loop sampling interval (ms) of runEventLoopBench. */
const LOOP_RESOLUTION_MS = 5;
/**
 * runEventLoopBench repeats its workload until it has measured this long (not in quick mode). One
 * round of the typical workload through the pool lasts 0.7-1.8 s here: 150-350 samples, whose
 * "p99" is their second or third worst, so a single stall of the machine (a neighbour's, the
 * harness's own garbage) decided the figure. 4 s gave 700-1,100 samples here (a blocked loop
 * takes fewer than one per 5 ms).
 */
const MIN_MEASURED_MS = 4000;

const MB = 1024 * 1024;

export interface ChunkingBenchRow {
  sizeMb: number;
  mbPerS: number;
  ms: number;
  chunks: number;
}

export interface CrossoverRow {
  kind: 'typical' | 'adversarial';
  sizeKb: number;
  inlineMs: number;
  poolMs: number;
}

export interface EventLoopBenchRow {
  workload: 'typical' | 'adversarial';
  mode: 'pool' | 'disabled';
  threads: number;
  /** Mean wall time of one round of the workload. */
  wallMs: number;
  /** Rounds of the workload measured (one histogram over all of them). */
  rounds: number;
  /** Event-loop samples the figures are taken from. */
  samples: number;
  maxDelayMs: number;
  p99DelayMs: number;
  meanDelayMs: number;
}

/** Deterministic mixed markdown: prose, lists, code fences, emoji, flags, CJK, combining marks. */
export function sampleReply(bytes: number, seed = 1): string {
  let state = seed;
  const rnd = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const words = ['the', 'gateway', 'reply', 'message', 'attachment', 'chunk', 'worker', 'thread', 'queue', 'résumé', 'naïve', 'café'];
  const extras = ['👍🏽', '🇯🇵', '👨‍👩‍👧‍👦', 'e\u0301', '中文句子。', '🙂'];
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const r = rnd();
    let block: string;
    if (r < 0.1) {
      const lines = Array.from({ length: 5 + Math.floor(rnd() * 40) }, (_, i) => `  const v${i} = compute(${i}); // step ${i}`);
      block = `\`\`\`ts\n${lines.join('\n')}\n\`\`\``;
    } else if (r < 0.2) {
      block = Array.from({ length: 3 + Math.floor(rnd() * 6) }, () => `- ${words[Math.floor(rnd() * words.length)]} item`).join('\n');
    } else {
      const sentences: string[] = [];
      for (let s = 0; s < 2 + Math.floor(rnd() * 6); s++) {
        const ws: string[] = [];
        for (let w = 0; w < 6 + Math.floor(rnd() * 14); w++) {
          ws.push(rnd() < 0.05 ? extras[Math.floor(rnd() * extras.length)]! : words[Math.floor(rnd() * words.length)]!);
        }
        sentences.push(`${ws.join(' ')}.`);
      }
      block = sentences.join(' ');
    }
    parts.push(block);
    size += block.length + 2;
  }
  return parts.join('\n\n');
}

/**
 * The chunker's worst case: no whitespace at all and grapheme clusters whose boundaries only a
 * segmenter can tell (a run of regional-indicator flags), so every cut is a hard cut found by Intl.Segmenter.
 */
export function adversarialReply(bytes: number): string {
  const unit = '🇯🇵🇺🇸🇫🇷🇩🇪🇬🇧';
  return unit.repeat(Math.ceil(bytes / unit.length));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function runChunkingBench(opts: { quick: boolean }): Promise<ChunkingBenchRow[]> {
  const sizes = [0.25, 1, 2, 8];
  const rows: ChunkingBenchRow[] = [];
  chunkText(sampleReply(MB, 99), 4000); // warm up the JIT
  for (const sizeMb of sizes) {
    const text = sampleReply(sizeMb * MB, 7);
    const runs: number[] = [];
    let chunks = 0;
    for (let i = 0; i < (opts.quick ? 2 : 5); i++) {
      const t0 = performance.now();
      chunks = chunkText(text, 4000).length;
      runs.push(performance.now() - t0);
    }
    const ms = median(runs);
    rows.push({ sizeMb, mbPerS: text.length / MB / (ms / 1000), ms, chunks });
  }
  return rows;
}

export async function runInlineCrossoverBench(opts: {
  quick: boolean;
  filename?: string;
}): Promise<{ rows: CrossoverRow[]; crossoverKb: { typical?: number; adversarial?: number } }> {
  const pool = new WorkerPool({ threads: 1, inlineChunkBelow: 0, filename: opts.filename });
  const reps = opts.quick ? 30 : 200;
  const rows: CrossoverRow[] = [];
  try {
    await pool.chunk(sampleReply(64 * 1024), 4000); // start and warm the worker
    for (const kind of ['typical', 'adversarial'] as const) {
      for (const sizeKb of [1, 2, 4, 8, 16, 32, 64, 128, 256]) {
        const text = kind === 'typical' ? sampleReply(sizeKb * 1024, sizeKb) : adversarialReply(sizeKb * 1024);
        const inline: number[] = [];
        const viaPool: number[] = [];
        for (let i = 0; i < (kind === 'adversarial' && sizeKb > 32 ? Math.ceil(reps / 5) : reps); i++) {
          let t0 = performance.now();
          chunkText(text, 4000);
          inline.push(performance.now() - t0);
          t0 = performance.now();
          await pool.chunk(text, 4000);
          viaPool.push(performance.now() - t0);
        }
        rows.push({ kind, sizeKb, inlineMs: median(inline), poolMs: median(viaPool) });
      }
    }
  } finally {
    await pool.close();
  }
  // Offloading never lowers a single reply's latency (the worker does the same work plus the hop);
  // what it buys is a free event loop. So the crossover is the size from which inline chunking
  // blocks the loop for longer than the hop adds to the reply's latency.
  const crossing = (kind: CrossoverRow['kind']): number | undefined =>
    rows.find((r) => r.kind === kind && r.inlineMs > r.poolMs - r.inlineMs)?.sizeKb;
  return { rows, crossoverKb: { typical: crossing('typical'), adversarial: crossing('adversarial') } };
}

export async function runEventLoopBench(opts: {
  quick: boolean;
  threads?: number;
  filename?: string;
}): Promise<EventLoopBenchRow[]> {
  const replies = opts.quick ? 4 : 10;
  const files = opts.quick ? 4 : 20;
  const dir = mkdtempSync(join(tmpdir(), 'igw-bench-'));
  const roots = [join(dir, 'Attachments')];
  mkdirSync(roots[0]!);
  try {
    const workloads = {
      typical: Array.from({ length: replies }, (_, i) => sampleReply(2 * MB, i + 1)),
      adversarial: Array.from({ length: replies }, () => adversarialReply(2 * MB)),
    };
    const blob = randomBytes(16 * MB);
    const paths = Array.from({ length: files }, (_, i) => {
      blob.writeUInt32BE(i, 0); // distinct content: every file is really stored
      const path = join(roots[0]!, `IMG_${i}.bin`);
      writeFileSync(path, blob);
      return path;
    });
    const rows: EventLoopBenchRow[] = [];
    for (const [workload, texts] of Object.entries(workloads) as Array<[EventLoopBenchRow['workload'], string[]]>) {
    for (const mode of ['pool', 'disabled'] as const) {
      const pool = new WorkerPool({
        disabled: mode === 'disabled',
        threads: opts.threads,
        filename: opts.filename,
        taskTimeoutMs: 600_000,
      });
      if (mode === 'pool') await pool.chunk(sampleReply(64 * 1024), 4000); // threads up before measuring
      // One histogram over every round (re-enabling one records the pause as a sample); each
      // round ingests into a media folder of its own (an existing copy would be skipped), all
      // removed after the measurement.
      const mediaDirs: string[] = [];
      const histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      histogram.enable();
      // The histogram only sees blocking after its first tick: let it start.
      await new Promise((resolve) => setTimeout(resolve, 25));
      const t0 = performance.now();
      do {
        const mediaDir = join(dir, `media-${mode}-${mediaDirs.length}`);
        mediaDirs.push(mediaDir);
        await Promise.all([
          // Each reply's chunks are dropped as they come, as the gateway drops them once sent
          // (held to the end of a round, they were 20-40 MB of strings that only the bench kept).
          ...texts.map((text) => pool.chunk(text, 4000).then(() => undefined)),
          ...paths.map((path) => pool.ingest({ path, mediaDir, maxBytes: 16 * MB, roots })),
        ]);
      } while (!opts.quick && performance.now() - t0 < MIN_MEASURED_MS);
      const measuredMs = performance.now() - t0;
      histogram.disable();
      rows.push({
        workload,
        mode,
        threads: mode === 'pool' ? pool.threads : 0,
        wallMs: measuredMs / mediaDirs.length,
        rounds: mediaDirs.length,
        samples: histogram.count,
        // The histogram records the time between its timer's firings: the delay is what exceeds
        // the sampling interval (an idle loop reads ≈ the resolution; src/util/loop-delay.ts).
        maxDelayMs: Math.max(0, histogram.max / 1e6 - LOOP_RESOLUTION_MS),
        p99DelayMs: Math.max(0, histogram.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
        meanDelayMs: Math.max(0, histogram.mean / 1e6 - LOOP_RESOLUTION_MS),
      });
      await pool.close();
      for (const mediaDir of mediaDirs) rmSync(mediaDir, { recursive: true, force: true });
    }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const fmt = (n: number): string => n.toFixed(n < 10 ? 2 : 1);
  console.log('chunkText throughput (limit 4000, mixed markdown)');
  for (const r of await runChunkingBench({ quick })) {
    console.log(`  ${String(r.sizeMb).padStart(5)} MB  ${fmt(r.ms).padStart(8)} ms  ${fmt(r.mbPerS).padStart(7)} MB/s  ${r.chunks} chunks`);
  }
  console.log('inline vs worker round trip (median per reply)');
  const { rows, crossoverKb } = await runInlineCrossoverBench({ quick });
  for (const r of rows) {
    console.log(`  ${r.kind.padEnd(11)} ${String(r.sizeKb).padStart(4)} KB  inline ${r.inlineMs.toFixed(3)} ms  pool ${r.poolMs.toFixed(3)} ms`);
  }
  const show = (kb: number | undefined): string => (kb === undefined ? 'none up to 256 KB' : `${kb} KB`);
  console.log(`  crossover: typical ${show(crossoverKb.typical)}, adversarial ${show(crossoverKb.adversarial)}`);
  console.log(`event-loop delay: ${quick ? 4 : 10} x 2 MB chunked + ${quick ? 4 : 20} x 16 MB ingested`);
  for (const r of await runEventLoopBench({ quick })) {
    console.log(
      `  ${r.workload.padEnd(11)} ${r.mode.padEnd(8)} threads ${r.threads}  ${r.rounds} x ${fmt(r.wallMs)} ms  ${r.samples} samples  max ${fmt(r.maxDelayMs)} ms  p99 ${fmt(r.p99DelayMs)} ms  mean ${fmt(r.meanDelayMs)} ms`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
