/**
 * Catch-up after an outage (issue 12, item 4): a real gateway on imsg-sim. With the 0.15 profile
 * (messages.after advertised) a restart pages the 5,000 rows written while it was stopped in the
 * `catching-up` state, with progress in status, answers every row exactly once and logs one
 * summary line. With the 0.9 profile (no messages.after) the watch's since_rowid does it, as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import type { SimProfile } from '../helpers/sim-profiles.js';
import { SimWriter } from '../../src/sim/index.js';
import type { AccountStatus } from '../../src/supervisor/status.js';

const running: GatewayProcess[] = [];
const start = (profile: SimProfile, config: Record<string, unknown>, home?: string) => {
  // One turn per message: the backlog's rows are each answered once (a sender's rows would be collected).
  const g = startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, home, { simProfile: profile });
  running.push(g);
  return g;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

const ROWS = 5000;
const SENDERS = 25;
const summaryLines = (g: GatewayProcess) => g.records((r) => typeof r.msg === 'string' && r.msg.startsWith('caught up with messages.after'));

describe('catch-up after an outage', () => {
  it('imsg-sim 0.15: 5,000 rows paged with messages.after, progress in status, each answered once, one summary line', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    // Each page takes 300 ms in the sim, so the catching-up state lasts long enough to be seen in
    // status.json (written every second); the rows and their order are untouched.
    const cli = simWrapper(dir, 'imsg-slow-after', { IMSG_SIM_METHOD_DELAY: 'messages.after=300' });
    const config = { imessage: openAccount(cli, db) };
    const first = start('0.15', config);
    await first.waitForState('default', 'streaming');
    expect((await first.stop()).code).toBe(0);

    const writer = new SimWriter(db);
    try {
      writer.injectMany(Array.from({ length: ROWS }, (_, i) => ({ from: `+1555200${String(i % SENDERS).padStart(4, '0')}`, text: `backlog ${i}` })));
    } finally {
      writer.close();
    }

    const second = start('0.15', config, first.home);
    const during = await waitUntil(() => {
      const a = second.account('default');
      return a?.state === 'catching-up' && a.catchUp?.active && a.catchUp.rows > 0 ? a : undefined;
    }, 'progress in status while catching up', 30_000, 20);
    const progress = during.catchUp!;
    expect(progress.behindBy).toBeGreaterThan(0);
    expect(progress.behindBy).toBeLessThan(ROWS);
    expect(progress.rowsPerSecond).toBeGreaterThan(0);
    expect(progress.pages).toBeGreaterThanOrEqual(1);

    await second.waitForState('default', 'streaming', 60_000);
    const answered = await waitUntil(() => {
      const sent = sentRows(db);
      const a = second.account('default');
      return sent.length >= ROWS && a?.outbox.depth === 0 && a.journalLag === 0 ? { sent, a } : undefined;
    }, 'every row answered and the outbox drained', 150_000, 200);
    const texts = answered.sent.map((r) => r.text);
    expect(texts).toHaveLength(ROWS);
    expect(new Set(texts).size).toBe(ROWS);
    expect(new Set(texts)).toEqual(new Set(Array.from({ length: ROWS }, (_, i) => `echo: backlog ${i}`)));

    const status: AccountStatus = answered.a;
    expect(status.counters.accepted).toBe(ROWS);
    expect(status.catchUp).toMatchObject({ active: false, behindBy: 0, rows: ROWS, stoppedBy: 'caught-up' });
    expect(status.catchUp!.pages).toBeGreaterThanOrEqual(ROWS / 500);
    const moves = status.transitions.map((t) => `${t.from}→${t.to}`);
    expect(moves).toEqual(expect.arrayContaining(['spawning→initializing', 'initializing→catching-up', 'catching-up→streaming']));

    const summaries = summaryLines(second);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 30, rows: ROWS, stoppedBy: 'caught-up' });
    // The per-message "accepted" line of the caught-up rows is debug, not info.
    expect(second.records((r) => r.msg === 'message accepted → agent' && r.level === 30)).toHaveLength(0);
  }, 240_000);

  it('imsg-sim 0.9 (no messages.after): the watch resumes from since_rowid as before, with no catching-up state', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const config = { imessage: openAccount(SIM_BIN, db) };
    const first = start('0.9', config);
    await first.waitForState('default', 'streaming');
    expect((await first.stop()).code).toBe(0);
    for (let i = 0; i < 30; i++) inject(db, { from: '+15552100001', text: `legacy ${i}` });

    const second = start('0.9', config, first.home);
    await second.waitForState('default', 'streaming');
    const status = await waitUntil(() => {
      const a = second.account('default');
      return sentRows(db).length >= 30 && a?.outbox.depth === 0 ? a : undefined;
    }, 'the 30 replies');
    expect(sentRows(db).map((r) => r.text)).toEqual(Array.from({ length: 30 }, (_, i) => `echo: legacy ${i}`));
    expect(status.catchUp).toBeUndefined();
    expect(status.transitions.some((t) => t.to === 'catching-up')).toBe(false);
    expect(summaryLines(second)).toHaveLength(0);
  });
});
