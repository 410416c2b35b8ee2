/**
 * Issue 15, item 3 ("Logging: no synchronous log write per message on the hot path"), as a
 * mechanism test: a burst of DMs goes through the real inbound pipeline (real store in a temp dir,
 * real session lanes, policy and routes) with the gateway's logger at info level (two info lines
 * per message) writing through the gateway's own output (guarded-output.ts) into a file.
 * `fs.writeSync` is counted while the burst runs: the count must not grow with the number of
 * messages (it is zero), while every line still reaches the file. A control run with pino's
 * synchronous destination shows the counter does see synchronous log writes.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentHandler, AgentResult } from '../../src/agents/types.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import { GuardedOutput } from '../../src/util/guarded-output.js';
import { createLogger } from '../../src/util/logger.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { realPipeline } from '../helpers/real-pipeline.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempHome } from '../store/store-helpers.js';

const CREATED_AT = '2026-01-15T12:00:00.000Z';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The `none` agent's behaviour, in process: no reply (the pipeline logs "agent chose not to reply"). */
const silentAgent: AgentHandler = {
  agentId: 'main',
  kind: 'http',
  handle: (): Promise<AgentResult> => Promise.resolve({ replies: [] }),
};

/** `to`: a file descriptor (the gateway's own output on it) or any pino destination. */
function pipelineLoggingTo(to: number | pino.DestinationStream) {
  const home = tempHome('gw-nosync-');
  cleanups.push(home.cleanup);
  const output = typeof to === 'number' ? new GuardedOutput(to) : undefined;
  const logger = createLogger({ level: 'info', pretty: false, destination: output ?? (to as NodeJS.WritableStream) });
  const { pipeline, counters } = realPipeline({ dbPath: home.dbPath, homeDir: home.dir, agent: silentAgent, logger, cleanups });
  return { pipeline, counters, output };
}

function logFile(): { path: string; fd: number } {
  const dir = tempHome('gw-nosync-log-');
  cleanups.push(dir.cleanup);
  const path = join(dir.dir, 'gateway.log');
  const fd = fs.openSync(path, 'a', 0o600);
  cleanups.push(() => fs.closeSync(fd));
  return { path, fd };
}

function dm(id: number): ImsgMessage {
  const sender = `+1555123${String(id % 20).padStart(4, '0')}`;
  return imsgMessage({ id, chat_id: id, guid: `G-${id}`, text: `hello ${id}`, sender, chat_identifier: sender, chat_guid: `iMessage;-;${sender}`, participants: [sender], created_at: CREATED_AT });
}

/** Counts fs.writeSync calls from now on (the call still happens). */
function countSyncWrites(): () => number {
  const original = fs.writeSync.bind(fs);
  let count = 0;
  vi.spyOn(fs, 'writeSync').mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
    count++;
    return (original as (...a: unknown[]) => number)(...args);
  }) as typeof fs.writeSync);
  return () => count;
}

/** Runs `n` messages (row ids from `first`) through the pipeline; the sync writes it cost. */
async function burst(s: ReturnType<typeof pipelineLoggingTo>, first: number, n: number): Promise<number> {
  const before = s.counters.dispatched;
  const syncWrites = countSyncWrites();
  for (let i = 0; i < n; i++) s.pipeline.handle(dm(first + i));
  await waitUntil(() => (s.counters.dispatched === before + n ? true : undefined), `${n} turns complete`);
  const count = syncWrites();
  vi.restoreAllMocks();
  return count;
}

function linesIn(path: string, msg: string): number {
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`)).length;
}

describe('no synchronous log write per message on the hot path', () => {
  it('the sync-write count does not grow with the burst (it is zero), and every line still arrives', async () => {
    const log = logFile();
    const s = pipelineLoggingTo(log.fd);

    const small = await burst(s, 1, 10);
    const large = await burst(s, 1000, 300);
    expect({ small, large }).toEqual({ small: 0, large: 0 });

    await s.output!.drained(10_000);
    expect(linesIn(log.path, 'message accepted → agent')).toBe(310);
    expect(linesIn(log.path, 'agent chose not to reply')).toBe(310);
  });

  it('control: with pino’s synchronous destination the same burst is counted (one write per line at least)', async () => {
    const log = logFile();
    const s = pipelineLoggingTo(pino.destination({ dest: log.fd, sync: true }));
    const writes = await burst(s, 1, 50);
    expect(writes).toBeGreaterThanOrEqual(100);
  });

  it('the buffered tail is written by flushSync (what the process does on exit)', async () => {
    const log = logFile();
    const output = new GuardedOutput(log.fd);
    const logger = createLogger({ level: 'info', pretty: false, destination: output });
    for (let i = 0; i < 200; i++) logger.info({ i }, 'tail line');
    // Nothing has run asynchronously yet: the first line is in flight on the thread pool (its own
    // write delivers it), the other 199 are buffered and only flushSync can have written them now.
    output.flushSync();
    expect(linesIn(log.path, 'tail line')).toBeGreaterThanOrEqual(199);
    await output.drained(10_000);
    expect(linesIn(log.path, 'tail line')).toBe(200);
  });

  it('a descriptor that fails (EBADF here; EPIPE, EIO for real) closes the output once, and flushSync gives up at once', async () => {
    const log = logFile();
    const readOnly = fs.openSync(log.path, 'r');
    cleanups.push(() => fs.closeSync(readOnly));
    const output = new GuardedOutput(readOnly);
    const reasons: string[] = [];
    output.onClosed((r) => reasons.push(r));
    output.line('first');
    await waitUntil(() => (output.readerGone !== undefined ? true : undefined), 'the failed write to be seen');
    output.line('after the failure');
    const started = performance.now();
    output.flushSync();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(reasons).toHaveLength(1);

    // The exit path on a descriptor that fails before any asynchronous write could report it.
    const other = new GuardedOutput(readOnly);
    for (let i = 0; i < 10; i++) other.line(`line ${i}`);
    other.flushSync();
    expect(other.readerGone).toBeDefined();
  });
});
