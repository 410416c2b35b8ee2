/**
 * Issue 14, item 8 (the send lock race): a `send` that finds no gateway writes its row into the
 * stopped gateway's outbox directly. A gateway starting between the CLI's look at the lock and its
 * write used to drain an empty outbox and then never learn of the row (nothing polls the outbox).
 * Now the CLI holds the home's lock while it writes, and a starting gateway waits for it.
 *
 * The window is widened deterministically with the test-only hook IMESSAGE_GATEWAY_TEST_DIRECT_WRITE_GATE
 * (control-client.ts): the CLI, having decided to write directly, stops until the test opens the
 * gate. The test starts the gateway in that window and opens the gate once the gateway either
 * says it waits for the CLI (the fix) or has its account streaming (no fix: the drain is over, and
 * the row written after it would never be sent, so the last wait fails).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_AGENTS, FAST_SUPERVISION, GATEWAY_BIN, type GatewayProcess, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

let gateway: GatewayProcess | undefined;
let cli: ChildProcess | undefined;
afterEach(async () => {
  if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  cli = undefined;
  await gateway?.stop();
  gateway = undefined;
});

const WAITING = 'waiting for a CLI write to the state database to finish before starting';

describe('send lock race (issue 14, item 8)', () => {
  it('a gateway starting while a stopped-gateway send writes its row waits for it, and sends the row', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const home = tempDir('gw-home-');
    const config = { imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] } };
    const configPath = join(home, 'config.json5');
    writeFileSync(configPath, JSON.stringify({ agents: ECHO_AGENTS, ...config, gateway: { supervision: FAST_SUPERVISION, http: { port: 0 } } }));
    const gate = join(dir, 'gate');
    const send = spawn(process.execPath, [GATEWAY_BIN, 'send', '--config', configPath, '--to', '+15551110031', '--text', 'raced the start', '--json'], {
      env: { ...process.env, IMESSAGE_GATEWAY_HOME: home, IMESSAGE_GATEWAY_TEST_DIRECT_WRITE_GATE: gate },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli = send;
    let stdout = '';
    let stderr = '';
    send.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    send.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => send.once('exit', (code) => resolve(code)));
    await waitUntil(() => existsSync(`${gate}.held`) || undefined, `the CLI at its direct write (stderr: ${stderr})`);

    gateway = startGateway(config, home);
    const g = gateway;
    await waitUntil(
      () => g.records((r) => r.msg === WAITING).length > 0 || g.account('default')?.state === 'streaming' || undefined,
      `the gateway waiting for the CLI, or streaming; logs:\n${g.logs.slice(-10).join('\n')}`,
      20_000,
    );
    writeFileSync(gate, '');
    expect(await exited, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ account: 'default', gatewayRunning: false, duplicate: false });
    await g.waitForState('default', 'streaming');
    // Sent at this start, with no later wake-up of the outbox.
    await waitUntil(() => sentRows(db).some((r) => r.text === 'raced the start') || undefined, 'the raced send sent', 15_000);
    expect(g.records((r) => r.msg === WAITING)).toEqual([expect.objectContaining({ pid: send.pid })]);
  }, 60_000);
});
