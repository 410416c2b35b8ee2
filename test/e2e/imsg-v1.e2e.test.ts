/**
 * The gateway against current imsg (imsg-sim --profile 0.15, protocol v1), end to end with real
 * processes: negotiation and strict params, watch.overflow, and Full Disk Access missing on 0.14+
 * (the same child re-checked and recovered in place, never respawned).
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, REPO, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const RECORDER = join(REPO, 'test', 'helpers', 'recording-imsg.mjs');
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

/** A cliPath that runs the 0.15 simulator behind the recording proxy. */
function recordedSim(dir: string, env: Record<string, string>): { cli: string; log: string } {
  const log = join(dir, 'wire.log');
  const cli = join(dir, 'imsg-recorded');
  const exports = Object.entries({ ...env, IMSG_REC_LOG: log, IMSG_SIM_PROFILE: '0.15' })
    .map(([k, v]) => `export ${k}='${v}'`)
    .join('\n');
  writeFileSync(cli, `#!/bin/sh\n${exports}\nexec "${process.execPath}" "${RECORDER}" "${SIM_BIN}" "$@"\n`, { mode: 0o755 });
  return { cli, log };
}

interface Wire {
  requests: Array<{ id: unknown; method: string; params: unknown }>;
  errors: Array<{ id: unknown; code: number; data: unknown }>;
  advertised: string[][];
}

function readWire(log: string): Wire {
  const wire: Wire = { requests: [], errors: [], advertised: [] };
  for (const raw of lines(log)) {
    const { dir, line } = JSON.parse(raw) as { dir: 'in' | 'out'; line: string };
    const msg = JSON.parse(line) as Record<string, any>;
    if (dir === 'in') wire.requests.push({ id: msg.id, method: msg.method, params: msg.params });
    else if (msg.error) wire.errors.push({ id: msg.id, code: msg.error.code, data: msg.error.data });
    else if (Array.isArray(msg.result?.methods)) wire.advertised.push(msg.result.methods as string[]);
  }
  return wire;
}

describe('negotiation with imsg 0.15 (protocol v1)', () => {
  it('initializes first, calls only advertised methods, and never gets -32602 / unknown param', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const { cli, log } = recordedSim(dir, {});
    gateway = startGateway({ imessage: openAccount(cli, db) });
    const streaming = await gateway.waitForState('default', 'streaming');
    expect(streaming.imsg).toMatchObject({ version: '0.15.10', protocol: 'v1', databaseReady: true });
    expect(streaming.imsg?.methods).toContain('watch.subscribe');
    // The version and the capabilities are shown to the operator, not only in the JSON.
    const shown = runCli(['status'], gateway.home);
    expect(shown.stdout).toContain('imsg 0.15.10, protocol v1');
    expect(shown.stdout).toMatch(/imsg methods: .*messages\.after.*watch\.subscribe/);

    inject(db, { from: '+15551230001', text: 'hello v1' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: hello v1') || undefined, 'the reply');
    // Let the liveness probe (500 ms here) run a few times.
    await waitUntil(() => readWire(log).requests.filter((r) => r.method === 'chats.list').length >= 4 || undefined, 'liveness probes');

    const wire = readWire(log);
    expect(wire.requests[0]).toMatchObject({ method: 'initialize', params: { protocol_version: 1 } });
    expect(wire.requests.every((r) => typeof r.id === 'number')).toBe(true);
    const methods = new Set(wire.requests.map((r) => r.method));
    for (const m of ['initialize', 'status', 'chats.list', 'watch.subscribe', 'send']) expect(methods.has(m), m).toBe(true);
    const advertised = new Set(wire.advertised.flat());
    for (const m of methods) expect(advertised.has(m), m).toBe(true);
    expect(wire.errors.filter((e) => e.code === -32602 || /unknown .* param/.test(String(e.data)))).toEqual([]);
    expect(wire.errors).toEqual([]);
  });

  it('the 0.9 profile answers initialize with -32601: legacy mode, and it streams as before', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    gateway = startGateway({ imessage: openAccount(SIM_BIN, db) }, undefined, { simProfile: '0.9' });
    const streaming = await gateway.waitForState('default', 'streaming');
    expect(streaming.imsg).toMatchObject({ protocol: 'legacy', version: null, methods: null });
  });
});

describe('watch.overflow', () => {
  it('an overflow every 3 messages: each of 12 messages is answered exactly once', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const { cli, log } = recordedSim(dir, { IMSG_SIM_OVERFLOW_AFTER: '3' });
    gateway = startGateway({ imessage: openAccount(cli, db) });
    await gateway.waitForState('default', 'streaming');
    const texts = Array.from({ length: 12 }, (_, i) => `burst ${i + 1}`);
    for (const [i, text] of texts.entries()) inject(db, { from: `+1555124${String(i).padStart(4, '0')}`, text });
    await waitUntil(() => sentRows(db).length >= 12 || undefined, 'twelve replies', 30_000);
    // Replays after an overflow are deduped: give a straggler the chance to show up, then count.
    await waitUntil(() => readWire(log).requests.filter((r) => r.method === 'chats.list').length >= 6 || undefined, 'a few liveness probes');
    const replies = sentRows(db).map((r) => r.text);
    expect([...replies].sort()).toEqual(texts.map((t) => `echo: ${t}`).sort());
    const overflows = lines(log).filter((l) => l.includes('watch.overflow'));
    expect(overflows.length).toBeGreaterThanOrEqual(3);
    const account = gateway.account('default')!;
    expect(account.restarts).toBe(0);
    expect(account.transitions.some((t) => t.to === 'resubscribing' && t.reason.includes('watch.overflow'))).toBe(true);
  }, 60_000);
});

describe('Full Disk Access missing on imsg 0.14+ (-32002)', () => {
  it('waits in awaiting-permissions on the same child, polls status, and streams in place once granted', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const flag = join(dir, 'fda-denied');
    const spawns = join(dir, 'spawns.log');
    writeFileSync(flag, '');
    const { cli, log } = recordedSim(dir, { IMSG_SIM_PERMISSION_FLAG: flag, IMSG_SIM_SPAWN_LOG: spawns });
    gateway = startGateway({ imessage: openAccount(cli, db) });
    const waiting = await gateway.waitForState('default', 'awaiting-permissions');
    expect(waiting.lastErrorClass).toBe('full-disk-access');
    expect(waiting.lastError).toContain('could not be opened read-only');
    expect(waiting.lastError).toContain(cli);
    expect(waiting.imsg).toMatchObject({ protocol: 'v1', databaseReady: false });
    const pid = waiting.childPid;
    expect(pid).not.toBeNull();
    // Re-checks (1 s apart here) ask `status` on that child; nothing DB-backed is tried meanwhile.
    await waitUntil(() => readWire(log).requests.filter((r) => r.method === 'status').length >= 4 || undefined, 'status re-checks');
    expect(readWire(log).requests.filter((r) => r.method === 'watch.subscribe')).toEqual([]);
    expect(readWire(log).errors).toEqual([]);
    expect(gateway.account('default')!.childPid).toBe(pid);
    expect(lines(spawns)).toHaveLength(1);

    unlinkSync(flag); // the operator grants Full Disk Access
    const streaming = await gateway.waitForState('default', 'streaming');
    expect(streaming.childPid).toBe(pid);
    expect(streaming.restarts).toBe(0);
    expect(streaming.imsg?.databaseReady).toBe(true);
    expect(lines(spawns)).toHaveLength(1);
    inject(db, { from: '+15551237001', text: 'granted in place' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: granted in place') || undefined, 'reply after grant');
    expect(lines(spawns)).toHaveLength(1);
  });

  it('access revoked mid-stream: the liveness probe gets -32002 and the account waits on the same child', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const flag = join(dir, 'fda-denied');
    const spawns = join(dir, 'spawns.log');
    const { cli } = recordedSim(dir, { IMSG_SIM_PERMISSION_FLAG: flag, IMSG_SIM_SPAWN_LOG: spawns });
    gateway = startGateway({ imessage: openAccount(cli, db) });
    const streaming = await gateway.waitForState('default', 'streaming');
    const pid = streaming.childPid;
    writeFileSync(flag, ''); // Full Disk Access revoked (or chat.db unreadable) under a live child
    const waiting = await gateway.waitForState('default', 'awaiting-permissions');
    expect(waiting.lastErrorClass).toBe('full-disk-access');
    expect(waiting.childPid).toBe(pid);
    expect(waiting.restarts).toBe(0);
    unlinkSync(flag);
    const again = await gateway.waitForState('default', 'streaming');
    expect(again.childPid).toBe(pid);
    expect(again.restarts).toBe(0);
    expect(lines(spawns)).toHaveLength(1);
    inject(db, { from: '+15551237002', text: 'after revoke' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'echo: after revoke') || undefined, 'reply after access returns');
  });
});
