import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError, HttpAgent, createAgentHandler } from '../../src/agents/index.js';
import { makeEnvelope } from './fixtures.js';

interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const received: Received[] = [];
const never = new AbortController().signal;

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  received.push({ method: req.method ?? '', headers: req.headers, body });
  switch (req.url) {
    case '/json':
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ replies: [{ text: 'from http' }, { text: 'with media', media: ['/tmp/x.png'] }] }));
      return;
    case '/brace-no-type':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end('{"replies":[{"text":"sniffed as json"}]}');
      return;
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('  plain reply text \n');
      return;
    case '/empty':
      res.writeHead(204);
      res.end();
      return;
    case '/echo-request': {
      const envelope = JSON.parse(body) as { text: string };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ replies: [{ text: `got: ${envelope.text}` }] }));
      return;
    }
    case '/bad-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"replies": [');
      return;
    case '/bad-shape':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ reply: 'oops' }));
      return;
    case '/500':
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('model backend exploded');
      return;
    case '/slow':
      // Never answers; the client must give up.
      return;
    case '/slow-body':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial ');
      return;
    default:
      res.writeHead(404);
      res.end('not found');
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => route(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

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

const agentFor = (path: string, timeoutMs = 5_000, headers?: Record<string, string>) =>
  createAgentHandler('http-agent', { type: 'http', url: `${base}${path}`, timeoutMs, ...(headers && { headers }) });

describe('HttpAgent', () => {
  it('POSTs the envelope as JSON with the configured headers and parses a JSON reply', async () => {
    const envelope = makeEnvelope({ text: 'ping ✓' });
    const agent = agentFor('/json', 5_000, { authorization: 'Bearer test-token', 'x-extra': 'yes' });
    expect(agent.kind).toBe('http');
    await expect(agent.handle(envelope, never)).resolves.toEqual({
      replies: [{ text: 'from http' }, { text: 'with media', media: ['/tmp/x.png'] }],
    });
    const req = received.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer test-token');
    expect(req.headers['x-extra']).toBe('yes');
    expect(JSON.parse(req.body)).toEqual(envelope);
  });

  it('uses the request envelope', async () => {
    await expect(agentFor('/echo-request').handle(makeEnvelope({ text: 'abc' }), never)).resolves.toEqual({
      replies: [{ text: 'got: abc' }],
    });
  });

  it('treats a body starting with "{" as JSON whatever the content type', async () => {
    await expect(agentFor('/brace-no-type').handle(makeEnvelope(), never)).resolves.toEqual({
      replies: [{ text: 'sniffed as json' }],
    });
  });

  it('returns a text/plain body as one trimmed reply', async () => {
    await expect(agentFor('/text').handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'plain reply text' }] });
  });

  it('returns no replies for an empty body', async () => {
    await expect(agentFor('/empty').handle(makeEnvelope(), never)).resolves.toEqual({ replies: [] });
  });

  it('rejects a non-2xx status with kind "http" and the status code', async () => {
    const err = await rejection(agentFor('/500').handle(makeEnvelope(), never));
    expect(err.kind).toBe('http');
    expect(err.status).toBe(500);
    expect(err.message).toContain('500');
    expect(err.message).toContain('model backend exploded');
  });

  it('rejects invalid JSON and wrong shapes with kind "invalid-reply"', async () => {
    const badJson = await rejection(agentFor('/bad-json').handle(makeEnvelope(), never));
    expect(badJson.kind).toBe('invalid-reply');
    expect(badJson.message).toContain('not valid JSON');
    const badShape = await rejection(agentFor('/bad-shape').handle(makeEnvelope(), never));
    expect(badShape.kind).toBe('invalid-reply');
    expect(badShape.message).toContain('replies');
  });

  it('times out on a server that never answers', async () => {
    const started = Date.now();
    const err = await rejection(agentFor('/slow', 300).handle(makeEnvelope(), never));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('times out on a body that never ends', async () => {
    const err = await rejection(agentFor('/slow-body', 300).handle(makeEnvelope(), never));
    expect(err.kind).toBe('timeout');
  });

  it('rejects with kind "aborted" when the signal aborts mid-request', async () => {
    const ctrl = new AbortController();
    const pending = agentFor('/slow', 10_000).handle(makeEnvelope(), ctrl.signal);
    setTimeout(() => ctrl.abort(), 100);
    const err = await rejection(pending);
    expect(err.kind).toBe('aborted');
  });

  it('reports a refused connection as kind "http"', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const agent = new HttpAgent('http-agent', { url: `http://127.0.0.1:${port}/`, timeoutMs: 5_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('http');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('refuses a non-http URL at construction', () => {
    expect(() => createAgentHandler('h', { type: 'http', url: 'file:///etc/passwd', timeoutMs: 1000 })).toThrow(/http/);
    expect(() => createAgentHandler('h', { type: 'http', url: 'not a url', timeoutMs: 1000 })).toThrow(/valid URL/);
  });
});
