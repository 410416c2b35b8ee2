/**
 * Resource limits of the control port, against a real gateway running under launchd's default
 * descriptor limit (ulimit -n 256), a real imsg-sim and a real command agent:
 * - 300 idle connections to the control port do not starve the gateway of descriptors: agents
 *   still spawn, imsg still restarts, `status` answers through the control API, no TypeError;
 * - 400 slow clients (headers dripping) are not held open: the header timeout closes them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readControlToken } from '../../src/web/control-token.js';
import { recordingAgent } from '../helpers/agents.js';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { type RawClient, rawClients } from '../helpers/raw-tcp.js';

const FD_LIMIT = 256;

let gateway: GatewayProcess | undefined;
const { open, destroyAll } = rawClients();
afterEach(async () => {
  destroyAll();
  await gateway?.stop();
  gateway = undefined;
});

async function controlPort(g: GatewayProcess): Promise<number> {
  const url = await waitUntil(() => g.status()?.controlUrl, 'the control API to listen');
  return Number(new URL(url).port);
}

/** GET /api/status through the control API (never the status file). */
async function apiStatus(g: GatewayProcess, port: number): Promise<{ status: number; body: { accounts: Array<{ id: string; state: string }> } }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/status`, {
    headers: { authorization: `Bearer ${readControlToken(g.home)}` },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as { accounts: Array<{ id: string; state: string }> } };
}

const openDescriptors = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const softFdLimit = (pid: number): number => Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1]);

function typeErrors(g: GatewayProcess): string[] {
  return g.logs.filter((l) => /TypeError|Cannot read properties of (undefined|null)/.test(l));
}

describe('control port resource limits (ulimit -n 256)', () => {
  it('300 idle control connections under a low descriptor limit: replies, imsg restarts and status still work', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.log');
    // Timeouts far beyond the test: only the connection cap (default 64) can keep descriptors free.
    const http = { port: 0, headersTimeoutMs: 120_000, requestTimeoutMs: 120_000, idleTimeoutMs: 120_000 };
    gateway = startGateway(
      { imessage: openAccount(SIM_BIN, db), agents: { list: [recordingAgent(dir, log)] }, gateway: { http } },
      undefined,
      { fdLimit: FD_LIMIT },
    );
    const g = gateway;
    await g.waitForState('default', 'streaming');
    expect(softFdLimit(g.proc.pid!)).toBe(FD_LIMIT);
    const port = await controlPort(g);

    const clients: RawClient[] = [];
    for (let i = 0; i < 300; i++) clients.push(await open(port));
    // The cap (64) holds: the gateway closed the oldest idle ones as new ones came.
    await waitUntil(() => clients.filter((c) => !c.closed).length <= 64 || undefined, 'the gateway to cap the idle connections', 5_000);
    expect(openDescriptors(g.proc.pid!)).toBeLessThan(FD_LIMIT - 64);

    // A command agent spawns and its reply is sent, with the idle connections still open.
    inject(db, { from: '+15551239001', text: 'under pressure' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: under pressure') || undefined, 'the agent reply');

    // imsg crashes and is restarted.
    const imsgPid = g.account('default')!.childPid!;
    process.kill(imsgPid, 'SIGKILL');
    await waitUntil(() => {
      const a = g.account('default');
      return (a?.state === 'streaming' && a.childPid !== imsgPid && a.restarts >= 1) || undefined;
    }, 'imsg to be restarted');
    inject(db, { from: '+15551239002', text: 'after the restart' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: after the restart') || undefined, 'the reply after the restart');

    // status through the control API: while idle connections are held, and once they are gone.
    const during = await apiStatus(g, port);
    expect(during.status).toBe(200);
    expect(during.body.accounts.map((a) => a.state)).toEqual(['streaming']);
    for (const c of clients) c.socket.destroy();
    const after = await apiStatus(g, port);
    expect(after.status).toBe(200);

    expect(typeErrors(g)).toEqual([]);
    expect(g.records((r) => r.msg === 'agent failed; message dropped' || String(r.msg).startsWith('agent failed'))).toEqual([]);
  });

  it('400 slow control connections are closed by the header timeout, not held open', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    gateway = startGateway(
      { imessage: openAccount(SIM_BIN, db), gateway: { http: { port: 0, headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 } } },
      undefined,
      { fdLimit: FD_LIMIT },
    );
    const g = gateway;
    await g.waitForState('default', 'streaming');
    const port = await controlPort(g);

    const clients: RawClient[] = [];
    for (let i = 0; i < 400; i++) clients.push(await open(port, `GET /api/status HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`));
    const drip = setInterval(() => {
      for (const c of clients) if (!c.closed && c.socket.writable) c.socket.write('x-slow: 1\r\n');
    }, 200);
    try {
      await waitUntil(() => clients.every((c) => c.closed) || undefined, 'every slow connection to be closed', 20_000);
    } finally {
      clearInterval(drip);
    }
    expect(clients.some((c) => c.received.startsWith('HTTP/1.1 408'))).toBe(true);
    expect(clients.every((c) => !c.received.startsWith('HTTP/1.1 200'))).toBe(true);

    expect((await apiStatus(g, port)).status).toBe(200);
    inject(db, { from: '+15551239003', text: 'still here' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: still here') || undefined, 'the echo reply');
    expect(typeErrors(g)).toEqual([]);
  });
});
