/**
 * Resource limits of the loopback servers, over real TCP sockets: the connection cap (oldest idle
 * connection evicted first), the header timeout against slow clients, the long-lived event stream
 * and inspector viewers exempt from the timeouts but kept out of the reserved slots.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpLimits } from '../../src/web/connection-limits.js';
import { startControlServer, type ControlServer } from '../../src/web/control-server.js';
import { startInspectorRelay, type InspectorRelay } from '../../src/web/inspector.js';
import { rawRequest } from './http-helpers.js';
import { accountStatus, StandInBackend } from './stand-in-backend.js';
import { wsConnect } from './ws-client.js';
import { type RawClient, rawClients } from '../helpers/raw-tcp.js';

const homes: string[] = [];
const { open, destroyAll } = rawClients();
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  destroyAll();
  for (const close of closers.splice(0)) await close();
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

const LONG: HttpLimits = {
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 120_000,
};

async function control(limits: Partial<HttpLimits>, heartbeatMs = 60_000): Promise<{ server: ControlServer; backend: StandInBackend }> {
  const home = mkdtempSync(join(tmpdir(), 'ig-limits-'));
  homes.push(home);
  const backend = new StandInBackend([accountStatus('main')]);
  const server = await startControlServer({ backend, home: join(home, 'home'), port: 0, heartbeatMs, limits: { ...LONG, ...limits } });
  closers.push(() => server.close());
  tokens.set(server.port, server.token);
  return { server, backend };
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const status = (server: ControlServer) =>
  rawRequest(server.port, { path: '/api/status', headers: { authorization: `Bearer ${server.token}` } });

function sseRequest(server: ControlServer): string {
  return `GET /api/events HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\nauthorization: Bearer ${server.token}\r\n\r\n`;
}

/**
 * Four connections, each closed by one timeout: silent (headers), kept alive after a complete
 * request (keep-alive), a POST whose body never comes (idle), a POST whose body drips (request).
 */
async function timeoutProbes(port: number, postPath: string): Promise<RawClient[]> {
  const host = `host: 127.0.0.1:${port}\r\nauthorization: Bearer ${tokenOf(port)}\r\n`;
  const silent = await open(port);
  const keptAlive = await open(port, `GET /api/status HTTP/1.1\r\n${host}\r\n`);
  const noBody = await open(port, `POST ${postPath} HTTP/1.1\r\n${host}content-type: application/json\r\ncontent-length: 10\r\n\r\n`);
  const dripping = await open(port, `POST ${postPath} HTTP/1.1\r\n${host}content-type: application/json\r\ncontent-length: 1000\r\n\r\n`);
  const drip = setInterval(() => (dripping.closed ? clearInterval(drip) : dripping.socket.write(' ')), 100);
  return [silent, keptAlive, noBody, dripping];
}

const tokens = new Map<number, string>();
const tokenOf = (port: number): string => tokens.get(port) ?? '';

describe('the control port under load', () => {
  it('300 idle connections are capped: at most maxConnections stay open, and status still answers', async () => {
    const { server } = await control({ maxConnections: 16 });
    const clients: RawClient[] = [];
    for (let i = 0; i < 300; i++) clients.push(await open(server.port));
    await waitUntil(() => clients.filter((c) => !c.closed).length <= 16, 'the server to close all but 16 connections');
    // The survivors are the newest: the oldest idle ones made room.
    expect(clients.slice(0, 284).every((c) => c.closed)).toBe(true);
    // A short request finds a slot (it evicts the oldest idle connection) while the rest stay open.
    const answer = await status(server);
    expect(answer.status).toBe(200);
    expect((answer.json as { accounts: unknown[] }).accounts).toHaveLength(1);
  });

  it('400 slow clients (a header line every 100 ms) are all closed by the header timeout, with 408', async () => {
    const { server } = await control({ headersTimeoutMs: 500, requestTimeoutMs: 1_000 });
    const clients: RawClient[] = [];
    for (let i = 0; i < 400; i++) clients.push(await open(server.port, `GET /api/status HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\n`));
    const drip = setInterval(() => {
      for (const c of clients) if (!c.closed && c.socket.writable) c.socket.write('x-slow: 1\r\n');
    }, 100);
    try {
      const started = Date.now();
      await waitUntil(() => clients.every((c) => c.closed), 'every slow client to be closed', 15_000);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      clearInterval(drip);
    }
    // The ones that held a slot (the 64 newest) were timed out and told so; the rest made room.
    const timedOut = clients.filter((c) => c.received.startsWith('HTTP/1.1 408'));
    expect(timedOut.length).toBeGreaterThanOrEqual(1);
    expect(clients.slice(0, 336).every((c) => !c.received.startsWith('HTTP/1.1 200'))).toBe(true);
    expect((await status(server)).status).toBe(200);
  });

  it('the event stream outlives the header, request, keep-alive and idle timeouts', async () => {
    const { server, backend } = await control({ headersTimeoutMs: 200, requestTimeoutMs: 600, keepAliveTimeoutMs: 200, idleTimeoutMs: 400 });
    const stream = await open(server.port, sseRequest(server));
    await waitUntil(() => stream.received.includes('event: status'), 'the initial status event');
    // Each timeout closes a connection of its own kind; when all four are closed, each timeout
    // has elapsed while the stream, opened first, stayed quiet (heartbeat 60 s).
    const probes = await timeoutProbes(server.port, `/api/send`);
    await waitUntil(() => probes.every((p) => p.closed), 'the four probes to be closed', 5_000);
    expect(probes[1]!.received).toMatch(/^HTTP\/1\.1 200/); // kept alive after its answer, then closed
    expect(probes[3]!.received).toMatch(/^HTTP\/1\.1 408/); // a body still dripping at the request timeout
    expect(stream.closed).toBe(false);
    backend.transition('main', 'backoff-restart', 'test');
    await waitUntil(() => stream.received.includes('event: transition'), 'a pushed transition');
  });

  it('event streams cannot take the slots kept for short requests', async () => {
    const { server } = await control({ maxConnections: 4 }); // 1 reserved
    const streams = [await open(server.port, sseRequest(server)), await open(server.port, sseRequest(server)), await open(server.port, sseRequest(server))];
    await waitUntil(() => streams.every((s) => s.received.includes('event: status')), 'three streams');
    const fourth = await open(server.port, sseRequest(server));
    await waitUntil(() => fourth.received.includes('\r\n\r\n'), 'an answer to the fourth stream');
    expect(fourth.received).toMatch(/^HTTP\/1\.1 503/);
    fourth.socket.destroy();
    await waitUntil(() => fourth.closed, 'the fourth to close');
    expect((await status(server)).status).toBe(200);
    expect(streams.every((s) => !s.closed)).toBe(true);
  });
});

describe('the inspector relay under load', () => {
  async function relay(limits: Partial<HttpLimits>): Promise<InspectorRelay> {
    const r = await startInspectorRelay({ port: 0, token: 'a'.repeat(64), limits: { ...LONG, ...limits } });
    closers.push(() => r.close());
    return r;
  }

  it('a viewer outlives the timeouts, and idle connections are capped', async () => {
    const r = await relay({ maxConnections: 8, headersTimeoutMs: 200, requestTimeoutMs: 600, keepAliveTimeoutMs: 200, idleTimeoutMs: 400 });
    const viewer = await wsConnect(r.port, ['imessage-gateway-inspect', `bearer.${'a'.repeat(64)}`]);
    expect(viewer.status).toBe(101);
    let viewerClosed = false;
    viewer.socket!.on('close', () => (viewerClosed = true));
    const idle: RawClient[] = [];
    for (let i = 0; i < 50; i++) idle.push(await open(r.port));
    const probes = await timeoutProbes(r.port, '/');
    await waitUntil(() => [...idle, ...probes].every((c) => c.closed), 'every idle connection and probe to be closed', 5_000);
    expect(viewerClosed).toBe(false);
    r.publish({ type: '@xstate.event', sessionId: 'x' } as never);
    await waitUntil(() => viewer.messages.some((m) => m.includes('@xstate.event')), 'the viewer to get a record');
  });
});
