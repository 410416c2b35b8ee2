/**
 * imsg-sim's benchmark knobs: replay mode (--replay / IMSG_SIM_REPLAY) and the hidden debounce
 * override (IMSG_SIM_DEBOUNCE_MS). Runs the real simulator (build first).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLine, injectMessage, readMessages, SimWriter } from '../../src/sim/index.js';
import { Sim, sleep, tempDb } from '../sim/sim-helper.js';

const sims: Sim[] = [];
const start = (db: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Sim => {
  // Replay mode is a knob of the 0.9 server (the one the benchmark drives); the default is 0.15.
  const sim = Sim.rpc(db, ['--profile', '0.9', ...extra], env);
  sims.push(sim);
  return sim;
};
afterEach(() => {
  for (const s of sims.splice(0)) s.kill();
});

/** A replay file of `n` message notifications generated from a scratch database, for subscription `sub`. */
function replayFile(dir: string, n: number, sub: number): string {
  const { db } = tempDb();
  const w = new SimWriter(db);
  w.injectMany(Array.from({ length: n }, (_, i) => ({ from: '+15551230000', text: `r-${i}` })));
  w.close();
  const file = join(dir, `replay-${sub}.ndjson`);
  writeFileSync(
    file,
    readMessages(db, { afterRowid: 0, limit: n })
      .map((message) => encodeLine({ jsonrpc: '2.0', method: 'message', params: { subscription: sub, message } }))
      .join(''),
  );
  return file;
}

describe('imsg-sim replay mode', () => {
  it('writes the file after the subscribe response, rewriting the subscription id, and keeps answering requests', async () => {
    const { dir, db } = tempDb();
    const file = replayFile(dir, 500, 7);
    const sim = start(db, ['--replay', file]);
    const sub = await sim.request('watch.subscribe', { since_rowid: -1 });
    expect(sub['result']).toEqual({ subscription: 1 });
    const messages = await sim.waitCount(500);
    expect(messages.map((m) => m['params']['subscription'])).toEqual(Array(500).fill(1));
    expect(messages.map((m) => m['params']['message']['text'])).toEqual(Array.from({ length: 500 }, (_, i) => `r-${i}`));
    const responseAt = sim.json.findIndex((j) => j['id'] !== undefined && 'result' in j && j['result']['subscription'] === 1);
    const firstReplayAt = sim.json.findIndex((j) => j['method'] === 'message');
    expect(responseAt).toBeLessThan(firstReplayAt);
    expect((await sim.request('chats.list', { limit: 1 }))['result']).toEqual({ chats: [] });
    // Only once per process.
    await sim.request('watch.subscribe', { since_rowid: -1 });
    await sleep(200);
    expect(sim.notifications()).toHaveLength(500);
    expect((await sim.close()).code).toBe(0);
  });

  it('takes IMSG_SIM_REPLAY from the environment and leaves lines alone when the ids match', async () => {
    const { dir, db } = tempDb();
    const file = replayFile(dir, 3, 1);
    const sim = start(db, [], { IMSG_SIM_REPLAY: file });
    await sim.request('watch.subscribe', {});
    const messages = await sim.waitCount(3);
    expect(messages.map((m) => m['params']['message']['text'])).toEqual(['r-0', 'r-1', 'r-2']);
  });
});

describe('IMSG_SIM_DEBOUNCE_MS (hidden benchmark override)', () => {
  it('forces the debounce whatever the client asked for', async () => {
    const { db } = tempDb();
    injectMessage(db, { from: '+15551230000', text: 'seed' });
    const forced = start(db, ['--poll-ms', '20000'], { IMSG_SIM_DEBOUNCE_MS: '0' });
    await forced.request('watch.subscribe', { since_rowid: 1 });
    await sleep(800);
    const t0 = Date.now();
    injectMessage(db, { from: '+15551230000', text: 'x' });
    await forced.waitCount(1);
    expect(Date.now() - t0).toBeLessThan(350);
  });

  it('rejects a value that is not a non-negative integer', async () => {
    const { db } = tempDb();
    const sim = start(db, [], { IMSG_SIM_DEBOUNCE_MS: 'soon' });
    const { code } = await sim.exited;
    expect(code).toBe(1);
    expect(sim.lines.map((l) => l.raw).join('\n')).toContain('IMSG_SIM_DEBOUNCE_MS');
  });
});
