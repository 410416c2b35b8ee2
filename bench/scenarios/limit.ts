/**
 * Scenario 1, the references for inbound throughput, each one Node process reading the
 * pre-generated stream from a pipe (`cat FILE |`):
 * - parse-only (limit-reader.ts): JSON-parses every line; context, the ceiling of any reader;
 * - the durable journal-only reader (durable-reader.ts): parses every line and inserts each
 *   message into a batched WAL journal (synchronous=FULL), the least a durable consumer does. The
 *   gateway's throughput target (scenario 2) is a ratio to this one.
 * Rate = lines / (EOF or last commit − first byte), best of several runs each, alternated (the
 * references are what the machine allows, so the best run is the one least disturbed).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { GeneratedStream } from '../lib/stream.js';
import { BENCH_BUILD, tempDir } from '../lib/paths.js';
import { info, type ScenarioResult } from '../lib/report.js';
import { round } from '../lib/stats.js';

interface ReaderOutput {
  events: number;
  ms: number;
  commits?: number;
}

function readOnce(file: string, script = 'limit-reader.js', args: string[] = []): Promise<ReaderOutput> {
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reader = spawn(process.execPath, [join(BENCH_BUILD, script), ...args], { stdio: [cat.stdout, 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    reader.on('error', reject);
    reader.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      try {
        resolve(JSON.parse(out) as ReaderOutput);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

export async function runLimit(
  stream: GeneratedStream,
  runs: number,
): Promise<ScenarioResult & { eventsPerSec: number; durablePerSec: number }> {
  const started = Date.now();
  const rates: number[] = [];
  const durable: number[] = [];
  const commits: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await readOnce(stream.file);
    if (r.events !== stream.lines) throw new Error(`limit reader parsed ${r.events} events, expected ${stream.lines}`);
    rates.push(r.events / (r.ms / 1000));
    const journal = join(tempDir('durable-reader'), 'journal.db');
    const d = await readOnce(stream.file, 'durable-reader.js', [journal]);
    if (d.events !== stream.lines) throw new Error(`durable reader journalled ${d.events} events, expected ${stream.lines}`);
    durable.push(d.events / (d.ms / 1000));
    commits.push(d.commits ?? 0);
  }
  const best = Math.max(...rates);
  const bestDurable = Math.max(...durable);
  return {
    scenario: 1,
    name: 'References: parse-only and durable journal-only readers',
    rows: [
      info(1, 'events/s, parse-only reader (context)', best, 'events/s'),
      info(1, 'events/s, durable journal-only reader (reference)', bestDurable, 'events/s'),
    ],
    details: {
      events: stream.lines,
      bytes: stream.bytes,
      runs: rates.map((r) => round(r, 0)),
      best: round(best, 0),
      durableRuns: durable.map((r) => round(r, 0)),
      durableBest: round(bestDurable, 0),
      durableCommits: commits,
    },
    ms: Date.now() - started,
    eventsPerSec: best,
    durablePerSec: bestDurable,
  };
}
