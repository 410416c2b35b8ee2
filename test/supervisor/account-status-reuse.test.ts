/**
 * Issue 15, idle CPU: an idle account's status is built once and then handed out again (the same
 * object) until something it shows moves. A liveness probe round (streaming.idle → probing →
 * idle) changes nothing operators see, so the status tick neither rebuilds the account nor finds
 * a difference to write to status.json. A real Supervisor on a real imsg-sim child, on a
 * simulated clock; the machine's steps are watched through XState inspection.
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
    const inspect = (e: InspectionEvent) => {
      if (e.type !== '@xstate.snapshot' || (e.actorRef as { id?: string }).id !== 'account:a') return;
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
    // The machine is probing now (the timed transition ran inside increment): status still shows idle.
    expect(paths.at(-1)).toBe('child.streaming.probing');
    expect(a.status()).toBe(before);
    await waitUntil(
      () => paths.includes('child.streaming.probing') && paths.at(-1) === 'child.streaming.idle',
      'a liveness probe answered',
    );
    // After the probe's answer, nothing was rebuilt either.
    expect(a.status()).toBe(before);
    expect(before.statePath).toBe('child.streaming.idle');

    inject(db, { from: '+15550000001', text: 'hello' });
    await waitUntil(() => a.status().counters.received === 1 || undefined, 'the message counted');
    const after = a.status();
    expect(after).not.toBe(before);
    expect(before.counters.received).toBe(0);
  });
});
