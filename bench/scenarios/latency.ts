/**
 * Scenario 3, latency: messages injected at a steady rate into imsg-sim's database (one
 * transaction each, as Messages.app writes them); time from the commit of the row (bench process)
 * to the agent receiving it. The agent is a server inside the bench process which stamps each
 * POST's arrival: same clock as the injector, sub-millisecond precision, nothing spawned per
 * message.
 *
 * Two consumers, measured side by side in the same run, each on its own simulator database with
 * the same settings: the gateway (an `http` agent, `session.dmScope: "per-peer"`, 20 senders), then
 * the minimal durable relay (bench/relay.ts: journal, then a keep-alive POST, no lanes or policy).
 * The targets are ratios to the relay: p99 at most 2× the relay's at 100/s and at 1,000/s, and at
 * 1,000/s at least 99% delivered (within 1 s of the last injection); at most 0.5 durable commits
 * per message at 1,000/s (the gateway's own count, status.json `storeCommits`). At 2,000/s, at
 * least 99% delivered with `messages.queue.mode: "collect"` once the gateway has that setting.
 *
 * Simulator settings (through its cliPath wrapper): fallback poll IMSG_SIM_POLL_MS, and the hidden
 * override IMSG_SIM_DEBOUNCE_MS=0, because the gateway subscribes with imsg's default debounce of
 * 500 ms (leading edge), which would otherwise dominate the figure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { validateConfigObject } from '../../src/config/index.js';
import { initSimDb, SimWriter } from '../../src/sim/index.js';
import { type BenchGateway, openAccount, simWrapper, startGateway, type StatusView } from '../lib/gateway.js';
import type { AgentThreadMessage } from '../lib/agent-thread.js';
import { BENCH_BUILD, tempDir } from '../lib/paths.js';
import { info, judged, type Row, type ScenarioResult } from '../lib/report.js';
import { mean, medianIndex, nowMs, percentile, round, sleep, waitFor } from '../lib/stats.js';
import { senderFor } from '../lib/stream.js';

export interface LatencyPhase {
  rate: number;
  seconds: number;
  /** Messages at the start of the phase not counted (first HTTP connection, JIT warm-up). */
  warmup: number;
}

export interface LatencyOptions {
  /** Run in order on each consumer, each after the previous one has fully drained. */
  phases: LatencyPhase[];
  /** The rate the delivery and commit targets are judged at (the 1,000/s). */
  targetRate: number;
  /** The `collect` phase (2,000/s), run on the gateway only, when it has messages.queue.mode. */
  collectPhase: LatencyPhase;
  pollMs: number;
  /**
   * Rounds of gateway then relay, each a fresh consumer on a fresh database (default 1). The p99
   * ratios are judged on the round with the median ratio at each rate (not the best), delivery
   * on the worst round and commits per message on the highest.
   */
  rounds?: number;
}

/** A message counts as delivered when it reaches the agent within this long after the phase's last injection. */
const DELIVERY_GRACE_MS = 1000;
const SENDERS = 20;

interface PhaseResult {
  rate: number;
  injected: number;
  measured: number;
  missing: number;
  /** Share of the counted messages that reached the agent within DELIVERY_GRACE_MS of the last injection. */
  deliveredPct: number;
  lateTicks: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Messages the agent received per second between the phase's first injection and its last arrival. */
  deliveredPerSec: number;
  /** The gateway's durable commits per injected message during the phase (null for the relay). */
  commitsPerMessage: number | null;
  /**
   * The ten slowest messages: [ms since the phase started, latency ms, of which before the gateway
   * took the line (the envelope's receivedAt; gateway only)], to spot periodic stalls.
   */
  slowest: Array<[number, number] | [number, number, number]>;
  /**
   * The gateway's latency cut in two at the envelope's `receivedAt` (ms precision): injection →
   * the gateway handles imsg's line (imsg-sim's watch, the pipe, the line pacer), then → the agent
   * (journal, dispatch, lane, HTTP). Null for the relay, whose POST carries no such stamp.
   */
  /**
   * The event-loop delay of the injector's thread during the phase (ms): its own stalls (commits,
   * checkpoints, GC) hold injections back; the agent's thread does not share them.
   */
  injectorLoop: { p99: number; max: number };
  split: { toGatewayP50: number; toGatewayP99: number; inGatewayP50: number; inGatewayP99: number } | null;
}

/** True when this build's config accepts messages.queue.mode (issue 15, item 2). */
function hasCollect(): boolean {
  try {
    validateConfigObject(
      {
        imessage: { accounts: { a: { cliPath: '/usr/local/bin/imsg' } } },
        agents: { list: [{ id: 'main', default: true, handler: { type: 'none' } }] },
        messages: { queue: { mode: 'collect' } },
      },
      'bench probe',
      { homeDir: tempDir('collect-probe') },
    );
    return true;
  } catch {
    return false;
  }
}

/** When each marker arrived at the agent, and when the gateway took its line (`receivedAt`, gateway only). */
interface Arrivals {
  at: Map<string, number>;
  received: Map<string, number>;
}

/**
 * The agent (bench/lib/agent-thread.ts), on a thread of its own so the injector's stalls on this
 * one neither delay its answers nor its stamps: every `lat-…` marker of each POST (collected
 * messages included), stamped on this thread's clock.
 */
async function startAgentServer(arrivals: Arrivals): Promise<{ port: number; close(): Promise<void> }> {
  const offsetMs = nowMs() - Number(process.hrtime.bigint()) / 1e6;
  const worker = new Worker(new URL('../lib/agent-thread.js', import.meta.url), { workerData: { agentThread: true, offsetMs } });
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: AgentThreadMessage) => {
      if (m.type === 'listening') resolve(m.port);
      else
        for (const [marker, at, received] of m.arrivals) {
          if (!arrivals.at.has(marker)) arrivals.at.set(marker, at);
          if (received !== null && !arrivals.received.has(marker)) arrivals.received.set(marker, received);
        }
    });
  });
  return {
    port,
    close: async () => {
      worker.postMessage('close');
      await Promise.race([ended, sleep(5_000).then(() => worker.terminate())]);
    },
  };
}

/** Injects one phase and waits for it to drain; `commits` reads the consumer's commit count (gateway only). */
async function runPhase(
  tag: string,
  phase: LatencyPhase,
  writer: SimWriter,
  arrivals: Arrivals,
  commits?: () => Promise<number | undefined>,
): Promise<PhaseResult> {
  const commitsBefore = commits ? await commits() : undefined;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
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
      writer.injectMessage({ from: senderFor(i, SENDERS), text: `lat-${tag}-${i}` });
      injectedAt[i] = nowMs();
    }
    await sleep(1);
  }
  const lastInjection = nowMs();
  const arrived = (): number => {
    let n = 0;
    for (let k = 0; k < total; k++) if (arrivals.at.has(`${tag}-${k}`)) n++;
    return n;
  };
  await waitFor(() => arrived() >= total || undefined, 'every message to reach the agent', Math.max(15_000, (total / 100) * 1000), 100).catch(
    () => undefined,
  );
  loop.disable();
  const commitsAfter = commits ? await commits() : undefined;
  const latencies: number[] = [];
  const toGateway: number[] = [];
  const inGateway: number[] = [];
  const samples: PhaseResult['slowest'] = [];
  let missing = 0;
  let inTime = 0;
  let lastArrival = t0;
  for (let k = 0; k < total; k++) {
    const at = arrivals.at.get(`${tag}-${k}`);
    if (at !== undefined) lastArrival = Math.max(lastArrival, at);
    if (k < phase.warmup) continue;
    if (at === undefined) missing++;
    else {
      if (at <= lastInjection + DELIVERY_GRACE_MS) inTime++;
      latencies.push(at - injectedAt[k]!);
      const received = arrivals.received.get(`${tag}-${k}`);
      if (received === undefined) samples.push([round(injectedAt[k]! - t0, 0), round(at - injectedAt[k]!, 1)]);
      else {
        toGateway.push(received - injectedAt[k]!);
        inGateway.push(at - received);
        samples.push([round(injectedAt[k]! - t0, 0), round(at - injectedAt[k]!, 1), round(received - injectedAt[k]!, 1)]);
      }
    }
  }
  const counted = total - Math.min(total, phase.warmup);
  return {
    rate: phase.rate,
    injected: total,
    measured: latencies.length,
    missing,
    deliveredPct: counted > 0 ? (inTime / counted) * 100 : Number.NaN,
    lateTicks: late,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
    mean: mean(latencies),
    deliveredPerSec: (total - missing) / ((lastArrival - t0) / 1000),
    commitsPerMessage: commitsBefore !== undefined && commitsAfter !== undefined ? (commitsAfter - commitsBefore) / total : null,
    injectorLoop: { p99: round(loop.percentile(99) / 1e6, 1), max: round(loop.max / 1e6, 1) },
    slowest: samples.sort((a, b) => b[1] - a[1]).slice(0, 10),
    split:
      toGateway.length > 0
        ? {
            toGatewayP50: round(percentile(toGateway, 50), 1),
            toGatewayP99: round(percentile(toGateway, 99), 1),
            inGatewayP50: round(percentile(inGateway, 50), 1),
            inGatewayP99: round(percentile(inGateway, 99), 1),
          }
        : null,
  };
}

/** A fresh simulator database and wrapper with the scenario's settings. */
function simulator(pollMs: number, name: string): { db: string; cli: string; writer: () => SimWriter } {
  const dir = tempDir(`latency-${name}`);
  const db = join(dir, 'chat.db');
  initSimDb(db);
  const cli = simWrapper(dir, `imsg-${name}`, { IMSG_SIM_POLL_MS: String(pollMs), IMSG_SIM_DEBOUNCE_MS: '0' });
  return {
    db,
    cli,
    writer: () => {
      const w = new SimWriter(db);
      // The injector's own commits must not wait for an fsync each (SQLite's default FULL would
      // make it fall behind 1,000/s on this disk and compete with the consumer's fsyncs); a
      // committed row is visible to readers at once either way.
      w.db.pragma('synchronous = NORMAL');
      return w;
    },
  };
}

/**
 * The gateway's commit count, from status.json. The file is rewritten within a status tick (1 s)
 * of any change of its content, commits included (unchanged, it is only rewritten every 30 s:
 * src/supervisor/status-writer.ts), so a read more than a tick from now covers every commit so far.
 */
async function gatewayCommits(gw: BenchGateway): Promise<number | undefined> {
  await sleep(1_500);
  return gw.status()?.storeCommits?.commits;
}

async function runGateway(
  o: LatencyOptions,
  arrivals: Arrivals,
  port: number,
  /** The build has messages.queue.mode: the gateway runs `followup`, as the relay does. */
  collect: boolean,
  round: number,
  /** Then the 2,000/s phase on a gateway of its own with `collect`. */
  withCollectPhase = collect,
): Promise<{ phases: PhaseResult[]; collect?: PhaseResult }> {
  const sim = simulator(o.pollMs, 'gateway');
  const supervision = { livenessIntervalMs: 600_000 };
  const profDir = process.env['BENCH_CPU_PROF_LATENCY'];
  const gw = startGateway({
    ...(profDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : {}),
    home: tempDir('latency-home'),
    config: {
      imessage: openAccount(sim.cli, sim.db),
      agents: { list: [{ id: 'main', name: 'Timer', default: true, handler: { type: 'http', url: `http://127.0.0.1:${port}/agent`, timeoutMs: 60_000 } }] },
      session: { dmScope: 'per-peer' },
      ...(collect ? { messages: { queue: { mode: 'followup' } } } : {}),
      gateway: { supervision },
    },
  });
  const writer = sim.writer();
  const phases: PhaseResult[] = [];
  try {
    await waitFor(() => gw.account('default')?.state === 'streaming', 'the gateway to stream', 30_000);
    await sleep(300);
    for (const [p, phase] of o.phases.entries()) {
      phases.push(await runPhase(`g${round}${p}`, phase, writer, arrivals, () => gatewayCommits(gw)));
      await sleep(200);
    }
  } finally {
    writer.close();
    await gw.stop({ waitForExit: profDir !== undefined });
  }
  if (!withCollectPhase) return { phases };
  // The collect phase: a gateway of its own with messages.queue.mode "collect".
  const simC = simulator(o.pollMs, 'collect');
  const gwC = startGateway({
    home: tempDir('latency-collect-home'),
    config: {
      imessage: openAccount(simC.cli, simC.db),
      agents: { list: [{ id: 'main', name: 'Timer', default: true, handler: { type: 'http', url: `http://127.0.0.1:${port}/agent`, timeoutMs: 60_000 } }] },
      session: { dmScope: 'per-peer' },
      messages: { queue: { mode: 'collect' } },
      gateway: { supervision },
    },
  });
  const writerC = simC.writer();
  try {
    await waitFor(() => gwC.account('default')?.state === 'streaming', 'the collect gateway to stream', 30_000);
    await sleep(300);
    return { phases, collect: await runPhase('c0', o.collectPhase, writerC, arrivals) };
  } finally {
    writerC.close();
    await gwC.stop();
  }
}

async function runRelay(o: LatencyOptions, arrivals: Arrivals, port: number, round: number): Promise<PhaseResult[]> {
  const sim = simulator(o.pollMs, 'relay');
  const journal = join(tempDir('relay-journal'), 'journal.db');
  const relay: ChildProcess = spawn(process.execPath, [join(BENCH_BUILD, 'relay.js'), sim.cli, sim.db, journal, `http://127.0.0.1:${port}/relay`], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The same simulator profile as the gateway's (bench/lib/gateway.ts): 0.9, with the bench knobs.
    env: { ...process.env, IMSG_SIM_PROFILE: '0.9' },
  });
  let out = '';
  relay.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const writer = sim.writer();
  const phases: PhaseResult[] = [];
  try {
    await waitFor(() => out.includes('ready') || undefined, 'the relay to subscribe', 30_000);
    await sleep(300);
    for (const [p, phase] of o.phases.entries()) {
      phases.push(await runPhase(`r${round}${p}`, phase, writer, arrivals));
      await sleep(200);
    }
  } finally {
    writer.close();
    if (relay.exitCode === null) {
      relay.kill('SIGTERM');
      await new Promise((r) => relay.once('exit', r));
    }
  }
  return phases;
}

const rounded = (r: PhaseResult) => ({
  ...r,
  deliveredPct: round(r.deliveredPct, 2),
  p50: round(r.p50, 2),
  p90: round(r.p90, 2),
  p99: round(r.p99, 2),
  max: round(r.max, 2),
  mean: round(r.mean, 2),
  deliveredPerSec: round(r.deliveredPerSec, 0),
  commitsPerMessage: r.commitsPerMessage === null ? null : round(r.commitsPerMessage, 3),
});

export async function runLatency(o: LatencyOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const arrivals: Arrivals = { at: new Map(), received: new Map() };
  const agent = await startAgentServer(arrivals);
  const collect = hasCollect();
  const rounds: Array<{ gateway: PhaseResult[]; relay: PhaseResult[] }> = [];
  let collectPhase: PhaseResult | undefined;
  try {
    // Alternated, so a slow spell of the machine falls on both consumers rather than on one.
    for (let n = 0; n < Math.max(1, o.rounds ?? 1); n++) {
      // `followup` in every round (the build has the setting); the collect phase in the first only.
      const gw = await runGateway(o, arrivals, agent.port, collect, n, collect && n === 0);
      collectPhase ??= gw.collect;
      rounds.push({ gateway: gw.phases, relay: await runRelay(o, arrivals, agent.port, n) });
    }
  } finally {
    await agent.close();
  }
  // Per rate: the round whose p99 ratio is the median of the rounds'.
  const ratiosAt = o.phases.map((_, i) => rounds.map((r) => r.gateway[i]!.p99 / r.relay[i]!.p99));
  const judgedRound = ratiosAt.map(medianIndex);
  const gateway = { phases: judgedRound.map((n, i) => rounds[n]!.gateway[i]!), collect: collectPhase };
  const relay = judgedRound.map((n, i) => rounds[n]!.relay[i]!);
  const rows: Row[] = [];
  for (const [i, g] of gateway.phases.entries()) {
    const r = relay[i]!;
    rows.push(info(3, `p50 injection→agent at ${g.rate}/s: gateway`, g.p50, 'ms'));
    rows.push(info(3, `p50 injection→agent at ${g.rate}/s: relay`, r.p50, 'ms'));
    rows.push(info(3, `p99 injection→agent at ${g.rate}/s: gateway`, g.p99, 'ms'));
    rows.push(info(3, `p99 injection→agent at ${g.rate}/s: relay`, r.p99, 'ms'));
    if (g.split) {
      rows.push(info(3, `p99 at ${g.rate}/s: injection→gateway takes the line (context)`, g.split.toGatewayP99, 'ms'));
      rows.push(info(3, `p99 at ${g.rate}/s: line taken→agent (context)`, g.split.inGatewayP99, 'ms'));
    }
    const ratios = ratiosAt[i]!;
    const of = rounds.length > 1 ? ` (median of ${rounds.length} rounds)` : '';
    rows.push(judged(3, `p99 at ${g.rate}/s, gateway / relay${of}`, g.p99 / r.p99, '×', { op: '<=', limit: 2 }, '≤ 2×'));
    if (rounds.length > 1) {
      rows.push(info(3, `p99 at ${g.rate}/s, gateway / relay, lowest round (context)`, round(Math.min(...ratios), 2), '×'));
      rows.push(info(3, `p99 at ${g.rate}/s, gateway / relay, highest round (context)`, round(Math.max(...ratios), 2), '×'));
    }
    if (g.rate === o.targetRate) {
      // Delivery and commits: the worst round's, whichever round the ratio was judged on.
      const delivered = Math.min(...rounds.map((x) => x.gateway[i]!.deliveredPct));
      const commits = rounds.map((x) => x.gateway[i]!.commitsPerMessage).filter((c): c is number => c !== null);
      const worst = rounds.length > 1 ? ' (worst round)' : '';
      rows.push(judged(3, `delivered at ${g.rate}/s offered (20 senders, per-peer)${worst}`, delivered, '%', { op: '>=', limit: 99 }, '≥ 99%'));
      rows.push(info(3, `delivered at ${g.rate}/s offered: relay`, r.deliveredPct, '%'));
      rows.push(info(3, `agent dispatches/s sustained under ${g.rate}/s offered`, g.deliveredPerSec, 'msg/s'));
      rows.push(judged(3, `durable commits per message at ${g.rate}/s${worst}`, commits.length > 0 ? Math.max(...commits) : null, '', { op: '<=', limit: 0.5 }, '≤ 0.5'));
    }
  }
  if (gateway.collect) {
    rows.push(judged(3, `delivered at ${o.collectPhase.rate}/s offered with collect`, gateway.collect.deliveredPct, '%', { op: '>=', limit: 99 }, '≥ 99%'));
    rows.push(info(3, `p99 injection→agent at ${o.collectPhase.rate}/s with collect`, gateway.collect.p99, 'ms'));
  } else {
    rows.push({
      scenario: 3,
      metric: `delivered at ${o.collectPhase.rate}/s offered with collect`,
      value: null,
      unit: '%',
      target: '≥ 99%',
      status: 'not available',
      note: 'pending: messages.queue.mode (issue 15, item 2) is not in this build',
    });
  }
  return {
    scenario: 3,
    name: 'Latency: injection → agent, gateway against the minimal durable relay',
    rows,
    details: {
      pollMs: o.pollMs,
      debounceMs: 0,
      senders: SENDERS,
      deliveryGraceMs: DELIVERY_GRACE_MS,
      judgedRound,
      gateway: gateway.phases.map(rounded),
      relay: relay.map(rounded),
      rounds: rounds.map((x) => ({ gateway: x.gateway.map(rounded), relay: x.relay.map(rounded) })),
      collect: gateway.collect ? rounded(gateway.collect) : 'pending: messages.queue.mode is not in this build',
      supervision: { livenessIntervalMs: 600_000 },
    },
    ms: Date.now() - started,
  };
}
