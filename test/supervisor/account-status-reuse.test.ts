/**
 * Issue 15, idle CPU: an idle account's status is built once and then handed out again (the same
 * object) until something it shows moves. A liveness probe round (the timed transition of
 * streaming.idle, its request and answer) changes nothing operators see, so the status tick neither
 * rebuilds the account nor finds a difference to write to status.json. A real Supervisor on a real
 * imsg-sim child, on a simulated clock; the machine's steps are watched through XState inspection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { accountStatePath } from '../../src/machines/account-machine.js';
import { type Cleanups, echoConfig, fixtureDir, openSimAccount, startRealSupervisor } from '../helpers/real-supervisor.js';
import { createSimDb, inject, waitUntil } from '../helpers/sim-db.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('account status reuse', () => {
  it('a probe round hands out the same status object; a received message builds a new one', async () => {
    const dir = fixtureDir(cleanups, 'gw-status-reuse-');
    const db = createSimDb(dir, 'a-chat.db');
    const paths: string[] = [];
    const actions: string[] = [];
    const inspect = (e: InspectionEvent) => {
      if ((e.actorRef as { id?: string }).id !== 'account:a') return;
      if (e.type === '@xstate.action') actions.push(e.action.type);
      if (e.type !== '@xstate.snapshot') return;
      paths.push(accountStatePath((e.snapshot as unknown as { value: Parameters<typeof accountStatePath>[0] }).value));
    };
    const config = echoConfig(dir, { a: openSimAccount(db) }, 'status-reuse test');
    const { supervisor, clock } = startRealSupervisor(cleanups, { dir, config, inspect });
    const a = supervisor.account('a')!;
    await waitUntil(() => a.status().state === 'streaming' || undefined, 'a streaming');
    const before = a.status();
    expect(a.status()).toBe(before);
    expect(supervisor.status().accounts[0]).toBe(before);

    paths.length = 0;
    clock.increment(config.gateway.supervision.livenessIntervalMs);
    // The timed transition ran inside increment and sent the probe: status still the same object.
    expect(actions.filter((t) => t === 'probe')).toHaveLength(1);
    expect(paths).toEqual(['child.streaming.idle']);
    expect(a.status()).toBe(before);
    // The probe's request, answered by the child (the runtime's session; no machine event).
    const session = (a as unknown as { session: { current?: { inFlight: number } } }).session;
    await waitUntil(() => session.current?.inFlight === 0 || undefined, 'the liveness probe answered');
    // After the probe's answer, nothing was rebuilt either.
    expect(paths).toEqual(['child.streaming.idle']);
    expect(a.status()).toBe(before);
    expect(before.statePath).toBe('child.streaming.idle');

    inject(db, { from: '+15550000001', text: 'hello' });
    await waitUntil(() => a.status().counters.received === 1 || undefined, 'the message counted');
    const after = a.status();
    expect(after).not.toBe(before);
    expect(before.counters.received).toBe(0);
  });
});
