/**
 * A failed fsync of the state database's WAL (deferred durability) is shown, not only logged: the
 * store watch reports it once at error level, status's `store` says what and how to fix it, and
 * every enabled account is degraded with "no reply is sent" (nothing relying on a commit goes out).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStore } from '../../src/store/gateway-store.js';
import type { AccountStatus } from '../../src/supervisor/status.js';
import { StoreWatch, withStoreProblem } from '../../src/supervisor/store-watch.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('StoreWatch: a failed fsync', () => {
  it('makes the store unhealthy once, with the reason and the fix, and degrades the accounts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igw-fsync-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let fail = false;
    const store = GatewayStore.open(join(dir, 'state.db'), {
      durability: 'deferred',
      walFsync: () => (fail ? Promise.reject(new Error('EIO: i/o error, fsync')) : Promise.resolve()),
    });
    cleanups.push(() => {
      store.close();
      return store.closed(); // the checkpoint thread's connection too, before the folder goes
    });
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const watch = new StoreWatch({ store, home: dir, logger, now: () => Date.parse('2026-11-30T12:00:00Z') });
    expect(watch.check().ok).toBe(true);

    fail = true;
    store.enqueueOutbox({ accountId: 'bot', idempotencyKey: 'k', chatKey: 'c', target: '{}', text: 'x', source: 'cli' });
    await expect(store.durable()).rejects.toThrow();
    const health = watch.check();
    expect(health).toMatchObject({ ok: false, kind: 'fsync-failed', since: '2026-11-30T12:00:00.000Z' });
    expect(health.problem).toContain('an fsync of its write-ahead log failed (EIO: i/o error, fsync)');
    expect(health.remediation).toContain('check the disk');
    watch.check();
    const errors = lines.filter((l) => l['level'] === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ errorClass: 'store-fsync-failed' });

    const account = { enabled: true, health: 'ok', degradedReasons: [] } as unknown as AccountStatus;
    const degraded = withStoreProblem(account, health);
    expect(degraded.health).toBe('degraded');
    expect(degraded.degradedReasons[0]?.message).toMatch(/fsync of its write-ahead log failed .*; no reply is sent/);
  });
});
