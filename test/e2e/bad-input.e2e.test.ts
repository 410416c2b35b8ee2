/**
 * Bad input from imsg (issue 12, "Bad input"), end to end with real processes: the real gateway,
 * imsg-sim behind a proxy that tampers with what it says (test/helpers/tampering-imsg.mjs). Each
 * kind of bad input is logged once per account, and the account keeps streaming and answering.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, REPO, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const TAMPER = join(REPO, 'test', 'helpers', 'tampering-imsg.mjs');

function tamperedSim(dir: string, env: Record<string, string>): string {
  const cli = join(dir, 'imsg-tampered');
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v}'`)
    .join('\n');
  writeFileSync(cli, `#!/bin/sh\n${exports}\nexec "${process.execPath}" "${TAMPER}" "${SIM_BIN}" "$@"\n`, { mode: 0o755 });
  return cli;
}

const answered = (db: string, text: string) => () => sentRows(db).some((r) => r.text === `echo: ${text}`) || undefined;

describe('bad input from imsg never ends a running account', () => {
  it('unknown notifications and error codes, a thin status and an unknown version: logged once each, streaming throughout', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const cli = tamperedSim(dir, {
      IMSG_SIM_PROFILE: '0.15',
      IMSG_TAMPER_VERSION: '0.99.1',
      IMSG_TAMPER_DROP: 'supported_methods,capabilities',
      IMSG_TAMPER_UNKNOWN_NOTIFICATION: '1',
      IMSG_TAMPER_PROBE_CODE: '-32099',
    });
    gateway = startGateway({ imessage: openAccount(cli, db) });
    const g = gateway;
    const streaming = await g.waitForState('default', 'streaming');
    expect(streaming.imsg).toMatchObject({ version: '0.99.1', protocol: 'v1' });

    for (const text of ['one', 'two', 'three']) {
      inject(db, { from: '+15551230001', text });
      await waitUntil(answered(db, text), `the reply to ${text}`);
    }
    // Liveness probes (every 500 ms here) are answered with the unknown code, again and again.
    await waitUntil(() => (g.account('default')?.counters.unknownInput ?? 0) >= 6 || undefined, 'probes answered with -32099', 20_000);
    inject(db, { from: '+15551230001', text: 'four' });
    await waitUntil(answered(db, 'four'), 'the reply to four');

    const account = g.account('default')!;
    expect(account.state).toBe('streaming');
    expect(account.restarts).toBe(0);
    expect(account.counters.spawns).toBe(1);
    const count = (needle: string) => g.records((r) => String(r.msg).includes(needle)).length;
    expect(count('notification method this gateway does not know')).toBe(1);
    expect(count('error code -32099, which this gateway does not know')).toBe(1);
    expect(count('unknown imsg version "0.99.1"; treating it as the newest known')).toBe(1);
    expect(count('imsg status snapshot lacks supported_methods')).toBe(1);
  });

  it('an imsg that claims v1 but rejects status: legacy mode, said in the log and in status, and it streams', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    // The 0.9 simulator behind a proxy that answers initialize as a v1 imsg: status gets -32601.
    const cli = tamperedSim(dir, { IMSG_SIM_PROFILE: '0.9', IMSG_TAMPER_FAKE_V1: '1' });
    gateway = startGateway({ imessage: openAccount(cli, db) });
    const g = gateway;
    const streaming = await g.waitForState('default', 'streaming');
    const fallback = 'imsg claims protocol v1 but rejected status (-32601); falling back to legacy mode';
    expect(streaming.imsg).toMatchObject({ protocol: 'legacy', fallback });

    inject(db, { from: '+15551230002', text: 'legacy after all' });
    await waitUntil(answered(db, 'legacy after all'), 'the reply');
    expect(g.records((r) => String(r.msg).startsWith(fallback))).toHaveLength(1);
    expect(g.account('default')).toMatchObject({ state: 'streaming', restarts: 0 });
  });
});
