/**
 * Issue 11, item 8 (a), the store's part: node:sqlite keeps writing to a deleted or replaced
 * file. The store compares the path's (device, inode) with the file it opened before every call
 * and, once they differ, refuses everything with a `vanished` StoreError: no journal row, no
 * cursor advance is acknowledged any more.
 */
import { renameSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStore, StoreError } from '../../src/store/index.js';
import { fileIdentity, identityProblem } from '../../src/store/file-identity.js';
import { accepted, tempHome } from './store-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function openStore(): { store: GatewayStore; dbPath: string; dir: string } {
  const home = tempHome();
  const store = GatewayStore.open(home.dbPath);
  cleanups.push(() => {
    store.close();
    home.cleanup();
  });
  return { store, dbPath: home.dbPath, dir: home.dir };
}

function vanished(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

describe('identityProblem', () => {
  it('same device and inode: none; gone: deleted; another inode or device: replaced', () => {
    expect(identityProblem({ dev: 1, ino: 2 }, { dev: 1, ino: 2 })).toBeUndefined();
    expect(identityProblem({ dev: 1, ino: 2 }, undefined)).toBe('deleted');
    expect(identityProblem({ dev: 1, ino: 2 }, { dev: 1, ino: 3 })).toBe('replaced');
    expect(identityProblem({ dev: 1, ino: 2 }, { dev: 9, ino: 2 })).toBe('replaced');
  });

  it('fileIdentity: undefined for a missing path', () => {
    expect(fileIdentity('/nonexistent/dir/state.db')).toBeUndefined();
  });
});

describe('a state database deleted or replaced while open', () => {
  it('works while the path names the opened file', () => {
    const { store } = openStore();
    expect(store.fileProblem()).toBeUndefined();
    expect(store.recordInbound('acct', [accepted('g1', 10)], 10)).toEqual([true]);
    expect(store.getCursor('acct')).toBe(10);
  });

  it('deleted: every call refuses with `vanished`, naming the path and the fix; the cursor is never advanced', () => {
    const { store, dbPath } = openStore();
    store.recordInbound('acct', [accepted('g1', 10)], 10);
    rmSync(dbPath);
    const err = vanished(() => store.recordInbound('acct', [accepted('g2', 11)], 11));
    expect(err.kind).toBe('vanished');
    expect(err.recovery).toBe('fatal');
    expect(err.message).toContain(`${dbPath} no longer exists`);
    expect(err.remediation).toContain('--reset-state');
    expect(err.remediation).toContain('put it at');
    expect(vanished(() => store.getCursor('acct')).kind).toBe('vanished');
    expect(vanished(() => store.enqueueOutbox({ accountId: 'acct', idempotencyKey: 'k', chatKey: 'c', target: '{}', text: 't', source: 'cli' })).kind).toBe('vanished');
    expect(store.fileProblem()).toBe(err);
    store.close(); // closing still works
  });

  it('replaced by another file: refused as well', () => {
    const { store, dbPath, dir } = openStore();
    const other = GatewayStore.open(`${dir}/other.db`);
    other.close();
    renameSync(`${dir}/other.db`, dbPath);
    const err = vanished(() => store.recordInbound('acct', [accepted('g1', 10)], 10));
    expect(err.kind).toBe('vanished');
    expect(err.message).toContain(`another file was put at ${dbPath}`);
  });
});
