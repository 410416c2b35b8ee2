/**
 * session.dmScope end to end (real gateway, real imsg-sim, real command agent): under `per-peer`
 * each DM sender has its own session lane, so a slow agent turn for one sender does not delay
 * another sender; under `main` (the control) the second sender's turn waits for the first.
 * Against both imsg-sim profiles.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gatedAgent, gatedLog } from '../helpers/agents.js';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES, type SimProfile } from '../helpers/sim-profiles.js';

const SLOW = '+15551230010';
const FAST = '+15551230020';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

function setup(profile: SimProfile, dmScope: 'main' | 'per-peer') {
  const dir = tempDir();
  const db = createSimDb(dir);
  const log = join(dir, 'agent.log');
  const gate = join(dir, 'release-slow');
  gateway = startGateway(
    {
      imessage: openAccount(SIM_BIN, db),
      agents: { list: [gatedAgent(dir, log, gate, SLOW)] },
      session: { dmScope },
    },
    undefined,
    { simProfile: profile },
  );
  return { db, log, gate, release: () => writeFileSync(gate, '') };
}

describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => {
  describe('session.dmScope end to end', () => {
    it('per-peer: while the slow sender\'s turn is held, another sender is answered; each sender has its own session key', async () => {
      const { db, log, release } = setup(profile, 'per-peer');
      await gateway!.waitForState('default', 'streaming');

      inject(db, { from: SLOW, text: 'slow question' });
      await waitUntil(() => gatedLog(log).some((e) => e.event === 'start' && e.sender === SLOW) || undefined, 'the slow turn started');

      inject(db, { from: FAST, text: 'quick question' });
      // The slow turn is still held (the gate file does not exist yet): the fast reply must not wait for it.
      const fastReply = await waitUntil(() => sentRows(db).find((r) => r.text === 'ack: quick question'), 'the fast reply while the slow turn is held');
      expect(gatedLog(log).some((e) => e.event === 'end' && e.sender === SLOW)).toBe(false);
      expect(sentRows(db).some((r) => r.text === 'ack: slow question')).toBe(false);

      release();
      const slowReply = await waitUntil(() => sentRows(db).find((r) => r.text === 'ack: slow question'), 'the slow reply after release');
      expect(slowReply.chatId).not.toBe(fastReply.chatId);

      const starts = gatedLog(log).filter((e) => e.event === 'start');
      expect(starts.map((e) => [e.sender, e.session])).toEqual([
        [SLOW, `agent:main:dm:${SLOW}`],
        [FAST, `agent:main:dm:${FAST}`],
      ]);
    });

    it('main (the control): every DM shares one lane, so the second sender\'s turn starts only after the first one ends', async () => {
      const { db, log, release } = setup(profile, 'main');
      await gateway!.waitForState('default', 'streaming');

      inject(db, { from: SLOW, text: 'slow question' });
      await waitUntil(() => gatedLog(log).some((e) => e.event === 'start' && e.sender === SLOW) || undefined, 'the slow turn started');
      inject(db, { from: FAST, text: 'quick question' });
      // The fast message is accepted (journalled) but its turn is queued behind the held one.
      await waitUntil(() => ((gateway!.account('default')?.counters.accepted ?? 0) >= 2 ? true : undefined), 'both messages accepted');
      expect(gatedLog(log).some((e) => e.sender === FAST)).toBe(false);

      release();
      await waitUntil(() => sentRows(db).find((r) => r.text === 'ack: quick question'), 'the fast reply after release');
      const events = gatedLog(log).map((e) => `${e.event} ${e.sender} ${e.session}`);
      expect(events).toEqual([
        `start ${SLOW} agent:main:main`,
        `end ${SLOW} agent:main:main`,
        `start ${FAST} agent:main:main`,
        `end ${FAST} agent:main:main`,
      ]);
    });
  });
});
