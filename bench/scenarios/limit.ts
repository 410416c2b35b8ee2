/**
 * Scenario 1, the limit: one Node process reading the pre-generated stream from a pipe (`cat FILE
 * |`) and JSON-parsing every line. Rate = lines / (EOF − first byte), best of several runs (the
 * limit is what the machine allows, so the best run is the one least disturbed).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { GeneratedStream } from '../lib/stream.js';
import { BENCH_BUILD } from '../lib/paths.js';
import { info, type ScenarioResult } from '../lib/report.js';
import { round } from '../lib/stats.js';

interface ReaderOutput {
  events: number;
  ms: number;
}

function readOnce(file: string): Promise<ReaderOutput> {
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reader = spawn(process.execPath, [join(BENCH_BUILD, 'limit-reader.js')], { stdio: [cat.stdout, 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    reader.on('error', reject);
    reader.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`limit reader exited ${code}`));
      try {
        resolve(JSON.parse(out) as ReaderOutput);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

export async function runLimit(stream: GeneratedStream, runs: number): Promise<ScenarioResult & { eventsPerSec: number }> {
  const started = Date.now();
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await readOnce(stream.file);
    if (r.events !== stream.lines) throw new Error(`limit reader parsed ${r.events} events, expected ${stream.lines}`);
    rates.push(r.events / (r.ms / 1000));
  }
  const best = Math.max(...rates);
  return {
    scenario: 1,
    name: 'Limit: read + JSON.parse from a pipe',
    rows: [info(1, 'events/s, one Node process', best, 'events/s')],
    details: { events: stream.lines, bytes: stream.bytes, runs: rates.map((r) => round(r, 0)), best: round(best, 0) },
    ms: Date.now() - started,
    eventsPerSec: best,
  };
}
