/**
 * Scenario 5, recovery: a steady stream of messages (injected into imsg-sim's database) answered by
 * the `echo` agent, while the imsg child is killed with SIGKILL over and over, each time once the
 * account has been streaming again for a short while. Per kill: the time from the kill to the
 * account streaming again, minus the backoff delay the gateway chose (logged as retryInMs), i.e.
 * what detection, respawn, probe and resubscribe cost beyond the configured backoff. At the end,
 * every injected message must have exactly one reply row (is_from_me) in the simulator's database:
 * lost = messages without a reply, duplicated = reply rows beyond the first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { initSimDb, SimWriter } from '../../src/sim/index.js';
import { LogFollower, openAccount, simWrapper, startGateway, type LogRecord } from '../lib/gateway.js';
import { tempDir } from '../lib/paths.js';
import { info, judged, type ScenarioResult } from '../lib/report.js';
import { mean, percentile, round, sleep, waitFor } from '../lib/stats.js';
import { senderFor } from '../lib/stream.js';

export interface RecoveryOptions {
  kills: number;
  /** Inbound messages per second during the run. */
  rate: number;
}

function lastSpawnPid(spawnLog: string): number | undefined {
  try {
    const lines = readFileSync(spawnLog, 'utf8').trimEnd().split('\n');
    const last = lines[lines.length - 1];
    return last ? (JSON.parse(last) as { pid: number }).pid : undefined;
  } catch {
    return undefined;
  }
}

function replyCounts(db: string): Map<number, number> {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = conn.prepare('SELECT text FROM message WHERE is_from_me = 1').all() as Array<{ text: string | null }>;
    const counts = new Map<number, number>();
    for (const r of rows) {
      const m = /rec-(\d+)$/.exec(r.text ?? '');
      if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
    }
    return counts;
  } finally {
    conn.close();
  }
}

export async function runRecovery(o: RecoveryOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = tempDir('recovery');
  const db = join(dir, 'chat.db');
  initSimDb(db);
  const spawnLog = join(dir, 'spawns.ndjson');
  const cli = simWrapper(dir, 'imsg-recovery', { IMSG_SIM_SPAWN_LOG: spawnLog });
  const supervision = {
    // Each kill is a first failure after a stable period: backoff = backoffInitialMs with equal
    // jitter (50-100 ms), never the doubled delays, so every kill measures the same thing.
    backoffInitialMs: 100,
    backoffMaxMs: 100,
    stableAfterMs: 200,
    // 100 kills in about a minute must not trip the restart-intensity cool-down.
    restartIntensity: { maxRestarts: 100_000, windowMs: 60_000 },
    // The kill is seen as the child's exit; a liveness probe would only add noise.
    livenessIntervalMs: 600_000,
    stopTimeoutMs: 500,
  };
  const gw = startGateway({
    home: tempDir('recovery-home'),
    config: {
      imessage: openAccount(cli, db),
      agents: { list: [{ id: 'main', name: 'Echo', default: true, handler: { type: 'echo' } }] },
      // One turn, so one echo reply, per message: what "lost" and "duplicated" count. Under the
      // default `collect`, messages waiting behind a busy turn are answered by one reply naming
      // only the latest, and the earlier ones would be counted as lost although the journal has
      // them dispatched (the 2026-11-30 run: 4,459 "lost", every one in a collected turn).
      messages: { queue: { mode: 'followup' } },
      gateway: { supervision },
    },
  });
  const follower = new LogFollower(gw.logFile);
  const streamingAt: number[] = [];
  const pollLog = (): void => {
    for (const r of follower.poll()) if (r.msg === 'streaming') streamingAt.push(r.time);
  };

  const writer = new SimWriter(db);
  writer.db.pragma('synchronous = NORMAL');
  let injected = 0;
  let injecting = true;
  // Started once the account streams: a new account reads from "now" (catchUp none), so rows
  // written before its first subscribe are, by design, not its messages.
  const startInjector = async (): Promise<void> => {
    const t0 = Date.now();
    while (injecting) {
      const due = Math.floor(((Date.now() - t0) / 1000) * o.rate);
      for (; injected < due; injected++) writer.injectMessage({ from: senderFor(injected, 20), text: `rec-${injected}` });
      await sleep(5);
    }
  };

  let injector: Promise<void> = Promise.resolve();
  const kills: number[] = [];
  let missedPid = 0;
  let drained = false;
  try {
    await waitFor(() => (pollLog(), streamingAt.length > 0) || undefined, 'the gateway to stream', 30_000);
    injector = startInjector();
    await sleep(500);
    while (kills.length < o.kills) {
      const since = kills[kills.length - 1] ?? 0;
      await waitFor(() => (pollLog(), streamingAt.some((t) => t > since)) || undefined, 'streaming after a kill', 30_000, 10);
      await sleep(250 + Math.random() * 250);
      const pid = lastSpawnPid(spawnLog);
      if (!pid) throw new Error('no imsg-sim pid in the spawn log');
      try {
        process.kill(pid, 'SIGKILL');
        kills.push(Date.now());
      } catch {
        missedPid++;
        if (missedPid > 20) throw new Error('the imsg child pid keeps disappearing before the kill');
      }
    }
    await waitFor(() => (pollLog(), streamingAt.some((t) => t > kills[kills.length - 1]!)) || undefined, 'streaming after the last kill', 30_000, 10);
    await sleep(500);
  } finally {
    injecting = false;
    await injector;
    writer.close();
  }
  // Drain: every message answered, or no progress for 20 s.
  let replies = replyCounts(db);
  let lastProgress = Date.now();
  let lastSize = replies.size;
  while (replies.size < injected && Date.now() - lastProgress < 20_000) {
    await sleep(250);
    replies = replyCounts(db);
    if (replies.size !== lastSize) {
      lastSize = replies.size;
      lastProgress = Date.now();
    }
  }
  drained = replies.size >= injected;
  await sleep(drained ? 500 : 0);
  replies = replyCounts(db);
  await gw.stop();

  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < injected; i++) {
    const c = replies.get(i) ?? 0;
    if (c === 0) lost++;
    else duplicated += c - 1;
  }
  const backoffs = gw.records('restarting with backoff');
  const streams = gw.records('"msg":"streaming"');
  const overheads: number[] = [];
  const totals: number[] = [];
  for (const tk of kills) {
    const b = backoffs.find((r: LogRecord) => r.time >= tk);
    const s = streams.find((r: LogRecord) => r.time > tk);
    if (!b || !s) continue;
    const total = s.time - tk;
    totals.push(total);
    overheads.push(total - Number(b['retryInMs'] ?? 0));
  }
  return {
    scenario: 5,
    name: 'Recovery: kill -9 of the imsg child during a steady stream',
    rows: [
      info(5, `kill → streaming beyond the backoff, p50 (${kills.length} kills)`, percentile(overheads, 50), 'ms'),
      info(5, `kill → streaming beyond the backoff, p99 (${kills.length} kills)`, percentile(overheads, 99), 'ms'),
      judged(5, `lost messages (of ${injected})`, lost, '', { op: '==', limit: 0 }, '0'),
      judged(5, `duplicated replies (of ${injected})`, duplicated, '', { op: '==', limit: 0 }, '0'),
    ],
    details: {
      kills: kills.length,
      injected,
      rate: o.rate,
      drained,
      overheadMeanMs: round(mean(overheads), 1),
      overheadMaxMs: round(Math.max(...overheads), 1),
      killToStreamingP50Ms: round(percentile(totals, 50), 1),
      killToStreamingP99Ms: round(percentile(totals, 99), 1),
      matchedKills: overheads.length,
      supervision,
    },
    ms: Date.now() - started,
  };
}
