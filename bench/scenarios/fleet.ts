/**
 * Scenarios 6 (footprint) and 7 (start-up), measured on the same gateway runs: a gateway with N
 * accounts, each on its own imsg-sim database, agent `none`, default supervision timings (so the
 * idle figures include the real liveness probes, one per account every 15 s).
 * - Start-up: from spawning `imessage-gateway start` to the last account's "streaming" log record
 *   (the gateway's own timestamp). It includes starting N imsg-sim Node processes on this machine.
 * - Footprint: after every account streams and a settling pause, the gateway process's RSS
 *   (/proc/<pid>/status VmRSS, mean of one sample a second) and CPU ((utime+stime) from
 *   /proc/<pid>/stat over the window / wall time). The imsg children are not counted: on a real
 *   Mac they are imsg, not Node.
 */
import { join } from 'node:path';
import { initSimDb } from '../../src/sim/index.js';
import { procUsage, startGateway } from '../lib/gateway.js';
import { SIM_BIN, tempDir } from '../lib/paths.js';
import { info, judged, type Row, type ScenarioResult } from '../lib/report.js';
import { mean, round, sleep } from '../lib/stats.js';

export interface FleetRun {
  accounts: number;
  startupMs: number;
  allStreaming: boolean;
  restarts: number;
  rssMb: number;
  cpuPercent: number;
  windowMs: number;
}

export interface FleetOptions {
  sizes: number[];
  settleMs: number;
  windowMs: number;
}

async function runFleet(n: number, o: FleetOptions): Promise<FleetRun> {
  const dir = tempDir(`fleet-${n}`);
  const accounts: Record<string, Record<string, unknown>> = {};
  for (let i = 1; i <= n; i++) {
    const id = `acct${String(i).padStart(3, '0')}`;
    const db = join(dir, `${id}.db`);
    initSimDb(db);
    accounts[id] = { dbPath: db };
  }
  const gw = startGateway({
    home: tempDir(`fleet-${n}-home`),
    config: {
      imessage: { cliPath: SIM_BIN, dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open', accounts },
      agents: { list: [{ id: 'main', name: 'Sink', default: true, handler: { type: 'none' } }] },
    },
  });
  const spawnedAt = Date.now();
  try {
    const deadline = Date.now() + 60_000 + n * 1000;
    let allStreaming = false;
    while (Date.now() < deadline) {
      const s = gw.status();
      if (s && s.accounts.length === n && s.accounts.every((a) => a.state === 'streaming')) {
        allStreaming = true;
        break;
      }
      if (!gw.alive) throw new Error(`gateway exited; log:\n${gw.tail()}`);
      await sleep(100);
    }
    const firstStreaming = new Map<string, number>();
    for (const r of gw.records('"msg":"streaming"')) {
      if (r.account && !firstStreaming.has(r.account)) firstStreaming.set(r.account, r.time);
    }
    const startupMs = firstStreaming.size === n ? Math.max(...firstStreaming.values()) - spawnedAt : Number.NaN;
    await sleep(o.settleMs);
    const rss: number[] = [];
    const first = procUsage(gw.pid);
    const t1 = Date.now();
    while (Date.now() - t1 < o.windowMs) {
      await sleep(1000);
      const u = procUsage(gw.pid);
      if (u) rss.push(u.rssKb / 1024);
    }
    const last = procUsage(gw.pid);
    const t2 = Date.now();
    const cpuPercent = first && last ? ((last.cpuMs - first.cpuMs) / (t2 - t1)) * 100 : Number.NaN;
    const restarts = (gw.status()?.accounts ?? []).reduce((x, a) => x + a.restarts, 0);
    return { accounts: n, startupMs, allStreaming, restarts, rssMb: mean(rss), cpuPercent, windowMs: t2 - t1 };
  } finally {
    await gw.stop({ timeoutMs: 30_000 });
  }
}

export async function runFleets(o: FleetOptions): Promise<{ footprint: ScenarioResult; startup: ScenarioResult }> {
  const started = Date.now();
  const runs: FleetRun[] = [];
  for (const n of o.sizes) runs.push(await runFleet(n, o));
  const fleetMs = Date.now() - started;
  const one = runs.find((r) => r.accounts === 1);
  const largest = runs[runs.length - 1]!;
  const rows: Row[] = runs.map((r) => info(6, `gateway RSS idle, ${r.accounts} account${r.accounts > 1 ? 's' : ''}`, r.rssMb, 'MB'));
  if (one && largest.accounts > 1) {
    const perAccount = (largest.rssMb - one.rssMb) / (largest.accounts - 1);
    rows.push(judged(6, `RSS per additional account (1 → ${largest.accounts})`, perAccount, 'MB', { op: '<', limit: 2 }, '< 2 MB'));
  }
  for (const r of runs) {
    if (r.accounts === largest.accounts) {
      rows.push(judged(6, `gateway CPU idle, ${r.accounts} accounts`, r.cpuPercent, '%', { op: '<', limit: 1 }, largest.accounts === 100 ? '< 1%' : '< 1% (target set at 100 accounts)'));
    } else rows.push(info(6, `gateway CPU idle, ${r.accounts} account${r.accounts > 1 ? 's' : ''}`, r.cpuPercent, '%'));
  }
  const details = {
    settleMs: o.settleMs,
    windowMs: o.windowMs,
    runs: runs.map((r) => ({ ...r, rssMb: round(r.rssMb, 1), cpuPercent: round(r.cpuPercent, 2) })),
    supervision: 'defaults (livenessIntervalMs 15000: the real idle load)',
  };
  const startupRows = runs
    .filter((r) => r.accounts > 1)
    .map((r) => info(7, `start → all ${r.accounts} accounts streaming`, r.allStreaming ? r.startupMs : null, 'ms'));
  return {
    footprint: { scenario: 6, name: 'Footprint: gateway idle with N accounts', rows, details, ms: fleetMs },
    startup: {
      scenario: 7,
      name: 'Start-up: start → all accounts streaming',
      rows: startupRows,
      details: { runs: runs.filter((r) => r.accounts > 1).map((r) => ({ accounts: r.accounts, startupMs: r.startupMs, restarts: r.restarts, allStreaming: r.allStreaming })), measuredWith: 'the scenario-6 gateway runs' },
      ms: 0,
    },
  };
}
