/**
 * Dead letters (issue 13, item 4), end to end with a real gateway, real imsg-sim 0.15 children and
 * a real command agent:
 * - an agent turn that fails all its attempts and a send refused for good (Automation denied) are
 *   kept, listed by `delivery list` and the control API, retried through both, and go out once;
 * - `status` counts them per account and exits 4 while there are any;
 * - with the gateway stopped, the CLI works on the state database: an unknown send is retried only
 *   with --force, a row in flight is never purged, a dead letter of an account no longer in the
 *   config is listed with that reason and its retry is refused;
 * - an account removed by a reload: its dead letter is listed as such, its retry refused (CLI and
 *   API), `status` lists it under removedAccounts and exits 4 until it is purged.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStore, stateDbPath } from '../../src/store/index.js';
import { readControlToken } from '../../src/web/control-token.js';
import { flakyAgent } from '../helpers/agents.js';
import { type GatewayProcess, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';

const running: GatewayProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
});

interface Letter {
  id: string;
  kind: 'send' | 'turn';
  status: string;
  account: string;
  reason: string;
  attempts: number;
  accountMissing: boolean;
  note: string | null;
}

/** A plain imsg-sim 0.15 wrapper. */
const plainSim = (dir: string) => simWrapper(dir, 'imsg', {});

const list = (home: string): Letter[] => {
  const r = runCli(['delivery', 'list', '--json'], home);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { deadLetters: Letter[] }).deadLetters;
};

async function api(g: GatewayProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const url = await waitUntil(() => g.status()?.controlUrl, 'the control API to listen');
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${readControlToken(g.home)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}

describe('dead letters', () => {
  it('keeps failed turns and sends; lists, retries and purges them through the CLI and the API; status counts them', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const denied = join(dir, 'automation-denied');
    const agentDown = join(dir, 'agent-down');
    writeFileSync(denied, '');
    writeFileSync(agentDown, '');
    const cli = simWrapper(dir, 'imsg-denied', { IMSG_SIM_AUTOMATION_FLAG: denied });
    const config = { agents: flakyAgent(dir, agentDown), imessage: { accounts: { bot: openAccount(cli, db) } } };
    const h = tempDir('gw-home-');
    const start = () => {
      const started = startGateway(config, h, { simProfile: '0.15' });
      running.push(started);
      return started;
    };
    let g = start();
    await g.waitForState('bot', 'streaming');

    // 1. The agent fails all its attempts: the turn is kept, with the reason and the attempts.
    inject(db, { from: '+15550000001', text: 'first' });
    const turn = await waitUntil(() => list(h).find((l) => l.kind === 'turn'), 'the failed turn listed', 30_000);
    expect(turn).toMatchObject({ status: 'agent-failed', account: 'bot', attempts: 3, accountMissing: false });
    expect(turn.reason).toContain('model unavailable');

    // 2. The agent is back; Messages refuses the send (Automation denied): a failed send is kept.
    rmSync(agentDown);
    inject(db, { from: '+15550000002', text: 'second' });
    const send = await waitUntil(() => list(h).find((l) => l.kind === 'send'), 'the failed send listed', 30_000);
    expect(send.status).toBe('failed');
    expect(send.reason).toMatch(/automation|apple events/i);
    const text = runCli(['delivery', 'list'], h);
    expect(text.stdout).toContain(`${send.id}  bot  FAILED`);
    expect(text.stdout).not.toContain('ack: second'); // never the message text

    // 3. Status: not ok while there are dead letters, with the counts; exit 4.
    const st = await waitUntil(() => {
      const r = runCli(['status', '--json'], h);
      const a = (JSON.parse(r.stdout) as { accounts: Array<{ id: string; delivery?: { deadLetters: number; unknown: number; pendingOverdue: number }; degradedReasons: Array<{ code: string }> }> }).accounts[0];
      return a?.delivery?.deadLetters === 2 ? { r, a } : undefined;
    }, 'status counting the dead letters');
    expect(st.r.code).toBe(4);
    expect(st.a.delivery).toMatchObject({ unknown: 0, pendingOverdue: 0 });
    expect(st.a.degradedReasons.map((d) => d.code)).toContain('dead-letters');

    // 4. The API: listed; bodies are validated; unknown ids are 404.
    const listed = await api(g, 'GET', '/api/delivery');
    expect(listed.status).toBe(200);
    expect((listed.body.deadLetters as Letter[]).map((l) => l.id).sort()).toEqual([send.id, turn.id].sort());
    const bad = await api(g, 'POST', '/api/delivery/retry', { id: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('"id"');
    const extra = await api(g, 'POST', '/api/delivery/retry', { id: send.id, banana: true });
    expect(extra.status).toBe(400);
    expect((await api(g, 'POST', '/api/delivery/retry', { id: 'send-99999' })).status).toBe(404);
    expect((await api(g, 'POST', '/api/delivery/retry', { id: 'nope' })).body.error).toContain('send-<number> or turn-<number>');

    // 5. Messages allows sends again. The turn is retried through the CLI (the running gateway's
    //    API), the send through the API; each reply goes out exactly once.
    rmSync(denied);
    const retried = runCli(['delivery', 'retry', turn.id], h);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('runs it now');
    const viaApi = await api(g, 'POST', '/api/delivery/retry', { id: send.id });
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toMatchObject({ id: send.id, kind: 'send', account: 'bot', started: true });
    await waitUntil(() => {
      const t = sentRows(db).map((r) => r.text);
      return t.includes('ack: first') && t.includes('ack: second') ? t : undefined;
    }, 'both replies sent', 30_000);
    await waitUntil(() => g.account('bot')?.outbox.depth === 0 || undefined, 'the outbox settled');
    const sent = sentRows(db).map((r) => r.text);
    expect(sent.filter((t) => t === 'ack: first')).toHaveLength(1);
    expect(sent.filter((t) => t === 'ack: second')).toHaveLength(1);
    expect(list(h)).toEqual([]);
    await waitUntil(() => runCli(['status'], h).code === 0 || undefined, 'status ok again');

    // 6. Discard through the API.
    writeFileSync(denied, '');
    inject(db, { from: '+15550000003', text: 'third' });
    const third = await waitUntil(() => list(h).find((l) => l.kind === 'send'), 'the third send failed', 30_000);
    const discarded = await api(g, 'POST', '/api/delivery/discard', { id: third.id });
    expect(discarded).toMatchObject({ status: 200, body: { id: third.id } });
    expect(list(h)).toEqual([]);

    // 7. Stopped gateway: the CLI works on the state database.
    expect((await g.stop()).code).toBe(0);
    const store = GatewayStore.open(stateDbPath(h));
    const target = JSON.stringify({ to: '+15550000004', handle: '+15550000004' });
    const row = (key: string, accountId = 'bot') => store.enqueueOutbox({ accountId, idempotencyKey: key, chatKey: 'handle:+15550000004', target, text: `offline ${key}`, source: 'cli' }).id;
    const unknown = row('unknown');
    store.markSending(unknown);
    store.markUnknown(unknown, 'deadline passed; the child was killed mid-send');
    const orphan = row('orphan', 'old');
    store.markSending(orphan);
    store.markFailed(orphan, 'invalid target');
    const queued = row('queued');
    store.close();

    const offline = list(h);
    expect(offline.find((l) => l.id === `send-${unknown}`)).toMatchObject({ status: 'unknown', accountMissing: false });
    expect(offline.find((l) => l.id === `send-${unknown}`)?.note).toContain('may already have been delivered');
    expect(offline.find((l) => l.id === `send-${orphan}`)).toMatchObject({ account: 'old', accountMissing: true });
    expect(offline.find((l) => l.id === `send-${orphan}`)?.note).toContain('no longer in the config');
    expect(offline.some((l) => l.id === `send-${queued}`)).toBe(false);

    const orphanRetry = runCli(['delivery', 'retry', `send-${orphan}`], h);
    expect(orphanRetry.code).toBe(1);
    expect(orphanRetry.stderr).toContain('account "old" is no longer in the config');
    const unforced = runCli(['delivery', 'retry', `send-${unknown}`], h);
    expect(unforced.code).toBe(1);
    expect(unforced.stderr).toContain('may already have been delivered');
    expect(unforced.stderr).toContain('--force');
    const inFlight = runCli(['delivery', 'purge', `send-${queued}`], h);
    expect(inFlight.code).toBe(1);
    expect(inFlight.stderr).toContain('in flight');
    const bulk = runCli(['delivery', 'purge', '--older-than', '0s', '--account', 'bot', '--json'], h);
    expect(JSON.parse(bulk.stdout)).toEqual({ sends: 0, turns: 0, unknownLeft: 1 });
    const forced = runCli(['delivery', 'retry', `send-${unknown}`, '--force'], h);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('the gateway is not running');
    expect(runCli(['delivery', 'retry', 'bogus'], h).code).toBe(2);

    // 8. Started again: the forced and the queued rows go out once each; the removed account's dead
    //    letter keeps status from ok until it is purged.
    rmSync(denied);
    g = start();
    await g.waitForState('bot', 'streaming');
    await waitUntil(() => {
      const t = sentRows(db).map((r) => r.text);
      return t.includes('offline unknown') && t.includes('offline queued') ? t : undefined;
    }, 'the offline rows sent', 30_000);
    const removed = await waitUntil(() => {
      const r = runCli(['status', '--json'], h);
      const s = JSON.parse(r.stdout) as { removedAccounts?: Array<{ id: string; deadLetters: number }> };
      return s.removedAccounts ? { r, s } : undefined;
    }, 'status listing the removed account');
    expect(removed.s.removedAccounts).toEqual([{ id: 'old', deadLetters: 1, unknown: 0 }]);
    expect(removed.r.code).toBe(4);
    const purged = runCli(['delivery', 'purge', `send-${orphan}`], h);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toContain(`purged send-${orphan}`);
    await waitUntil(() => runCli(['status'], h).code === 0 || undefined, 'status ok after the purge');
    expect(existsSync(join(h, 'state.db'))).toBe(true);
    expect(readFileSync(join(h, 'config.json5'), 'utf8')).toContain('"bot"');
  }, 150_000);

  it('an account removed from the config by a reload: its dead letter is listed with that reason, its retry refused, status not ok until it is purged', async () => {
    const dir = tempDir();
    const botDb = createSimDb(dir, 'bot.db');
    const oldDb = createSimDb(dir, 'old.db');
    const denied = simWrapper(dir, 'imsg-denied', { IMSG_SIM_AUTOMATION_DENIED: '1' });
    const g = startGateway(
      { imessage: { accounts: { bot: openAccount(plainSim(dir), botDb), old: openAccount(denied, oldDb) } } },
      undefined,
      { simProfile: '0.15' },
    );
    running.push(g);
    await g.waitForState('old', 'streaming');
    inject(oldDb, { from: '+15550000009', text: 'to the old account' });
    const letter = await waitUntil(() => list(g.home).find((l) => l.account === 'old'), 'the old account’s failed send', 30_000);
    expect(letter).toMatchObject({ kind: 'send', status: 'failed', accountMissing: false });

    // The account leaves the config; the gateway reloads it.
    const configPath = join(g.home, 'config.json5');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { imessage: { accounts: Record<string, unknown> } };
    delete config.imessage.accounts.old;
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const reloaded = runCli(['reload'], g.home);
    expect(reloaded.code, reloaded.stdout).toBe(0);
    expect(reloaded.stdout).toContain('stopped old');

    const listed = await api(g, 'GET', '/api/delivery');
    const missing = (listed.body.deadLetters as Letter[]).find((l) => l.id === letter.id);
    expect(missing).toMatchObject({ account: 'old', accountMissing: true });
    expect(missing?.note).toContain('account "old" is no longer in the config');
    const refused = await api(g, 'POST', '/api/delivery/retry', { id: letter.id });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toContain('account "old" is no longer in the config');
    const cliRefused = runCli(['delivery', 'retry', letter.id], g.home);
    expect(cliRefused.code).toBe(1);
    expect(cliRefused.stderr).toContain('add the account back');

    const st = await waitUntil(() => {
      const r = runCli(['status', '--json'], g.home);
      const s = JSON.parse(r.stdout) as { removedAccounts?: Array<{ id: string; deadLetters: number }>; accounts: Array<{ id: string }> };
      return s.removedAccounts && !s.accounts.some((a) => a.id === 'old') ? { r, s } : undefined;
    }, 'status with the removed account');
    expect(st.s.removedAccounts).toEqual([{ id: 'old', deadLetters: 1, unknown: 0 }]);
    expect(st.r.code).toBe(4);
    expect(runCli(['status'], g.home).stdout).toContain('not in the config any more: 1 dead letter, 0 unknown sends');

    const purged = runCli(['delivery', 'purge', letter.id, '--json'], g.home);
    expect(JSON.parse(purged.stdout)).toEqual({ purged: [letter.id], refused: [] });
    await waitUntil(() => runCli(['status'], g.home).code === 0 || undefined, 'status ok after the purge');
  }, 90_000);
});
