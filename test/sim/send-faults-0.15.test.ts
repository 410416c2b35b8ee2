/**
 * The 0.15 profile's delivery fault switches (issue 13, item 5; current spec sections 4.3, 5.1,
 * 8.3; checklist 19 and, for the no-receipt answer, 41): a send delivered but answered -32001,
 * a send answered not_started, and still_in_flight poisoning the mutation lane until restart.
 */
import { describe, expect, it } from 'vitest';
import { sentRows } from '../helpers/sim-db.js';
import { tempDb, type Json, simStarter } from './sim-helper.js';

const start = simStarter(['--profile', '0.15']);
const errorOf = (r: Json): Json => r['error'] as Json;
const texts = (db: string): string[] => sentRows(db).map((r) => r.text);
const send = (text: string) => ({ to: '+15550001111', text });

describe('imsg-sim --profile 0.15: send delivery faults', () => {
  it('--send-unknown-every N: every Nth send writes its row, then answers -32001 may_have_completed', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--send-unknown-every', '2']);
    const answers: Json[] = [];
    for (const t of ['s1', 's2', 's3', 's4']) answers.push(await sim.request('send', send(t)));
    expect(answers.map((a) => ('error' in a ? errorOf(a)['code'] : 'ok'))).toEqual(['ok', -32001, 'ok', -32001]);
    expect(errorOf(answers[1]!)).toEqual({
      code: -32001,
      message: 'Delivery outcome unknown',
      data: {
        retry_safe: false,
        disposition: 'may_have_completed',
        transport: 'applescript',
        operation: 'send',
        detail: 'Messages automation returned success, but no matching outgoing text row was observed within 8 seconds.',
      },
    });
    // Delivered all the same: every send is in the database once.
    expect(texts(db)).toEqual(['s1', 's2', 's3', 's4']);
    // The lane is not poisoned: a fifth send goes through.
    expect((await sim.request('send', send('s5')))['result']['ok']).toBe(true);
  });

  it('IMSG_SIM_SEND_NOT_STARTED_EVERY: every Nth send answers -32603 not_started and writes nothing', async () => {
    const { db } = tempDb();
    const sim = start(db, [], { IMSG_SIM_SEND_NOT_STARTED_EVERY: '3' });
    const answers: Json[] = [];
    for (const t of ['a', 'b', 'c', 'd']) answers.push(await sim.request('send', send(t)));
    const e = errorOf(answers[2]!);
    expect(e['code']).toBe(-32603);
    expect(e['message']).toBe('Delivery failed before dispatch');
    expect(e['data']).toMatchObject({ retry_safe: true, disposition: 'not_started', transport: 'applescript', operation: 'send' });
    expect(texts(db)).toEqual(['a', 'b', 'd']);
  });

  it('19: --send-in-flight-every N: -32001 still_in_flight, queued and later mutations get -32004, reads still answer; a restart clears it', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--send-in-flight-every', '1', '--slow-send-ms', '300']);
    // The first send poisons; the second is queued behind it when that happens.
    sim.send({ jsonrpc: '2.0', id: 'p', method: 'send', params: send('poison') });
    sim.send({ jsonrpc: '2.0', id: 'q', method: 'send', params: send('queued') });
    const poisoned = await sim.waitFor((j) => j['id'] === 'p');
    expect(errorOf(poisoned)['code']).toBe(-32001);
    expect(errorOf(poisoned)['data']).toMatchObject({ retry_safe: false, disposition: 'still_in_flight', transport: 'applescript', operation: 'send' });
    const queued = await sim.waitFor((j) => j['id'] === 'q');
    const blocked = {
      code: -32004,
      message: 'Mutation lane blocked',
      data: {
        retry_safe: false,
        disposition: 'still_in_flight',
        transport: 'applescript',
        operation: 'send',
        detail: 'A prior send remains in flight. Restart the RPC child before sending another mutation.',
      },
    };
    expect(errorOf(queued)).toEqual(blocked);
    expect(errorOf(await sim.request('send', send('later')))).toEqual(blocked);
    // Reads and control keep working.
    expect((await sim.request('chats.list'))['result']['chats']).toHaveLength(1);
    expect((await sim.request('watch.unsubscribe', { subscription: 3 }))['result']).toEqual({ ok: true });
    // The poisoning send landed; the blocked ones never ran.
    expect(texts(db)).toEqual(['poison']);
    expect((await sim.close()).code).toBe(0);

    const fresh = start(db, ['--send-in-flight-every', '2']);
    expect((await fresh.request('send', send('after restart')))['result']['ok']).toBe(true);
    expect(texts(db)).toEqual(['poison', 'after restart']);
  });

  it('rejects a non-positive N', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--send-unknown-every', '0']);
    expect((await sim.exited).code).toBe(1);
  });
});
