/**
 * The measurement behind the http agent's client (docs/performance.md "The http agent's client,
 * and the agent on its own thread"). Not a scenario of `npm run bench`: run it alone,
 * `node .bench-build/bench/http-client-probe.js [requests]` after `npx tsc -p tsconfig.bench.json`.
 *
 * A server in another process answers every POST at once with `{"replies":[]}`. This process
 * POSTs an envelope-sized body (about 1.4 kB) `requests` times with 20 requests in flight (the
 * bench's 20 senders, one turn each at a time), through:
 * - `node:http`: a keep-alive http.Agent, ClientRequest/IncomingMessage, as the gateway did until
 *   2026-12-01;
 * - `undici`: undici's keep-alive Agent and `request()`, as the gateway does now.
 * Each prints this process's CPU time per request (user + system) and requests per second, after a
 * warm-up of 500 requests. Twice each, interleaved.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { Agent } from 'undici';

const REQUESTS = Number(process.argv[2] ?? 20_000);
const IN_FLIGHT = 20;
const BODY = Buffer.from(JSON.stringify({ id: 'default:00000000-0000-0000-0000-000000000000', text: 'hello there', pad: 'x'.repeat(1300) }));

const SERVER = `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => { r.writeHead(200, { 'content-type': 'application/json' }); r.end('{"replies":[]}'); }); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

async function startServer(): Promise<{ port: number; stop(): void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { port, stop: () => child.kill() };
}

function nodeHttp(port: number): () => Promise<string> {
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  return () =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/agent', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(BODY.byteLength) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(BODY);
    });
}

function viaUndici(port: number): () => Promise<string> {
  const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
  const origin = `http://127.0.0.1:${port}`;
  return async () => {
    const { body } = await agent.request({ origin, path: '/agent', method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    return await body.text();
  };
}

async function measure(name: string, post: () => Promise<string>): Promise<void> {
  for (let i = 0; i < 500; i++) await post();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (sent < REQUESTS) {
        sent++;
        await post();
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  process.stdout.write(`${name.padEnd(9)} ${((cpu.user + cpu.system) / REQUESTS).toFixed(1)} µs CPU per request, ${Math.round((REQUESTS / ms) * 1000)} requests/s\n`);
}

const server = await startServer();
try {
  for (let round = 0; round < 2; round++) {
    await measure('node:http', nodeHttp(server.port));
    await measure('undici', viaUndici(server.port));
  }
} finally {
  server.stop();
}
process.exit(0);
