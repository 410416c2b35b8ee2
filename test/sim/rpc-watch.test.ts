import { describe, expect, it } from 'vitest';
import { SimWriter } from '../../src/sim/index.js';
import { injectCli, Sim, sleep, tempDb, type Json, simStarter } from './sim-helper.js';

// The 0.9 profile (steipete/imsg 0.9.x) explicitly: the default is 0.15.
const start = simStarter(['--profile', '0.9']);

function fill(db: string, n: number, prefix = 'm'): void {
  const w = new SimWriter(db);
  w.injectMany(Array.from({ length: n }, (_, i) => ({ from: '+15551234567', text: `${prefix}${i + 1}` })));
  w.close();
}

const ids = (ns: Json[]): number[] => ns.map((n) => n['params']['message']['id'] as number);

describe('imsg-sim rpc: watch.subscribe', () => {
  it('since_rowid absent or 0 starts from the current MAX(ROWID)', async () => {
    const { db } = tempDb();
    fill(db, 3);
    const sim = start(db, ['--poll-ms', '150']);
    expect((await sim.request('watch.subscribe', { debounce_ms: 0 }))['result']).toEqual({ subscription: 1 });
    expect((await sim.request('watch.subscribe', { since_rowid: 0, debounce_ms: 0 }))['result']).toEqual({ subscription: 2 });
    await sleep(400);
    expect(sim.notifications()).toHaveLength(0);
    fill(db, 1, 'new');
    const ns = await sim.waitCount(2);
    expect(ns.map((n) => [n['params']['subscription'], n['params']['message']['id']]).sort()).toEqual([
      [1, 4],
      [2, 4],
    ]);
  });

  it('positive since_rowid is an exclusive cursor; negative replays everything; notifications may precede the response', async () => {
    const { db } = tempDb();
    fill(db, 5);
    const sim = start(db, ['--poll-ms', '60000']);
    const r1 = await sim.request('watch.subscribe', { since_rowid: 3, debounce_ms: 0 });
    const ns1 = await sim.waitCount(2);
    expect(ids(ns1)).toEqual([4, 5]);
    const responseIdx = sim.json.indexOf(r1);
    const firstNoteIdx = sim.json.findIndex((j) => j['method'] === 'message');
    expect(firstNoteIdx).toBeLessThan(responseIdx);
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    const all = await sim.waitCount(7);
    expect(ids(all.filter((n) => n['params']['subscription'] === 2))).toEqual([1, 2, 3, 4, 5]);
    const msg = all[0]!['params']['message'] as Json;
    expect(Object.keys(msg).sort()).toEqual(
      ['attachments', 'chat_guid', 'chat_id', 'chat_identifier', 'chat_name', 'created_at', 'destination_caller_id', 'guid', 'id', 'is_from_me', 'is_group', 'participants', 'reactions', 'sender', 'text'].sort(),
    );
    expect(msg['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('drains a backlog 100 rows per poll, in ROWID order, without duplicates', async () => {
    const { db } = tempDb();
    fill(db, 250);
    const sim = start(db, ['--poll-ms', '400']);
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    const ns = await sim.waitCount(250, 'message', 5000);
    expect(ids(ns)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    const lines = sim.lines.filter((l) => l.json?.['method'] === 'message');
    const groups: number[] = [];
    let last = -Infinity;
    for (const l of lines) {
      if (l.at - last > 150) groups.push(0);
      groups[groups.length - 1]! += 1;
      last = l.at;
    }
    expect(groups.length).toBeGreaterThanOrEqual(3);
    expect(groups[0]).toBe(100);
    expect(Math.max(...groups)).toBeLessThanOrEqual(100);
  });

  it('notices a row written by another process promptly (well under the fallback poll)', async () => {
    const { db } = tempDb();
    fill(db, 1);
    const sim = start(db, ['--poll-ms', '20000']);
    await sim.request('watch.subscribe', { since_rowid: 1, debounce_ms: 0 });
    await sleep(200);
    const out = injectCli(db, ['--from', 'jane@example.com', '--text', 'from outside']);
    const t0 = Date.now();
    const [n] = await sim.waitCount(1, 'message', 5000);
    // File watching, not the 20 s fallback poll, found it.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(n!['params']['message']).toMatchObject({ id: out['id'], text: 'from outside', sender: 'jane@example.com', is_from_me: false });
  });

  it('debounce: default 500 ms delays the poll, debounce_ms 0 does not', async () => {
    const { db } = tempDb();
    fill(db, 1);
    const slow = start(db, ['--poll-ms', '20000']);
    const fast = start(db, ['--poll-ms', '20000']);
    await slow.request('watch.subscribe', { since_rowid: 1 });
    await fast.request('watch.subscribe', { since_rowid: 1, debounce_ms: 0 });
    // Let any debounce started by the readers' own startup file activity run out first.
    await sleep(800);
    const t0 = Date.now();
    fill(db, 1, 'x');
    await fast.waitCount(1);
    const tFast = Date.now() - t0;
    await slow.waitCount(1);
    const tSlow = Date.now() - t0;
    expect(tFast).toBeLessThan(tSlow);
    expect(tSlow).toBeGreaterThanOrEqual(450);
  });

  it('the fallback poll catches rows without file events; filters and chat_id; unsubscribe stops', async () => {
    const { db } = tempDb();
    const w = new SimWriter(db);
    const a = w.injectMessage({ from: '+15551234567', text: 'a' });
    w.injectMessage({ from: 'jane@example.com', text: 'b' });
    w.injectMessage({ from: '+15551234567', text: 'c' });
    w.close();
    const sim = start(db, ['--poll-ms', '200']);
    await sim.request('watch.subscribe', { since_rowid: -1, chat_id: a.chat_id, debounce_ms: 0 });
    await sim.request('watch.subscribe', { since_rowid: -1, participants: ['JANE@example.com'], debounce_ms: 0 });
    const ns = await sim.waitCount(3);
    expect(ns.filter((n) => n['params']['subscription'] === 1).map((n) => n['params']['message']['text'])).toEqual(['a', 'c']);
    expect(ns.filter((n) => n['params']['subscription'] === 2).map((n) => n['params']['message']['text'])).toEqual(['b']);
    expect((await sim.request('watch.unsubscribe', { subscription: 1 }))['result']).toEqual({ ok: true });
    fill(db, 1, 'later');
    await sleep(600);
    expect(sim.notifications()).toHaveLength(3);
  });

  it('include_reactions emits tapback rows with reaction keys and fills reactions[]', async () => {
    const { db } = tempDb();
    const w = new SimWriter(db);
    const m = w.injectMessage({ from: '+15551234567', text: 'hello' });
    w.injectMessage({ from: '+15551234567', reaction: 'like', targetGuid: m.guid });
    w.close();
    const sim = start(db, ['--poll-ms', '60000']);
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0 });
    await sim.request('watch.subscribe', { since_rowid: -1, debounce_ms: 0, include_reactions: true });
    const ns = await sim.waitCount(3);
    const plain = ns.filter((n) => n['params']['subscription'] === 1).map((n) => n['params']['message']);
    expect(plain).toHaveLength(1);
    expect(plain[0]['reactions']).toEqual([]);
    const withR = ns.filter((n) => n['params']['subscription'] === 2).map((n) => n['params']['message']);
    expect(withR[0]['reactions'][0]).toMatchObject({ type: 'like', emoji: '👍' });
    expect(withR[1]).toMatchObject({ is_reaction: true, reaction_type: 'like', reaction_emoji: '👍', is_reaction_add: true, reacted_to_guid: m.guid, text: 'Liked “hello”' });
  });
});
