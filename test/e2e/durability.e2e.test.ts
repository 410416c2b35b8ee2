/**
 * Durability end to end: the state database carries the cursor, the journal and the outbox across
 * gateway restarts, unknown send outcomes, backlogs and CLI sends. Real gateway, real imsg-sim,
 * real SQLite files. Every test that runs an imsg child runs against both imsg-sim profiles (0.9:
 * legacy protocol, catch-up with since_rowid; 0.15: v1, catch-up with messages.after).
 */
import { readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentLog, recordingAgent } from '../helpers/agents.js';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES, type SimProfile } from '../helpers/sim-profiles.js';

const running: GatewayProcess[] = [];
/** Starts gateways whose imsg-sim children run `profile`; every one is stopped after each test. */
const starter = (profile: SimProfile) => (config: Record<string, unknown>, home?: string) => {
  // One turn per message: these tests count replies per message (bursts, backlogs, the loop breaker).
  const g = startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, home, { simProfile: profile });
  running.push(g);
  return g;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const texts = (db: string) => sentRows(db).map((r) => r.text);

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  const start = starter(profile);

  describe('across gateway restarts', () => {
    it('answers, once each, the messages written while the gateway was stopped', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const config = { imessage: openAccount(SIM_BIN, db) };
      const first = start(config);
      await first.waitForState('default', 'streaming');
      inject(db, { from: '+15551110001', text: 'one' });
      await waitUntil(() => texts(db).includes('echo: one') || undefined, 'first reply');
      // The reply waited for its commit's fsync, made off the event loop (docs/durability.md#deferred-durability).
      await waitUntil(() => {
        const d = first.status()?.storeDurability;
        return d?.mode === 'deferred' && d.checkpoints === 'thread' && d.syncs > 0 ? true : undefined;
      }, 'status.json storeDurability: deferred, checkpoints on the thread, WAL fsyncs counted');
      expect((await first.stop()).code).toBe(0);

      inject(db, { from: '+15551110001', text: 'two' });
      inject(db, { from: '+15551110002', text: 'three' });
      const second = start(config, first.home);
      await second.waitForState('default', 'streaming');
      await waitUntil(() => texts(db).length === 3 || undefined, 'replies after restart');
      await sleep(1000);
      expect(texts(db)).toEqual(['echo: one', 'echo: two', 'echo: three']);
    });

    it('starts a new account from now by default, and from the catch-up window when configured', async () => {
      const dir = tempDir();
      const dbNow = createSimDb(dir, 'now.db');
      const dbCatch = createSimDb(dir, 'catch.db');
      const old = new Date(Date.now() - 10 * 60_000).toISOString();
      for (const db of [dbNow, dbCatch]) inject(db, { from: '+15551110003', text: 'written before the first start', date: old });
      const g = start({
        imessage: {
          accounts: {
            now: openAccount(SIM_BIN, dbNow),
            catch: openAccount(SIM_BIN, dbCatch, { catchUp: '1h' }),
          },
        },
      });
      await g.waitForState('now', 'streaming');
      await g.waitForState('catch', 'streaming');
      await waitUntil(() => texts(dbCatch).length === 1 || undefined, 'the caught-up message answered');
      inject(dbNow, { from: '+15551110003', text: 'fresh' });
      await waitUntil(() => texts(dbNow).length === 1 || undefined, 'the fresh message answered');
      expect(texts(dbNow)).toEqual(['echo: fresh']);
    });

    it('records but does not act on a backlog of old-dated rows', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const g = start({ imessage: openAccount(SIM_BIN, db, { backlogMaxAge: '15m' }) });
      await g.waitForState('default', 'streaming');
      const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
      for (let i = 0; i < 3; i++) inject(db, { from: '+15551110004', text: `old ${i}`, date: twoDaysAgo });
      inject(db, { from: '+15551110004', text: 'new' });
      await waitUntil(() => texts(db).includes('echo: new') || undefined, 'the fresh reply');
      // Look once every row has been handled, including the echo of our reply (a row of ours is
      // journaled, then dropped as own-message): status taken between the two shows that row as lag.
      const status = await waitUntil(() => {
        const a = g.account('default');
        return a && a.counters.dropped.backlog === 3 && (a.counters.dropped['own-message'] ?? 0) >= 1 ? a : undefined;
      }, 'three backlog drops and the echo of the reply');
      expect(texts(db)).toEqual(['echo: new']);
      expect(status.journalLag).toBe(0);
    });
  });

  describe('outbox', () => {
    for (const phase of ['after', 'before'] as const) {
      it(`reconciles a send whose answer never came (${phase === 'after' ? 'it was delivered' : 'it was not'}) without a duplicate`, async () => {
        const dir = tempDir();
        const db = createSimDb(dir);
        const slowFlag = join(dir, 'slow');
        writeFileSync(slowFlag, '');
        const cli = simWrapper(dir, 'imsg-slow', {
          IMSG_SIM_SLOW_SEND_MS: '4000',
          IMSG_SIM_SLOW_SEND_PHASE: phase,
          IMSG_SIM_SLOW_SEND_FLAG: slowFlag,
        });
        const g = start({ imessage: openAccount(cli, db), gateway: { supervision: { sendTimeoutMs: 1000, backoffInitialMs: 200, stopTimeoutMs: 300 } } });
        await g.waitForState('default', 'streaming');
        inject(db, { from: '+15551110005', text: 'slow one' });
        await waitUntil(() => (g.account('default')?.counters.sendUnknown ?? 0) >= 1 || undefined, 'the send deadline to pass');
        unlinkSync(slowFlag);
        await waitUntil(() => texts(db).includes('echo: slow one') || undefined, 'the reply in the database');
        await waitUntil(() => g.account('default')?.outbox.depth === 0 || undefined, 'the outbox to settle');
        await sleep(1500);
        expect(texts(db).filter((t) => t === 'echo: slow one')).toHaveLength(1);
        const status = g.account('default')!;
        expect(status.restarts).toBeGreaterThanOrEqual(1);
        expect(status.outbox.failed).toBe(0);
      });
    }

    it('fails a send refused by Automation for good, says why, and keeps streaming', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const cli = simWrapper(dir, 'imsg-automation', { IMSG_SIM_AUTOMATION_DENIED: '1' });
      const g = start({ imessage: openAccount(cli, db) });
      await g.waitForState('default', 'streaming');
      inject(db, { from: '+15551110006', text: 'hi' });
      const status = await waitUntil(() => {
        const a = g.account('default');
        return a && a.outbox.failed === 1 ? a : undefined;
      }, 'the failed send in status');
      expect(status.state).toBe('streaming');
      await g.waitForRecords((r) => r.errorClass === 'automation', 'the automation error');
      expect(texts(db)).toEqual([]);
    });

    it('sends `imessage-gateway send` through the running gateway, and queues it for the next start when stopped', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const g = start({ imessage: openAccount(SIM_BIN, db) });
      await g.waitForState('default', 'streaming');
      const live = runCli(['send', '--to', '+15551110007', '--text', 'from the cli'], g.home);
      expect(live.code).toBe(0);
      expect(Number(live.stdout.trim())).toBeGreaterThan(0);
      await waitUntil(() => texts(db).includes('from the cli') || undefined, 'the CLI message sent');

      await g.stop();
      const offline = runCli(['send', '--account', 'default', '--to', 'chat_id:1', '--text', 'queued while stopped', '--json'], g.home);
      expect(offline.code).toBe(0);
      expect(JSON.parse(offline.stdout)).toMatchObject({ account: 'default', gatewayRunning: false });
      const bad = runCli(['send', '--to', 'chat_id:12abc', '--text', 'x'], g.home);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('accepted forms');

      const again = start({ imessage: openAccount(SIM_BIN, db) }, g.home);
      await again.waitForState('default', 'streaming');
      await waitUntil(() => texts(db).includes('queued while stopped') || undefined, 'the queued message sent at start');
      await sleep(500);
      expect(texts(db)).toEqual(['from the cli', 'queued while stopped']);
    });

    it('pauses a chat that keeps getting replies nobody asked for, and resumes it when someone writes', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const g = start({ imessage: openAccount(SIM_BIN, db, { maxSendsWithoutInbound: 2 }) });
      await g.waitForState('default', 'streaming');
      // A loop: each of our replies comes back as someone else's message and is answered again.
      // The first message pays for one reply; two unpaid replies pause the chat; the next is held.
      const from = '+15551110008';
      inject(db, { from, text: 'x' });
      for (const text of ['echo: x', 'echo: echo: x', 'echo: echo: echo: x']) {
        await waitUntil(() => texts(db).includes(text) || undefined, `the reply ${text}`);
        inject(db, { from, text });
      }
      const paused = await waitUntil(() => {
        const a = g.account('default');
        return a && a.pausedChats.length === 1 && a.outbox.depth === 1 ? a : undefined;
      }, 'the chat to be paused');
      expect(paused.pausedChats).toEqual([`handle:${from}`]);
      expect(texts(db)).toEqual(['echo: x', 'echo: echo: x', 'echo: echo: echo: x']);

      inject(db, { from, text: 'y' });
      await waitUntil(() => texts(db).length === 5 || undefined, 'the held reply and the new one');
      expect(texts(db).slice(3)).toEqual(['echo: echo: echo: echo: x', 'echo: y']);
      await waitUntil(() => g.account('default')?.pausedChats.length === 0 || undefined, 'the chat resumed in status');
    });

    it('counts an agent turn of several replies as one send', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const log = join(dir, 'agent.log');
      const g = start({
        imessage: openAccount(SIM_BIN, db, { maxSendsWithoutInbound: 1 }),
        agents: { list: [recordingAgent(dir, log, { replies: 4, prefix: '' })] },
      });
      await g.waitForState('default', 'streaming');
      inject(db, { from: '+15551110010', text: 'x' });
      await waitUntil(() => (texts(db).length === 4 && g.account('default')?.outbox.depth === 0) || undefined, 'all four replies');
      expect(texts(db)).toEqual(['x #1', 'x #2', 'x #3', 'x #4']);
      expect(g.account('default')!.pausedChats).toEqual([]);
    });

    it('does not mistake a burst of messages answered one by one for a loop', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const g = start({ imessage: openAccount(SIM_BIN, db, { maxSendsWithoutInbound: 2 }) });
      await g.waitForState('default', 'streaming');
      await g.stop();
      for (let i = 0; i < 8; i++) inject(db, { from: '+15551110009', text: `burst ${i}` });
      const again = start({ imessage: openAccount(SIM_BIN, db, { maxSendsWithoutInbound: 2 }) }, g.home);
      await waitUntil(() => texts(db).length === 8 || undefined, 'eight replies');
      expect(again.account('default')!.pausedChats).toEqual([]);
    });
  });
});

// No imsg child runs here (the state database is refused first): once, not per profile.
describe('a corrupt state database', () => {
  it('refuses a corrupt state database, naming it and the way out, and leaves it untouched', () => {
    const home = tempDir('gw-home-');
    const dir = tempDir();
    const db = createSimDb(dir);
    const garbage = Buffer.from('this is not a sqlite database, but it is the user\'s file '.repeat(100));
    writeFileSync(join(home, 'state.db'), garbage);
    writeFileSync(join(home, 'config.json5'), JSON.stringify({ imessage: openAccount(SIM_BIN, db), agents: { list: [{ id: 'a', handler: { type: 'echo' } }] } }));
    const r = runCli(['start'], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(home, 'state.db'));
    expect(r.stderr).toMatch(/mv /);
    expect(readFileSync(join(home, 'state.db')).equals(garbage)).toBe(true);
  });
});
