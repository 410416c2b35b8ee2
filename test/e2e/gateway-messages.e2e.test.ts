/**
 * End to end with real processes: the gateway binary, imsg-sim children, SQLite files, signals.
 * A message written into the simulated Messages database reaches the echo agent, and the reply
 * lands in the database as an is_from_me row of the right chat. Against both imsg-sim profiles (0.9
 * and 0.15).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, processesMatching, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES } from '../helpers/sim-profiles.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  // One turn per message: these tests expect one reply per message, bursts included.
  const start = (config: Record<string, unknown>, home?: string) =>
    startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, home, { simProfile: profile });

  describe('inbound to reply', () => {
    it('answers a DM in its chat and a mentioned group message in the group, and never answers itself', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      gateway = start({ imessage: openAccount(SIM_BIN, db) });
      await gateway.waitForState('default', 'streaming');

      const dm = inject(db, { from: '+15551230001', text: 'hello there' });
      const dmReply = await waitUntil(() => sentRows(db).find((r) => r.text === 'echo: hello there'), 'the DM reply');
      expect(dmReply.chatId).toBe(dm.chat_id);

      const group = { group: 'Family', participants: ['+15551230001', 'jane@example.com'] };
      inject(db, { from: 'jane@example.com', text: 'no mention here', ...group });
      const mentioned = inject(db, { from: 'jane@example.com', text: 'hey @bot ping', ...group });
      const groupReply = await waitUntil(() => sentRows(db).find((r) => r.text === 'echo: hey @bot ping'), 'the group reply');
      expect(groupReply.chatId).toBe(mentioned.chat_id);

      // The echoes of our own replies come back through the watch; they must not be answered.
      await waitUntil(() => (gateway!.account('default')?.counters.dropped['own-message'] ?? 0) >= 2 || undefined, 'own echoes seen');
      const texts = sentRows(db).map((r) => r.text);
      expect(texts).toEqual(['echo: hello there', 'echo: hey @bot ping']);
      const status = gateway.account('default')!;
      expect(status.counters.dropped['no-mention']).toBe(1);
      expect(status.counters.dispatched).toBe(2);
    });

    it('survives garbage lines on imsg stdout', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const cli = simWrapper(dir, 'imsg-garbage', { IMSG_SIM_GARBAGE_EVERY: '2' });
      gateway = start({ imessage: openAccount(cli, db) });
      await gateway.waitForState('default', 'streaming');
      for (let i = 0; i < 3; i++) inject(db, { from: '+15551230002', text: `msg ${i}` });
      await waitUntil(() => sentRows(db).length === 3 || undefined, 'three replies');
      const status = await waitUntil(() => {
        const a = gateway!.account('default');
        return a && a.counters.garbageLines > 0 ? a : undefined;
      }, 'garbage counted');
      expect(status.state).toBe('streaming');
      expect(status.restarts).toBe(0);
    });

    it('resubscribes from the last row after a watch error, without restarting imsg', async () => {
      const dir = tempDir();
      const db = createSimDb(dir);
      const cli = simWrapper(dir, 'imsg-watch-error', { IMSG_SIM_WATCH_ERROR_AFTER: '2' });
      gateway = start({ imessage: openAccount(cli, db) });
      await gateway.waitForState('default', 'streaming');
      for (let i = 0; i < 5; i++) {
        inject(db, { from: '+15551230003', text: `w${i}` });
        await waitUntil(() => sentRows(db).some((r) => r.text === `echo: w${i}`) || undefined, `reply w${i}`);
      }
      const status = gateway.account('default')!;
      expect(status.restarts).toBe(0);
      expect(status.counters.spawns).toBe(1);
      expect(status.transitions.some((t) => t.to === 'resubscribing')).toBe(true);
      expect(sentRows(db).map((r) => r.text)).toEqual(['echo: w0', 'echo: w1', 'echo: w2', 'echo: w3', 'echo: w4']);
    });

    it('stops every imsg child on SIGTERM and exits 0', async () => {
      const dir = tempDir();
      const dbs = [createSimDb(dir, 'a.db'), createSimDb(dir, 'b.db')];
      gateway = start({
        imessage: { accounts: { a: openAccount(SIM_BIN, dbs[0]!), b: openAccount(SIM_BIN, dbs[1]!) } },
      });
      await gateway.waitForState('a', 'streaming');
      await gateway.waitForState('b', 'streaming');
      const pids = [gateway.account('a')!.childPid!, gateway.account('b')!.childPid!];
      const { code } = await gateway.stop('SIGTERM');
      expect(code).toBe(0);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
      expect(processesMatching(dir)).toEqual([]);
      expect(gateway.status()?.accounts.map((a) => a.state)).toEqual(['stopped', 'stopped']);
    });
  });
});
