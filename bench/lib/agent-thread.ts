/**
 * Scenario 3's agent, on a thread of its own (bench/scenarios/latency.ts starts it): an HTTP server
 * that answers every POST at once with no reply and stamps each `lat-…` marker in the body with
 * its arrival time. It runs beside the injector, not on its thread: the injector's SQLite commits
 * and checkpoints and the bench process's GC stall that thread for 20-50 ms about every 100 ms at
 * 1,000/s. On it, each stall held both the stamps and the answers, and a consumer with one turn at
 * a time per sender (the gateway's per-peer lanes) then queued behind every stall of the
 * instrument itself.
 *
 * Stamps are on the injector's clock: process.hrtime (one monotonic clock for every thread of the
 * process) plus the offset the injector's thread passes in (its nowMs() minus hrtime at one instant).
 * Arrivals go back in batches: `[marker, arrivedAt, receivedAt | null]`, receivedAt being the
 * gateway's `receivedAt` stamp of that message (ms since the epoch), when the envelope has one.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

export type Arrival = [marker: string, arrivedAt: number, receivedAt: number | null];

export type AgentThreadMessage = { type: 'listening'; port: number } | { type: 'arrivals'; arrivals: Arrival[] };

/** The text marker, then the next `receivedAt` of the envelope (or of its collected entry) that carries it. */
const MARKER_STAMP = /lat-([a-z]\d+-\d+)(?:(?!lat-)[\s\S])*?"receivedAt":"([^"]+)"/g;
const MARKER = /lat-([a-z]\d+-\d+)/g;

/** The markers of one POST body, each with when it arrived and, when the envelope says, when the gateway took its line. */
export function arrivalsOf(body: string, arrivedAt: number): Arrival[] {
  const received = new Map<string, number>();
  for (const m of body.matchAll(MARKER_STAMP)) {
    const at = Date.parse(m[2]!);
    if (Number.isFinite(at) && !received.has(m[1]!)) received.set(m[1]!, at);
  }
  const out: Arrival[] = [];
  const seen = new Set<string>();
  for (const m of body.matchAll(MARKER)) {
    if (seen.has(m[1]!)) continue;
    seen.add(m[1]!);
    out.push([m[1]!, arrivedAt, received.get(m[1]!) ?? null]);
  }
  return out;
}

function run(offsetMs: number): void {
  const port = parentPort!;
  const now = (): number => Number(process.hrtime.bigint()) / 1e6 + offsetMs;
  let pending: Arrival[] = [];
  let flushing = false;
  const flush = (): void => {
    flushing = false;
    if (pending.length === 0) return;
    port.postMessage({ type: 'arrivals', arrivals: pending } satisfies AgentThreadMessage);
    pending = [];
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"replies":[]}');
      for (const a of arrivalsOf(Buffer.concat(chunks).toString('utf8'), at)) pending.push(a);
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    port.postMessage({ type: 'listening', port: (server.address() as AddressInfo).port } satisfies AgentThreadMessage);
  });
  port.on('message', (m: unknown) => {
    if (m !== 'close') return;
    flush();
    server.closeAllConnections();
    server.close(() => port.close());
  });
}

if (parentPort && (workerData as { agentThread?: boolean } | null)?.agentThread) {
  run((workerData as { offsetMs: number }).offsetMs);
}
