/**
 * Unknown send outcomes on current imsg (issue 13, items 1 and 3), end to end with a real gateway
 * and real imsg-sim 0.15 children:
 * - every k-th send is delivered but answered -32001 "Delivery outcome unknown": it is reconciled
 *   with the chat, never sent again, so every reply is in the database exactly once;
 * - a send still in flight (still_in_flight, then -32004 for later sends) restarts the child, the
 *   send is reconciled, and the rest go out once each;
 * - a chat whose send outcome is unknown, and whose reconciliation is slow, does not hold up another
 *   chat's replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';

const running: GatewayProcess[] = [];
const start = (config: Record<string, unknown>, home?: string) => {
  // One turn per message: every reply of the stream is counted exactly once.
  const g = startGateway({ messages: ONE_TURN_PER_MESSAGE, ...config }, home, { simProfile: '0.15' });
  running.push(g);
  return g;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop('SIGKILL')));
});

const texts = (db: string) => sentRows(db).map((r) => r.text);
const counts = (db: string) => {
  const out = new Map<string, number>();
  for (const t of texts(db)) out.set(t, (out.get(t) ?? 0) + 1);
  return out;
};

/** Injects `perChat` messages into each of `chats` senders, interleaved; returns the expected replies. */
function stream(db: string, chats: number, perChat: number, tag: string): string[] {
  const expected: string[] = [];
  for (let i = 0; i < perChat; i++) {
    for (let c = 0; c < chats; c++) {
      const text = `${tag} ${c}.${i}`;
      inject(db, { from: `+1555333${String(c).padStart(4, '0')}`, text });
      expected.push(`echo: ${text}`);
    }
  }
  return expected;
}

describe('imsg-sim 0.15: unknown send outcomes', () => {
  it('every 3rd send is delivered but answered -32001: every reply is in the database exactly once', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const cli = simWrapper(dir, 'imsg-unknown', { IMSG_SIM_SEND_UNKNOWN_EVERY: '3' });
    const g = start({ imessage: openAccount(cli, db) });
    await g.waitForState('default', 'streaming');
    const expected = stream(db, 3, 4, 'm');
    const reconciled = () => g.records((r) => r.msg === 'reconciled: the earlier attempt did arrive; not sending again').length;
    // A row can be in chat.db before its -32001 answer reaches the gateway (the sim writes it first),
    // and status.json lags the log by up to a second: wait for the four unknown outcomes and their
    // reconciliations too, not only for the rows and an empty queue (fewer would time out here).
    const status = await waitUntil(() => {
      const a = g.account('default');
      return a && a.outbox.depth === 0 && a.outbox.unknown === 0 && a.counters.sendUnknown >= 4 && reconciled() >= 4 && texts(db).length >= expected.length ? a : undefined;
    }, 'every reply sent, four unknown outcomes reconciled and the outbox settled', 60_000);
    const c = counts(db);
    for (const reply of expected) expect(c.get(reply), reply).toBe(1);
    expect(texts(db)).toHaveLength(expected.length);
    expect(status.counters.sendUnknown).toBeGreaterThanOrEqual(4);
    expect(status.outbox.failed).toBe(0);
    expect(status.outbox.unknown).toBe(0);
    expect(reconciled()).toBeGreaterThanOrEqual(4);
    // Never resent: no "will retry" for a -32001.
    expect(g.records((r) => typeof r.msg === 'string' && r.msg.startsWith('send failed, will retry'))).toEqual([]);
    // The lane was never poisoned, so the child was never restarted for it.
    expect(status.restarts).toBe(0);
  }, 90_000);

  it('a send still in flight restarts the child; it is reconciled and every reply goes out exactly once', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const cli = simWrapper(dir, 'imsg-in-flight', { IMSG_SIM_SEND_IN_FLIGHT_EVERY: '3' });
    const g = start({ imessage: openAccount(cli, db) });
    await g.waitForState('default', 'streaming');
    const expected = stream(db, 2, 3, 'f');
    const status = await waitUntil(() => {
      const a = g.account('default');
      return a && a.state === 'streaming' && a.outbox.depth === 0 && texts(db).length >= expected.length ? a : undefined;
    }, 'every reply sent and the outbox settled', 60_000);
    const c = counts(db);
    for (const reply of expected) expect(c.get(reply), reply).toBe(1);
    expect(texts(db)).toHaveLength(expected.length);
    expect(status.restarts).toBeGreaterThanOrEqual(1);
    expect(status.outbox.failed).toBe(0);
    await g.waitForRecords((r) => typeof r.msg === 'string' && r.msg.startsWith('imsg has a send still in flight'), 'the in-flight send warning');
  }, 90_000);

  it('chat A, waiting on the reconciliation of an unknown send, does not hold up chat B', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    // Every 2nd send answers -32001; reconciling (messages.history) takes 4 s.
    const cli = simWrapper(dir, 'imsg-slow-reconcile', {
      IMSG_SIM_SEND_UNKNOWN_EVERY: '2',
      IMSG_SIM_METHOD_DELAY: 'messages.history=4000',
    });
    const g = start({ imessage: openAccount(cli, db), gateway: { supervision: { requestTimeoutMs: 15_000 } } });
    await g.waitForState('default', 'streaming');
    inject(db, { from: '+15554440001', text: 'b0' }); // send 1: answered
    await waitUntil(() => texts(db).includes('echo: b0') || undefined, "chat B's first reply");
    inject(db, { from: '+15554440002', text: 'a1' }); // send 2: delivered, answered -32001
    await waitUntil(() => g.records((r) => typeof r.msg === 'string' && r.msg.startsWith('send outcome unknown')).length > 0 || undefined, "chat A's unknown outcome");
    inject(db, { from: '+15554440001', text: 'b1' }); // send 3: answered, while A is being reconciled
    await waitUntil(() => texts(db).includes('echo: b1') || undefined, "chat B's second reply");
    const reconciled = () => g.logs.findIndex((l) => l.includes('reconciled: the earlier attempt did arrive'));
    // B's reply went out before A's reconciliation finished.
    expect(reconciled()).toBe(-1);
    await waitUntil(() => (reconciled() >= 0 && g.account('default')?.outbox.depth === 0) || undefined, "chat A's send reconciled", 30_000);
    expect(texts(db).sort()).toEqual(['echo: a1', 'echo: b0', 'echo: b1']);
  }, 60_000);
});
