/**
 * Issue 14, item 8: while the gateway runs, the CLI reaches it only through the control API.
 * `send` (text and file), `reload`, and `pairing approve|deny|revoke` go to the API (the
 * gateway's log says so, and no SIGHUP reload is logged); nothing polls the outbox, so a send
 * written into state.db behind a running gateway's back would not go out. A running gateway
 * whose control API is off refuses the CLI's changes with the fix, and writes nothing; a stopped
 * one has them written into state.db, sent at the next start. Against both imsg-sim profiles.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST_SUPERVISION, type GatewayProcess, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const texts = (db: string) => sentRows(db).map((r) => r.text);
const codeFor = (db: string, handle: string) =>
  texts(db)
    .filter((t) => t.includes(handle))
    .map((t) => /Pairing code: ([A-HJ-NP-Z2-9]{8})/.exec(t)?.[1])
    .find((c) => c !== undefined);
const apiLog = (g: GatewayProcess, msg: string) => g.records((r) => r.msg === msg).length;
/** The gateway's log is read while the test waits (runCli blocks the test's event loop). */
const logged = (g: GatewayProcess, msg: string, times: number) => waitUntil(() => apiLog(g, msg) === times || undefined, `${times} × "${msg}" in the log`);
function outboxRows(home: string): number {
  const db = new DatabaseSync(join(home, 'state.db'), { readOnly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('one way in while running (issue 14, item 8)', () => {
    it('send, reload and pairing approve/deny/revoke go through the control API of a running gateway', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const account = { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'pairing', groupPolicy: 'disabled' };
      gateway = startGateway({ imessage: account }, undefined, { simProfile: profile });
      const g = gateway;
      await g.waitForState('default', 'streaming');

      // send: text, then a file, both through POST /api/send (nothing polls the outbox any more).
      const sent = runCli(['send', '--to', '+15551110007', '--text', 'through the api', '--json'], g.home);
      expect(sent.code, sent.stderr).toBe(0);
      expect(JSON.parse(sent.stdout)).toMatchObject({ account: 'default', gatewayRunning: true });
      await waitUntil(() => texts(db).includes('through the api') || undefined, 'the CLI text sent');
      const file = join(dir, 'note.txt');
      writeFileSync(file, 'a file');
      const withFile = runCli(['send', '--to', '+15551110007', '--file', 'note.txt'], g.home);
      // A relative path is the caller's: the CLI makes it absolute before the gateway sees it.
      expect(withFile.code).toBe(2);
      expect(withFile.stderr).toContain('note.txt');
      const absolute = runCli(['send', '--to', '+15551110007', '--file', file], g.home);
      expect(absolute.code, absolute.stderr).toBe(0);
      await logged(g, 'send queued via control API', 2);
      const missing = runCli(['send', '--to', '+15551110007', '--file', join(dir, 'missing.png')], g.home);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('missing.png');

      // pairing approve, deny, revoke.
      const [ann, bob] = ['+15554440201', '+15554440202'];
      for (const from of [ann, bob]) inject(db, { from, text: 'hello?' });
      const codeAnn = await waitUntil(() => codeFor(db, ann), 'the pairing code for ann');
      const codeBob = await waitUntil(() => codeFor(db, bob), 'the pairing code for bob');
      const approve = runCli(['pairing', 'approve', codeAnn, '--notify'], g.home);
      expect(approve.code, approve.stderr).toBe(0);
      expect(approve.stdout).toContain(`approved ${ann} on account default`);
      await waitUntil(() => texts(db).some((t) => t?.includes('access approved')) || undefined, 'the approval notice sent');
      expect(JSON.parse(runCli(['pairing', 'deny', codeBob, '--json'], g.home).stdout)).toMatchObject({ handle: bob, via: 'gateway' });
      expect(runCli(['pairing', 'revoke', ann], g.home).code).toBe(0);
      await logged(g, 'pairing approve via control API', 1);
      await logged(g, 'pairing deny via control API', 1);
      await logged(g, 'pairing revoke via control API', 1);

      // reload answers with its result, through the API, not SIGHUP.
      const reload = runCli(['reload'], g.home);
      expect(reload.code, reload.stderr).toBe(0);
      expect(reload.stdout).toContain('reloaded: restarted none; started none; stopped none');
      await logged(g, 'reload via control API', 1);
      expect(g.logs.some((l) => l.includes('SIGHUP'))).toBe(false);
    }, 90_000);

    it('a running gateway without its control API refuses the CLI and writes nothing; a stopped one is written to directly', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const config = { imessage: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] }, gateway: { http: { enabled: false } } };
      gateway = startGateway(config, undefined, { simProfile: profile });
      const g = gateway;
      await g.waitForState('default', 'streaming');
      const before = outboxRows(g.home);
      const refused = runCli(['send', '--to', '+15551110008', '--text', 'not while the api is off'], g.home);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is running with the home');
      expect(refused.stderr).toContain('control API is not listening');
      expect(refused.stderr).toContain('gateway.http.enabled');
      expect(outboxRows(g.home)).toBe(before);
      const reload = runCli(['reload'], g.home);
      expect(reload.code).toBe(1);
      expect(reload.stderr).toContain('control API is not listening');
      // status still answers (from the status file).
      expect(runCli(['status'], g.home).stdout).toContain('default');

      await g.stop();
      gateway = undefined;
      const offline = runCli(['send', '--to', '+15551110008', '--text', 'queued while stopped', '--json'], g.home);
      expect(offline.code, offline.stderr).toBe(0);
      expect(JSON.parse(offline.stdout)).toMatchObject({ gatewayRunning: false });
      expect(outboxRows(g.home)).toBe(before + 1);
      expect(runCli(['reload'], g.home).code).toBe(3);
      gateway = startGateway(config, g.home, { simProfile: profile });
      await waitUntil(() => texts(db).includes('queued while stopped') || undefined, 'the queued message sent at start');
    }, 90_000);

    it('account retry answers truthfully: 409 for a streaming account, 200 and a re-probe for a misconfigured one', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = startGateway({
        imessage: {
          accounts: {
            good: { cliPath: SIM_BIN, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] },
            // Its own chat.db: on good's, it would own the source (first by id) and good would be merged.
            broken: { cliPath: join(dir, 'no-such-imsg'), dbPath: createSimDb(dir, 'broken.db'), dmPolicy: 'open', allowFrom: ['*'] },
          },
        },
        // No re-probe on its own within the test: only the operator's retry re-probes.
        gateway: { supervision: { ...FAST_SUPERVISION, permissionReprobeMs: 600_000 } },
      }, undefined, { simProfile: profile });
      const g = gateway;
      await g.waitForState('good', 'streaming');
      await g.waitForState('broken', 'misconfigured');
      const url = g.status()!.controlUrl!;
      const token = readFileSync(join(g.home, 'control-token'), 'utf8').trim();
      const retry = async (id: string) => {
        const r = await fetch(`${url}/api/accounts/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        return { status: r.status, body: (await r.json()) as { error?: string; ok?: boolean } };
      };
      const streaming = await retry('good');
      expect(streaming.status).toBe(409);
      expect(streaming.body.error).toBe(
        'account "good" is streaming; nothing to retry (retry applies to awaiting-permissions, misconfigured, backoff-restart and cooling-down)',
      );
      const next = g.account('broken')!.nextRetryAt;
      expect(await retry('broken')).toEqual({ status: 200, body: { ok: true, account: 'broken' } });
      // The re-probe ran and found the same problem: misconfigured again, with its next re-probe
      // scheduled anew (the timer alone would wait permissionReprobeMs, 10 minutes here).
      await waitUntil(() => (g.account('broken')?.state === 'misconfigured' && g.account('broken')!.nextRetryAt !== next) || undefined, `the re-probe; now ${JSON.stringify(g.account('broken'))}\n${g.logs.filter((l) => l.includes('broken')).slice(-8).join('\n')}`);
      expect((await retry('ghost')).status).toBe(404);
    }, 90_000);
  });
});
