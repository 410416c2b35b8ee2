/**
 * A slow `typing` never holds a reply inside imsg (issue 17, item 1), end to end on imsg-sim's
 * 0.15 profile with real processes. imsg runs `typing` and `send` on one FIFO mutation lane; the
 * sim makes every `typing` hold that lane (IMSG_SIM_SLOW_TYPING_MS) and logs, for each mutation it
 * admits, what was still queued or running ahead of it (IMSG_SIM_LANE_LOG). A mechanism check, not
 * a timing one: no send of the reply (two messages, sent one after the other) has a `typing` call
 * ahead of it in the lane, the stop (`typing:false`) is admitted after the last send, and the
 * replies arrive exactly once.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLaneLog } from '../../src/sim/lane-log.js';
import { type GatewayProcess, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { scriptAgent } from '../helpers/agents.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const FRIEND = '+15550001111';
const FRIEND_CHAT = `iMessage;-;${FRIEND}`;

/**
 * A command agent that answers two replies (`ack: <text>`, `more: <text>`: two sends, one after
 * the other) once the typing indicator has been shown (the sim records a `typing:true` in its
 * signals log when imsg has done it), so the turn ends after it.
 */
function afterTypingAgent(dir: string, signalLog: string) {
  const agent = scriptAgent(
    dir,
    'after-typing-agent',
    `  const shown = () => {
    try {
      return fs.readFileSync(${JSON.stringify(signalLog)}, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((r) => r.method === 'typing' && r.typing === true).length;
    } catch { return 0; }
  };
  const before = Number(env.text.split('#')[1] ?? 0);
  const poll = setInterval(() => {
    if (shown() <= before) return;
    clearInterval(poll);
    process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }, { text: 'more: ' + env.text }] }));
  }, 25);`,
  );
  return { list: [agent] };
}

describe('a slow typing call (imsg 0.15, IMSG_SIM_SLOW_TYPING_MS)', () => {
  it("never sits ahead of the reply's send in imsg's mutation lane; the reply arrives exactly once", async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const laneLog = join(dir, 'lanes.jsonl');
    const signalLog = `${db}.signals.jsonl`;
    const cli = simWrapper(dir, 'imsg', {
      IMSG_SIM_PROFILE: '0.15',
      IMSG_SIM_POLL_MS: '200',
      IMSG_SIM_SLOW_TYPING_MS: '1200',
      IMSG_SIM_LANE_LOG: laneLog,
    });
    gateway = startGateway(
      { agents: afterTypingAgent(dir, signalLog), imessage: { cliPath: cli, dbPath: db, dmPolicy: 'open', allowFrom: ['*'] } },
      undefined,
      { simProfile: '0.15' },
    );
    await gateway.waitForState('default', 'streaming');
    // Two turns in a row: the second starts after the first's stop, which imsg is slow with too.
    for (const [i, text] of ['first #0', 'second #1'].entries()) {
      inject(db, { from: FRIEND, text });
      await waitUntil(() => sentRows(db).some((r) => r.text === `more: ${text}`) || undefined, `reply ${i + 1}`);
    }
    const lanes = await waitUntil(() => {
      const l = readLaneLog(laneLog);
      return l.filter((r) => r.method === 'typing' && r.typing === false).length >= 2 ? l : undefined;
    }, 'both stops');
    const sends = lanes.filter((r) => r.method === 'send' || r.method === 'send.tracked');
    expect(sends).toHaveLength(4);
    for (const send of sends) {
      // Nothing of typing's was queued or running ahead of the reply when it entered the lane.
      expect(send.ahead.filter((a) => a.method === 'typing')).toEqual([]);
      // The stop came after the send, behind it.
      const stop = lanes.find((r) => r.method === 'typing' && r.typing === false && r.seq > send.seq);
      expect(stop?.chat_guid).toBe(FRIEND_CHAT);
    }
    // Shown once per turn, stopped once per turn, after both of its sends.
    const order = lanes.filter((r) => r.method !== 'read').map((r) => (r.method === 'typing' ? (r.typing ? 'on' : 'off') : 'send'));
    expect(order).toEqual(['on', 'send', 'send', 'off', 'on', 'send', 'send', 'off']);
    // Exactly once each.
    expect(sentRows(db).map((r) => r.text)).toEqual(['ack: first #0', 'more: first #0', 'ack: second #1', 'more: second #1']);
  });
});
