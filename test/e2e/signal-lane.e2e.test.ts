/**
 * Typing and read receipts share imsg's ONE mutation lane with every chat's sends (issue 17,
 * item 1 follow-up), end to end on imsg-sim's 0.15 profile with real processes. Every `typing`
 * holds the lane for a while (IMSG_SIM_SLOW_TYPING_MS); the lane log (IMSG_SIM_LANE_LOG) names,
 * for each admitted mutation, what was still queued or running ahead of it.
 *
 * Four chats at once: A, B and C answer once their own indicator has been shown; D answers as soon
 * as the first typing call has entered the lane; sends are slow too (IMSG_SIM_METHOD_DELAY), so
 * replies wait in the outbox while one is sent. The gateway keeps one signal call in flight per
 * account and issues none while a reply is queued or sending, so the bound it guarantees is: no
 * send has more than ONE typing/read call ahead of it in the lane (the one already in flight when
 * the reply was queued), and no signal call is admitted while a send runs. Without the account
 * queue, D's send sits behind every chat's start; without the hold, signals go between sends.
 * Read receipts still arrive for every chat, stops follow the shown indicators, each reply once.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLaneLog } from '../../src/sim/lane-log.js';
import { readSignals } from '../../src/sim/signals.js';
import { type GatewayProcess, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { scriptAgent } from '../helpers/agents.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const FRIENDS = { A: '+15550001001', B: '+15550001002', C: '+15550001003', D: '+15550001004' };

/** A: B: C: reply once their chat's typing:true is done by imsg; D: once any typing entered the lane. */
function laneAgent(dir: string, signalLog: string, laneLog: string) {
  const agent = scriptAgent(
    dir,
    'lane-agent',
    `  const lines = (f) => { try { return fs.readFileSync(f, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; } };
  const ready = env.text.startsWith('D')
    ? () => lines(${JSON.stringify(laneLog)}).some((r) => r.method === 'typing')
    : () => lines(${JSON.stringify(signalLog)}).some((r) => r.method === 'typing' && r.typing === true && r.chat_guid === env.chat.guid);
  const poll = setInterval(() => {
    if (!ready()) return;
    clearInterval(poll);
    process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] }));
  }, 25);`,
  );
  return { list: [agent] };
}

describe("typing and read receipts on imsg's one lane (imsg 0.15, IMSG_SIM_SLOW_TYPING_MS)", () => {
  it('at most one signal call ahead of any send, whichever chat it is for; reads arrive; each reply once', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const laneLog = join(dir, 'lanes.jsonl');
    const signalLog = `${db}.signals.jsonl`;
    const cli = simWrapper(dir, 'imsg', {
      IMSG_SIM_PROFILE: '0.15',
      IMSG_SIM_POLL_MS: '200',
      IMSG_SIM_SLOW_TYPING_MS: '800',
      // Sends are slow too: replies of other chats wait in the outbox while one is sent.
      IMSG_SIM_METHOD_DELAY: 'send=400,send.tracked=400',
      IMSG_SIM_LANE_LOG: laneLog,
    });
    gateway = startGateway(
      { agents: laneAgent(dir, signalLog, laneLog), imessage: { cliPath: cli, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] } },
      undefined,
      { simProfile: '0.15' },
    );
    await gateway.waitForState('default', 'streaming');
    for (const [name, from] of Object.entries(FRIENDS)) inject(db, { from, text: `${name} hello` });
    const want = Object.keys(FRIENDS).map((n) => `ack: ${n} hello`);
    await waitUntil(() => (want.every((t) => sentRows(db).some((r) => r.text === t)) ? true : undefined), 'all four replies');
    const shown = await waitUntil(() => {
      const sig = readSignals(signalLog);
      const on = new Set(sig.filter((r) => r.method === 'typing' && r.typing === true).map((r) => r.chat_guid));
      const off = new Set(sig.filter((r) => r.method === 'typing' && r.typing === false).map((r) => r.chat_guid));
      return on.size >= 3 && [...on].every((g) => off.has(g)) ? on : undefined;
    }, 'a stop for every shown indicator');
    for (const name of ['A', 'B', 'C'] as const) expect(shown.has(`iMessage;-;${FRIENDS[name]}`)).toBe(true);

    const lanes = readLaneLog(laneLog);
    const sends = lanes.filter((r) => r.method === 'send' || r.method === 'send.tracked');
    expect(sends).toHaveLength(4);
    for (const send of sends) {
      const signalsAhead = send.ahead.filter((a) => a.method === 'typing' || a.method === 'read');
      expect(signalsAhead.length, `send #${send.seq} had ${JSON.stringify(signalsAhead)} ahead`).toBeLessThanOrEqual(1);
    }
    for (const r of lanes.filter((l) => l.method === 'typing' || l.method === 'read')) {
      // Never two signal calls in the lane at once (one in flight per account) ...
      expect(r.ahead.filter((a) => a.method === 'typing' || a.method === 'read')).toEqual([]);
      // ... and none issued while a reply of the account was sending (held until the outbox is idle).
      expect(r.ahead.filter((a) => a.method === 'send' || a.method === 'send.tracked'), `signal #${r.seq} admitted behind a send`).toEqual([]);
    }
    // Read receipts still go, one per chat at least.
    const reads = new Set(readSignals(signalLog).filter((r) => r.method === 'read').map((r) => r.chat_guid ?? r.to));
    expect(reads.size).toBe(4);
    // Exactly once each.
    expect(sentRows(db).map((r) => r.text).sort()).toEqual(want);
  });
});
