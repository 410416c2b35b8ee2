/**
 * Scenario 2, inbound throughput: the scenario-1 stream through the real gateway. imsg-sim runs in
 * replay mode (IMSG_SIM_REPLAY): right after the gateway's watch.subscribe it writes the file's
 * lines as fast as the pipe takes them; the gateway parses, normalises, journals (group commit),
 * applies policy and dispatches each message to the `none` agent (which never replies), and marks
 * the journal row dispatched. The gateway gets the first `maxLines` lines of the stream (it is far
 * slower than the limit reader, and the full stream would not fit the run's time budget). Rate = messages (the `messages` field of each "agent chose not to reply" record: a collected
 * turn settles several) / (last such record − the "streaming" record), both timestamps taken by the gateway itself; the counters in status.json
 * confirm every message was received and dispatched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSimDb } from '../../src/sim/index.js';
import { commitsPerSecond } from '../lib/commit-probe.js';
import { openAccount, procUsage, simWrapper, startGateway, threadCpuMs, type StatusView } from '../lib/gateway.js';
import { tempDir } from '../lib/paths.js';
import { info, judged, type ScenarioResult } from '../lib/report.js';
import type { GeneratedStream } from '../lib/stream.js';
import { round, sleep } from '../lib/stats.js';

/** The first `lines` lines of the stream file, as a file of their own. */
function prefixOf(stream: GeneratedStream, lines: number, dir: string): { file: string; lines: number } {
  if (lines >= stream.lines) return { file: stream.file, lines: stream.lines };
  const text = readFileSync(stream.file);
  let end = 0;
  for (let k = 0; k < lines; k++) end = text.indexOf(0x0a, end) + 1;
  const file = join(dir, 'replay.ndjson');
  writeFileSync(file, text.subarray(0, end));
  return { file, lines };
}

export async function runInbound(
  stream: GeneratedStream,
  maxLines: number,
  refs: { parseOnlyPerSec: number; durablePerSec: number },
  opts: { cpuProfDir?: string } = {},
): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = tempDir('inbound');
  const db = join(dir, 'chat.db');
  initSimDb(db);
  const replay = prefixOf(stream, maxLines, dir);
  const commitsBefore = commitsPerSecond(dir);
  const cli = simWrapper(dir, 'imsg-replay', { IMSG_SIM_REPLAY: replay.file });
  const supervision = {
    // Nothing but the stream should run in the gateway while it is measured: no liveness probe
    // (chats.list) in the middle, and no deadline fired by an event loop that is busy on purpose.
    livenessIntervalMs: 600_000,
    probeTimeoutMs: 60_000,
    readTimeoutMs: 60_000,
  };
  const gw = startGateway({
    home: tempDir('inbound-home'),
    config: {
      imessage: openAccount(cli, db),
      agents: { list: [{ id: 'main', name: 'Sink', default: true, handler: { type: 'none' } }] },
      gateway: { supervision },
    },
    ...(opts.cpuProfDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] } : {}),
  });
  const n = replay.lines;
  const deadline = Date.now() + Math.max(60_000, (n / 100) * 1000);
  let last: { received: number; dispatched: number; dropped: number } = { received: 0, dispatched: 0, dropped: 0 };
  let lastStatus: StatusView | undefined;
  // CPU time of the gateway (all threads, and its main thread) against messages settled, from the
  // first status that shows some settled to the last poll: a figure the machine's other load moves
  // far less than the rate does.
  let cpuFrom: { settled: number; all: number; main: number } | undefined;
  let cpuTo: { settled: number; all: number; main: number } | undefined;
  try {
    for (;;) {
      const st = gw.status();
      if (st) lastStatus = st;
      const a = st?.accounts.find((x) => x.id === 'default');
      if (a) {
        const dropped = Object.values(a.counters.dropped).reduce((x, y) => x + y, 0);
        last = { received: a.counters.received, dispatched: a.counters.dispatched, dropped };
        const all = procUsage(gw.pid)?.cpuMs;
        const main = threadCpuMs(gw.pid, gw.pid);
        const settledNow = a.counters.dispatched + dropped;
        if (all !== undefined && main !== undefined && settledNow > 0 && settledNow < n) {
          const sample = { settled: settledNow, all, main };
          cpuFrom ??= sample;
          cpuTo = sample;
        }
        if (a.counters.dispatched + dropped >= n) break;
      }
      if (!gw.alive) throw new Error(`gateway exited; log:\n${gw.tail()}`);
      if (Date.now() > deadline) throw new Error(`only ${last.dispatched}/${n} dispatched before the deadline; log:\n${gw.tail()}`);
      await sleep(200);
    }
  } finally {
    await gw.stop({ waitForExit: opts.cpuProfDir !== undefined });
  }
  const commitsAfter = commitsPerSecond(dir);
  const commits = (commitsBefore + commitsAfter) / 2;
  const streaming = gw.records('"msg":"streaming"')[0];
  const done = gw.records('agent chose not to reply');
  if (!streaming || done.length === 0) throw new Error(`no streaming/dispatch records in the log:\n${gw.tail()}`);
  const t0 = streaming.time;
  const tEnd = Math.max(...done.map((r) => r.time));
  const firstDispatch = Math.min(...done.map((r) => r.time));
  // A turn settles one message, or several under messages.queue `collect` (the default): the
  // record's `messages` field says how many. Counting records would count turns, not messages.
  const settled = done.reduce((sum, r) => sum + (typeof r['messages'] === 'number' ? r['messages'] : 1), 0);
  const rate = settled / ((tEnd - t0) / 1000);
  const ratio = (rate / refs.durablePerSec) * 100;
  const parseRatio = (rate / refs.parseOnlyPerSec) * 100;
  const loop = lastStatus?.eventLoop;
  const storeCommits = lastStatus?.storeCommits;
  const cpuMessages = cpuFrom && cpuTo ? cpuTo.settled - cpuFrom.settled : 0;
  // µs per message; null when the burst was over before two polls saw it.
  const cpuPerMessage = (pick: 'all' | 'main') =>
    cpuFrom && cpuTo && cpuMessages >= 1000 ? round(((cpuTo[pick] - cpuFrom[pick]) * 1000) / cpuMessages, 1) : null;
  return {
    scenario: 2,
    name: 'Inbound throughput through the gateway',
    rows: [
      info(2, 'messages/s through the gateway (none agent)', rate, 'msg/s'),
      judged(2, 'ratio to the durable journal-only reader (scenario 1)', ratio, '%', { op: '>=', limit: 50 }, '≥ 50%'),
      info(2, 'ratio to the parse-only reader (context)', parseRatio, '%'),
      judged(2, 'p99 event-loop delay during the burst', loop?.p99Ms ?? null, 'ms', { op: '<=', limit: 10 }, '≤ 10 ms'),
      info(2, 'gateway main-thread CPU per message (context)', cpuPerMessage('main'), 'µs'),
      info(2, 'gateway CPU per message, all threads (context)', cpuPerMessage('all'), 'µs'),
      info(2, 'longest store commit during the burst', storeCommits?.maxMs ?? null, 'ms'),
      info(2, 'durable SQLite commits/s on this disk (WAL, synchronous=FULL)', commits, 'commits/s'),
    ],
    details: {
      messages: n,
      dispatched: settled,
      turns: done.length,
      counters: last,
      seconds: round((tEnd - t0) / 1000, 2),
      firstDispatchAfterMs: firstDispatch - t0,
      supervision,
      cpuProfile: opts.cpuProfDir ?? null,
      eventLoop: loop ?? null,
      cpuWindow: cpuFrom && cpuTo ? { messages: cpuMessages, mainMs: cpuTo.main - cpuFrom.main, allMs: cpuTo.all - cpuFrom.all } : null,
      storeCommits: storeCommits ?? null,
      commitsPerMessage: storeCommits ? round(storeCommits.commits / n, 3) : null,
      commitsPerSecBefore: round(commitsBefore, 0),
      commitsPerSecAfter: round(commitsAfter, 0),
    },
    ms: Date.now() - started,
  };
}
