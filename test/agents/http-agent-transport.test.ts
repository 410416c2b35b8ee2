/**
 * The http handler's transport (undici's shared keep-alive pools): connections are reused,
 * a keep-alive socket the server reset is replaced, body limits hold whether declared or streamed,
 * redirects follow fetch's rules, and the caller's envelope text is sent as is.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentError, HttpAgent } from '../../src/agents/index.js';
import { HTTP_BODY_LIMIT_BYTES } from '../../src/agents/http-agent.js';
import { makeEnvelope } from './fixtures.js';

const never = new AbortController().signal;
const servers: Array<Server | TcpServer> = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  socket: Socket;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, socket: req.socket });
      handler(req, res, body);
    });
  });
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, connections: () => connections };
}

const json = (res: ServerResponse, value: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

async function rejection(p: Promise<unknown>): Promise<AgentError> {
  const err = await p.then(
    () => {
      throw new Error('expected the handler to reject');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

describe('HttpAgent transport', () => {
  it('reuses keep-alive connections for consecutive turns', async () => {
    const srv = await serve((_req, res, body) => json(res, { replies: [{ text: `got ${(JSON.parse(body) as { text: string }).text}` }] }));
    const agent = new HttpAgent('a', { url: `${srv.base}/agent`, timeoutMs: 5_000 });
    for (let i = 0; i < 10; i++) {
      await expect(agent.handle(makeEnvelope({ text: `m${i}` }), never)).resolves.toEqual({ replies: [{ text: `got m${i}` }] });
    }
    expect(srv.seen).toHaveLength(10);
    // undici's pool may open a second connection for a request sent in the very turn the one
    // before it completed (its first connection is not yet marked free); never one per turn.
    expect(srv.connections()).toBeLessThanOrEqual(2);
    expect(new Set(srv.seen.map((s) => s.socket)).size).toBe(srv.connections());
  });

  it('sends the caller\'s envelope text byte for byte (the envelope is not stringified again)', async () => {
    const srv = await serve((_req, res) => json(res, { replies: [] }));
    const envelope = makeEnvelope({ text: 'héllo' });
    const text = JSON.stringify(envelope, null, 1); // distinguishable from a fresh JSON.stringify(envelope)
    await new HttpAgent('a', { url: srv.base, timeoutMs: 5_000 }).handle(envelope, never, text);
    expect(srv.seen[0]!.body).toBe(text);
    expect(srv.seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(text)));
  });

  it('a keep-alive socket the server resets on reuse is replaced: the turn succeeds on a new connection', async () => {
    // A raw server: the first connection answers one request with keep-alive, then resets when the
    // next request arrives on it; later connections answer normally.
    let connections = 0;
    const open = new Set<Socket>();
    const tcp = createTcpServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      const n = ++connections;
      let requests = 0;
      let buffer = '';
      socket.on('data', (chunk) => {
        buffer += chunk.toString('utf8');
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        buffer = '';
        requests++;
        if (n === 1 && requests === 2) {
          socket.resetAndDestroy();
          return;
        }
        const body = JSON.stringify({ replies: [{ text: `conn ${n}` }] });
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`);
      });
      socket.on('error', () => {});
    });
    servers.push(tcp);
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const agent = new HttpAgent('a', { url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, timeoutMs: 5_000 });
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'conn 1' }] });
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'conn 2' }] });
    expect(connections).toBe(2);
    for (const socket of open) socket.destroy(); // the client keeps the second one alive
  });

  it('a server that resets every connection before answering: sent three times in all, then an http error', async () => {
    let connections = 0;
    const tcp = createTcpServer((socket) => {
      connections++;
      socket.on('data', () => socket.resetAndDestroy());
      socket.on('error', () => {});
    });
    servers.push(tcp);
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const agent = new HttpAgent('a', { url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/`, timeoutMs: 5_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('http');
    expect(err.message).toContain('ECONNRESET');
    expect(connections).toBe(3);
  });

  it('an idle pooled connection does not keep the process alive', async () => {
    // The server in a child process: the only TCP socket of this process is then the client's.
    const child = spawn(
      process.execPath,
      ['-e', `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('{"replies":[]}')); });
        s.listen(0, '127.0.0.1', () => console.log(s.address().port));`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      const agent = new HttpAgent('a', { url: `http://127.0.0.1:${port}/`, timeoutMs: 5_000 });
      const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
      const before = tcpHandles();
      await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [] });
      // The connection stays open for the next turn, unref'd: it is not among what keeps the loop alive.
      await vi.waitFor(() => expect(tcpHandles()).toBe(before));
    } finally {
      child.kill();
    }
  });

  it('a declared body over the limit is refused without reading it', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(HTTP_BODY_LIMIT_BYTES + 1) });
      res.write('x');
    });
    const err = await rejection(new HttpAgent('a', { url: srv.base, timeoutMs: 5_000 }).handle(makeEnvelope(), never));
    expect(err.kind).toBe('invalid-reply');
    expect(err.status).toBe(200);
    expect(err.message).toContain('16 MiB');
  });

  it('a streamed body that grows past the limit is cut off', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no declared length
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent <= HTTP_BODY_LIMIT_BYTES && !res.destroyed) {
          sent += chunk.byteLength;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    const err = await rejection(new HttpAgent('a', { url: srv.base, timeoutMs: 10_000 }).handle(makeEnvelope(), never));
    expect(err.kind).toBe('invalid-reply');
    expect(err.message).toContain('16 MiB');
  });

  it('follows a 307 with the same POST and body, and a 303 as a GET', async () => {
    const srv = await serve((req, res, body) => {
      if (req.url === '/moved-keep') return void res.writeHead(307, { location: '/final' }).end();
      if (req.url === '/moved-get') return void res.writeHead(303, { location: '/final' }).end();
      json(res, { replies: [{ text: `${req.method} ${body.length > 0 ? 'with body' : 'without body'}` }] });
    });
    const post = new HttpAgent('a', { url: `${srv.base}/moved-keep`, timeoutMs: 5_000 });
    await expect(post.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'POST with body' }] });
    const get = new HttpAgent('a', { url: `${srv.base}/moved-get`, timeoutMs: 5_000 });
    await expect(get.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'GET without body' }] });
  });

  it('does not carry the authorization header to another origin on a redirect', async () => {
    const other = await serve((req, res) => json(res, { replies: [{ text: `auth: ${req.headers.authorization ?? 'none'}` }] }));
    const first = await serve((req, res) => {
      if (req.url === '/same') return void res.writeHead(307, { location: '/there' }).end();
      if (req.url === '/there') return void json(res, { replies: [{ text: `auth: ${req.headers.authorization ?? 'none'}` }] });
      res.writeHead(307, { location: `${other.base}/x` }).end();
    });
    const headers = { authorization: 'Bearer t' };
    await expect(new HttpAgent('a', { url: `${first.base}/same`, timeoutMs: 5_000, headers }).handle(makeEnvelope(), never)).resolves.toEqual({
      replies: [{ text: 'auth: Bearer t' }],
    });
    await expect(new HttpAgent('a', { url: `${first.base}/away`, timeoutMs: 5_000, headers }).handle(makeEnvelope(), never)).resolves.toEqual({
      replies: [{ text: 'auth: none' }],
    });
  });

  it('a redirect loop ends in an http error', async () => {
    const srv = await serve((_req, res) => void res.writeHead(302, { location: '/again' }).end());
    const err = await rejection(new HttpAgent('a', { url: srv.base, timeoutMs: 5_000 }).handle(makeEnvelope(), never));
    expect(err.kind).toBe('http');
    expect(err.message).toContain('redirects');
  });
});
