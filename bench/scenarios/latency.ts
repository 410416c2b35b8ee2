/**
 * Scenario 3, latency: messages injected at a steady 1,000/s into imsg-sim's database (one
 * transaction each, as Messages.app writes them) while the gateway streams; time from the commit
 * of the row (bench process) to the agent receiving the envelope. The agent is an `http` handler
 * pointing at a server inside the bench process, which stamps each POST's arrival: same clock as
 * the injector, sub-millisecond precision, and no process spawned per message (a `command` agent
 * would add tens of ms of spawn time to every figure).
 *
 * Simulator settings (through its cliPath wrapper): fallback poll IMSG_SIM_POLL_MS, and the hidden
 * override IMSG_SIM_DEBOUNCE_MS=0, because the gateway subscribes with imsg's default debounce of
 * 500 ms (leading edge), which would otherwise dominate the figure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { initSimDb, SimWriter } from '../../src/sim/index.js';
import { openAccount, simWrapper, startGateway } from '../lib/gateway.js';
import { tempDir } from '../lib/paths.js';
import { info, judged, type Row, type ScenarioResult } from '../lib/report.js';
import { mean, nowMs, percentile, round, sleep, waitFor } from '../lib/stats.js';
import { senderFor } from '../lib/stream.js';

export interface LatencyPhase {
  rate: number;
  seconds: number;
  /** Messages at the start of the phase not counted (first HTTP connection, JIT warm-up). */
  warmup: number;
}

export interface LatencyOptions {
  /** Run in order on the same gateway, each after the previous one has fully drained. */
  phases: LatencyPhase[];
  /** The rate the target is judged at (the 1,000/s). */
  targetRate: number;
  pollMs: number;
}

interface PhaseResult {
  rate: number;
  injected: number;
  measured: number;
  missing: number;
  lateTicks: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Messages the agent received per second between the phase's first injection and its last arrival. */
  deliveredPerSec: number;
  /** The ten slowest messages: [ms since the phase started, latency ms], to spot periodic stalls. */
  slowest: Array<[number, number]>;
}

export async function runLatency(o: LatencyOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = tempDir('latency');
  const db = join(dir, 'chat.db');
  initSimDb(db);
  const cli = simWrapper(dir, 'imsg-latency', { IMSG_SIM_POLL_MS: String(o.pollMs), IMSG_SIM_DEBOUNCE_MS: '0' });

  const arrivals = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = nowMs();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /"text":"lat-(\d+-\d+)"/.exec(Buffer.concat(chunks).toString('utf8'));
      if (m) arrivals.set(m[1]!, at);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"replies":[]}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;

  const supervision = { livenessIntervalMs: 600_000 };
  const gw = startGateway({
    home: tempDir('latency-home'),
    config: {
      imessage: openAccount(cli, db),
      agents: { list: [{ id: 'main', name: 'Timer', default: true, handler: { type: 'http', url: `http://127.0.0.1:${port}/agent`, timeoutMs: 60_000 } }] },
      gateway: { supervision },
    },
  });
  const writer = new SimWriter(db);
  // The injector's own commits must not wait for an fsync each (SQLite's default FULL would make
  // it fall behind 1,000/s on this disk and compete with the gateway's fsyncs); a committed row is
  // visible to readers at once either way.
  writer.db.pragma('synchronous = NORMAL');
  const results: PhaseResult[] = [];
  try {
    await waitFor(() => gw.account('default')?.state === 'streaming', 'the gateway to stream', 30_000);
    await sleep(300);
    for (const [p, phase] of o.phases.entries()) {
      const total = Math.round(phase.seconds * phase.rate);
      const injectedAt = new Float64Array(total);
      let late = 0;
      const t0 = nowMs();
      const interval = 1000 / phase.rate;
      let i = 0;
      while (i < total) {
        const due = Math.min(total, Math.floor((nowMs() - t0) / interval) + 1);
        if (due - i > 2) late++;
        for (; i < due; i++) {
          writer.injectMessage({ from: senderFor(i, 20), text: `lat-${p}-${i}` });
          injectedAt[i] = nowMs();
        }
        await sleep(1);
      }
      const arrived = (): number => {
        let n = 0;
        for (let k = 0; k < total; k++) if (arrivals.has(`${p}-${k}`)) n++;
        return n;
      };
      await waitFor(() => arrived() >= total || undefined, 'every message to reach the agent', Math.max(15_000, (total / 100) * 1000), 100).catch(
        () => undefined,
      );
      const latencies: number[] = [];
      const samples: Array<[number, number]> = [];
      let missing = 0;
      let lastArrival = t0;
      for (let k = 0; k < total; k++) {
        const at = arrivals.get(`${p}-${k}`);
        if (at !== undefined) lastArrival = Math.max(lastArrival, at);
        if (k < phase.warmup) continue;
        if (at === undefined) missing++;
        else {
          latencies.push(at - injectedAt[k]!);
          samples.push([round(injectedAt[k]! - t0, 0), round(at - injectedAt[k]!, 1)]);
        }
      }
      results.push({
        rate: phase.rate,
        injected: total,
        measured: latencies.length,
        missing,
        lateTicks: late,
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies.length ? Math.max(...latencies) : Number.NaN,
        mean: mean(latencies),
        deliveredPerSec: (total - missing) / ((lastArrival - t0) / 1000),
        slowest: samples.sort((a, b) => b[1] - a[1]).slice(0, 10),
      });
      await sleep(200);
    }
  } finally {
    writer.close();
    await gw.stop();
    server.close();
  }
  const limit = o.pollMs + 5;
  const rows: Row[] = [];
  for (const r of results) {
    rows.push(info(3, `p50 injection→dispatch at ${r.rate}/s`, r.p50, 'ms'));
    if (r.rate === o.targetRate) {
      rows.push(judged(3, `p99 injection→dispatch at ${r.rate}/s`, r.p99, 'ms', { op: '<', limit }, `< ${limit} ms (poll ${o.pollMs} ms + 5)`));
      rows.push(info(3, `agent dispatches/s sustained under ${r.rate}/s offered`, r.deliveredPerSec, 'msg/s'));
    } else rows.push(info(3, `p99 injection→dispatch at ${r.rate}/s`, r.p99, 'ms'));
  }
  return {
    scenario: 3,
    name: 'Latency: injection → agent dispatch at a steady rate',
    rows,
    details: {
      pollMs: o.pollMs,
      debounceMs: 0,
      phases: results.map((r) => ({
        ...r,
        p50: round(r.p50, 2),
        p90: round(r.p90, 2),
        p99: round(r.p99, 2),
        max: round(r.max, 2),
        mean: round(r.mean, 2),
        deliveredPerSec: round(r.deliveredPerSec, 0),
      })),
      supervision,
    },
    ms: Date.now() - started,
  };
}
