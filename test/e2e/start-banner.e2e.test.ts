/**
 * Issue 14, item 6, with real processes: `start --port N`, the demo's fallback when its port is
 * taken, the start-up banner, and the control token printed only to a terminal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GATEWAY_BIN, GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, SIM_BIN, tempDir, waitUntil } from '../helpers/sim-db.js';
import { startOnTerminal } from '../helpers/terminal.js';

const DEMO_PORT = 7545;

let gateway: GatewayProcess | undefined;
let extra: ChildProcess | undefined;
let holder: Server | undefined;
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = undefined;
  if (extra && extra.exitCode === null && extra.signalCode === null) extra.kill('SIGKILL');
  extra = undefined;
  await new Promise<void>((r) => (holder ? holder.close(() => r()) : r()));
  holder = undefined;
});

/** Holds the port on 127.0.0.1, or learns that something else already holds it: either way it is taken. */
async function holdPort(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve() : reject(err)));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      holder = server;
      resolve();
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function token(home: string): string {
  return readFileSync(join(home, 'control-token'), 'utf8').trim();
}

describe('the demo and its port', () => {
  it('its port taken: the demo falls back to a free port; the banner names it, without the token off a terminal', async () => {
    await holdPort(DEMO_PORT);
    const home = tempDir('demo-home-');
    const proc = spawn(process.execPath, [GATEWAY_BIN, 'demo'], { env: { ...process.env, IMESSAGE_GATEWAY_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    gateway = new GatewayProcess(home, proc);
    const line = await waitUntil(() => gateway!.logs.find((l) => l.startsWith('  dashboard  ')), 'the banner');
    const url = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
    expect(url).not.toBeNull();
    expect(Number(url![1])).not.toBe(DEMO_PORT);
    expect(line).toContain(`the token in ${join(home, 'control-token')}`);
    expect(gateway.logs).toContain('the demo is running: 2 accounts');
    expect(gateway.records((r) => r.level === 40 && String(r.msg).startsWith(`port ${DEMO_PORT} is taken`))).toHaveLength(1);

    // The dashboard answers there with the token from the file.
    const res = await fetch(`http://127.0.0.1:${url![1]}/api/status`, { headers: { authorization: `Bearer ${token(home)}` } });
    expect(res.status).toBe(200);

    // Info level, one line per event: a few seconds of traffic, and never the token or a message's text.
    await waitUntil(() => gateway!.records((r) => r.msg === 'reply sent').length >= 2, 'two replies', 30_000);
    const all = gateway.logs.join('\n');
    expect(all).not.toContain(token(home));
    expect(gateway.records((r) => r.level === 20)).toEqual([]);
    expect(all).not.toContain('hi bot, what time is it?');
    expect(gateway.records((r) => String(r.msg).startsWith('demo: '))).toEqual([]);
    const stopped = await gateway.stop('SIGTERM');
    expect(stopped.code).toBe(0);
  });

  it('on a terminal the banner carries the dashboard URL with its token', async () => {
    const home = tempDir('demo-home-');
    const port = await freePort();
    const term = startOnTerminal(home, ['demo', '--port', String(port)]);
    extra = term.proc;
    await waitUntil(() => term.output().includes('  dashboard  '), `the banner; output:\n${term.output()}`);
    expect(term.output()).toContain(`  dashboard  http://127.0.0.1:${port}/#token=${token(home)}`);
    const pid = (JSON.parse(runCli(['status', '--json'], home).stdout) as { pid: number }).pid;
    process.kill(pid, 'SIGTERM');
    await new Promise((r) => term.proc.once('exit', r));
  });
});

describe('start --port', () => {
  it('--port N puts the control API on N, over the config', async () => {
    const port = await freePort();
    gateway = startGateway({ imessage: { accounts: { sim: openAccount(SIM_BIN, createSimDb(tempDir())) } } }, undefined, {
      extraArgs: ['--port', String(port)],
    });
    await gateway.waitForState('sim', 'streaming');
    expect(gateway.status()?.controlUrl).toBe(`http://127.0.0.1:${port}`);
    expect(gateway.logs).toContain('imessage-gateway is running: 1 account');
  });

  it('a configured port that is taken stays an error naming the port and the fix; the accounts run on', async () => {
    const port = await freePort();
    await holdPort(port);
    gateway = startGateway({ imessage: { accounts: { sim: openAccount(SIM_BIN, createSimDb(tempDir())) } } }, undefined, {
      extraArgs: ['--port', String(port)],
    });
    await gateway.waitForState('sim', 'streaming');
    const error = await waitUntil(() => gateway!.records((r) => r.level === 50 && String(r.msg).startsWith('control API not started'))[0], 'the error');
    expect(error.msg).toContain(`port ${port} on 127.0.0.1 is taken`);
    expect(error.msg).toContain('`--port N`');
    expect(gateway.logs).toContain(`  dashboard  not available: port ${port} on 127.0.0.1 is taken (another gateway or program listens there)`);
  });

  it('--port that is not a port number: exit 2 naming it', () => {
    const r = runCli(['start', '--port', '70000'], tempDir('home-'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port must be a port number from 0 to 65535 (0: any free port), got "70000"');
  });
});
