/**
 * Inbound backpressure end to end (issue 15, inbound-backlog.ts): a real gateway, real imsg-sim
 * (both protocol profiles: 0.15, protocol v1, and 0.9, legacy) and a real command agent holding a
 * slow turn.
 * 1,000 messages arrive while the agent is busy: the gateway stops reading imsg once 512 wait
 * (imsg-sim then blocks on its full stdout pipe). The liveness probes (every 500 ms here) still get
 * their answers: the lines ahead of an answer are read and the notifications among them set aside,
 * unparsed, so the account stays streaming and takes in no more. Once the agent is free, every
 * message is journalled once, dispatched once and answered once (in collected turns), with no
 * restart.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { stateDbPath } from '../../src/store/index.js';
import { turnAgent, turnLog } from '../helpers/agents.js';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

const ALICE = '+15551230077';
const BURST = 1000;

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop('SIGKILL');
  gateway = undefined;
});

function journalStates(home: string): Map<string, string> {
  const db = new SqliteDatabase(stateDbPath(home), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT guid, state FROM inbound_journal WHERE reason IS NOT 'own-message'`).all() as Array<{ guid: string; state: string }>;
    return new Map(rows.map((r) => [r.guid, r.state]));
  } finally {
    db.close();
  }
}

describe.each(['0.15', '0.9'] as const)('inbound backpressure (imsg-sim %s)', (profile) => {
  it('1,000 messages behind a busy agent: reading is held, probes still answered, and each message is answered exactly once', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.log');
    const home = tempDir('gw-home-');
    gateway = startGateway({ imessage: openAccount(SIM_BIN, db), agents: { list: [turnAgent(dir, log)] } }, home, { simProfile: profile });
    await gateway.waitForState('default', 'streaming');

    writeFileSync(join(dir, 'hold-slow'), '');
    const slow = inject(db, { from: ALICE, text: 'slow' });
    await waitUntil(() => turnLog(log).some((e) => e.event === 'start' && e.text === 'slow') || undefined, 'the slow turn started');
    const writer = new SimWriter(db);
    const burst = [];
    try {
      for (let i = 1; i <= BURST; i++) burst.push(writer.injectMessage({ from: ALICE, text: `m${i}` }));
    } finally {
      writer.close();
    }

    // The gateway stops reading at 512 waiting messages.
    await waitUntil(() => ((gateway!.account('default')?.counters.inboundHolds ?? 0) >= 1 ? true : undefined), 'reading held', 30_000);
    // Over several liveness probes (each needs the lines ahead of its answer read), nothing more is taken in.
    let most = 0;
    for (const until = Date.now() + 2500; Date.now() < until; ) {
      const a = gateway.account('default')!;
      expect(a.state).toBe('streaming');
      most = Math.max(most, a.counters.accepted);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(most).toBeGreaterThanOrEqual(500);
    expect(most).toBeLessThan(600);

    rmSync(join(dir, 'hold-slow'), { force: true });
    const guids = [slow.guid, ...burst.map((b) => b.guid)];
    await waitUntil(
      () => {
        const states = journalStates(home);
        return guids.every((g) => states.get(g) === 'dispatched') || undefined;
      },
      'every message dispatched',
      60_000,
    );
    const states = journalStates(home);
    expect([...states.keys()].filter((g) => guids.includes(g))).toHaveLength(guids.length);

    // Answered exactly once: every message is in exactly one turn, and every turn replied once.
    const starts = turnLog(log).filter((e) => e.event === 'start');
    const answered = starts.flatMap((t) => [...t.collected.map((c) => c.text), t.text]);
    expect([...answered].sort()).toEqual(['slow', ...burst.map((_, i) => `m${i + 1}`)].sort());
    await waitUntil(() => sentRows(db).length >= starts.length || undefined, 'one reply per turn', 60_000);
    const sent = sentRows(db).map((r) => r.text);
    expect(sent).toHaveLength(starts.length);
    expect(new Set(sent).size).toBe(sent.length);
    await waitUntil(() => (gateway!.account('default')?.counters.dispatched === BURST + 1 ? true : undefined), 'status counting every message dispatched');
    expect(gateway.account('default')!.restarts).toBe(0);
  }, 120_000);
});
