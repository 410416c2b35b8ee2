/**
 * A failed spawn of imsg is a typed SpawnError, never a TypeError on a missing pipe: a missing
 * binary asks the operator, a host out of descriptors (a real EMFILE, see helpers/descriptors.ts)
 * is retried with backoff. stop() after a failed start is a no-op.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { ClientStoppedError, SpawnError } from '../../src/imsg/errors.js';
import { toErrorInfo } from '../../src/account-rules/error-info.js';
import { systemClock } from '../../src/util/clock.js';
import { exhaustDescriptors } from '../helpers/descriptors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function client(cliPath: string, onExit: (e: unknown) => void = () => {}): ImsgRpcClient {
  return new ImsgRpcClient({
    cliPath,
    clock: systemClock,
    requestTimeoutMs: 2000,
    stopTimeoutMs: 200,
    handlers: { onExit },
  });
}

describe('imsg spawn failures', () => {
  it('EMFILE (a real descriptor shortage) rejects start() with a retryable SpawnError, and stop() does not throw', async () => {
    const exits: unknown[] = [];
    const c = client('/bin/cat', (e) => exits.push(e));
    const release = exhaustDescriptors();
    let started: Promise<void>;
    try {
      started = c.start();
    } finally {
      release();
    }
    const err = await started.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    const spawnError = err as SpawnError;
    expect(spawnError.errno).toBe('EMFILE');
    expect(spawnError.transient).toBe(true);
    expect(spawnError.recovery).toBe('retry');
    expect(spawnError.message).toContain('too many open files');
    expect(spawnError.remediation).toContain('retries with backoff');
    expect(toErrorInfo(spawnError, 0)).toMatchObject({ kind: 'spawn', recovery: 'retry' });
    expect(c.isRunning).toBe(false);
    expect(c.pid).toBeUndefined();
    await expect(c.request('chats.list')).rejects.toBe(err);
    await expect(c.stop()).resolves.toBeUndefined();
    expect(exits).toEqual([]);

    // Once descriptors are back, a fresh client starts.
    const again = client('/bin/cat');
    await again.start();
    expect(again.isRunning).toBe(true);
    await again.stop();
  });

  it('a missing binary is a SpawnError for the operator, and stop() after it does not throw', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-spawn-'));
    dirs.push(dir);
    const c = client(path.join(dir, 'no-such-imsg'));
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect((err as SpawnError).errno).toBe('ENOENT');
    expect((err as SpawnError).transient).toBe(false);
    expect((err as SpawnError).recovery).toBe('operator');
    await expect(c.stop()).resolves.toBeUndefined();
    await expect(c.request('chats.list')).rejects.toBe(err);
  });

  it('a cliPath node refuses synchronously (a NUL byte) rejects start() instead of throwing', async () => {
    const c = client('/bin/ca\0t');
    let thrown: unknown;
    let started: Promise<void> | undefined;
    try {
      started = c.start();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeUndefined();
    const err = await started!.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect(err).not.toBeInstanceOf(TypeError);
    await expect(c.stop()).resolves.toBeUndefined();
  });

  it('stop() before start() is a no-op', async () => {
    const c = client('/bin/cat');
    await c.stop();
    await expect(c.request('chats.list')).rejects.toBeInstanceOf(ClientStoppedError);
  });
});
