/**
 * Issue 11, item 8 (b): a missing or empty state database in a home that has held one is refused
 * at start unless the operator asks for a fresh one. Before, the gateway silently began an empty
 * store, and an approved sender was asked to pair again.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { noteStoreContent, openHomeStore } from '../../src/store/home-store.js';
import { StateStoreMissingError, storeMarkerPath } from '../../src/store/store-marker.js';
import { tempHome } from './store-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function home(): { dir: string; dbPath: string } {
  const h = tempHome('gw-home-store-');
  cleanups.push(h.cleanup);
  return h;
}

/** A home that has held a store with an approved sender and a cursor, marked. */
function heldHome(): { dir: string; dbPath: string } {
  const h = home();
  const store = openHomeStore(h.dir);
  store.addApprovedSender('acct', '+15550001111', '+15550001111');
  store.setCursor('acct', 42);
  expect(noteStoreContent(h.dir, store, 1_700_000_000_000)).toBe(true);
  store.close();
  return h;
}

function refusal(fn: () => unknown): StateStoreMissingError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StateStoreMissingError);
    return err as StateStoreMissingError;
  }
  throw new Error('expected a StateStoreMissingError');
}

const removeStore = (dbPath: string) => {
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
};

describe('the home marker', () => {
  it('a fresh home opens; an empty store does not mark it, the first content does (0600)', () => {
    const h = home();
    const store = openHomeStore(h.dir);
    expect(noteStoreContent(h.dir, store, 1_700_000_000_000)).toBe(false);
    expect(existsSync(storeMarkerPath(h.dir))).toBe(false);
    store.setCursor('acct', 1);
    expect(noteStoreContent(h.dir, store, 1_700_000_000_000)).toBe(true);
    expect(statSync(storeMarkerPath(h.dir)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(storeMarkerPath(h.dir), 'utf8'))).toEqual({ path: h.dbPath, heldSince: '2023-11-14T22:13:20.000Z' });
    store.close();
    // and an empty home restarted before it held anything is not refused
    const fresh = home();
    openHomeStore(fresh.dir).close();
    openHomeStore(fresh.dir).close();
  });

  it('an existing store with content marks an unmarked home at open (an upgrade from a release without the marker)', () => {
    const h = home();
    const raw = GatewayStore.open(h.dbPath);
    raw.setCursor('acct', 5);
    raw.close();
    openHomeStore(h.dir).close();
    expect(existsSync(storeMarkerPath(h.dir))).toBe(true);
  });
});

describe('a home that has held a store', () => {
  it('opens while the store is there', () => {
    const h = heldHome();
    const store = openHomeStore(h.dir);
    expect(store.isApprovedSender('acct', '+15550001111')).toBe(true);
    store.close();
  });

  it('missing: refused, naming the path, the marker, what would be lost and the flag; nothing is created', () => {
    const h = heldHome();
    removeStore(h.dbPath);
    const err = refusal(() => openHomeStore(h.dir));
    expect(err.problem).toBe('missing');
    expect(err.message).toContain(`the state database ${h.dbPath} is missing`);
    expect(err.message).toContain(storeMarkerPath(h.dir));
    expect(err.message).toMatch(/approved senders.*pair again.*cursor.*outbox/s);
    expect(err.remediation).toContain('imessage-gateway start --reset-state');
    expect(existsSync(h.dbPath)).toBe(false);
  });

  it('a 0-byte file: refused as empty', () => {
    const h = heldHome();
    removeStore(h.dbPath);
    writeFileSync(h.dbPath, '');
    expect(refusal(() => openHomeStore(h.dir)).problem).toBe('empty');
  });

  it('a store with the schema but nothing in it (made afresh by another command): refused as empty', () => {
    const h = heldHome();
    removeStore(h.dbPath);
    GatewayStore.open(h.dbPath).close();
    expect(refusal(() => openHomeStore(h.dir)).problem).toBe('empty');
  });

  it('with resetState: a fresh store opens, and the home is marked again once it holds something', () => {
    const h = heldHome();
    removeStore(h.dbPath);
    const store = openHomeStore(h.dir, { resetState: true });
    expect(store.isApprovedSender('acct', '+15550001111')).toBe(false);
    expect(existsSync(storeMarkerPath(h.dir))).toBe(false);
    store.close();
    openHomeStore(h.dir).close(); // still empty, no marker: not refused
  });

  it('with resetState, the -wal and -shm the vanished database left are renamed aside, never deleted', () => {
    const h = heldHome();
    removeStore(h.dbPath);
    writeFileSync(`${h.dbPath}-wal`, 'frames of the deleted database');
    writeFileSync(`${h.dbPath}-shm`, 'index');
    expect(refusal(() => openHomeStore(h.dir)).remediation).toContain(`renames the ${h.dbPath}-wal left behind`);
    const moved: string[] = [];
    const store = openHomeStore(h.dir, { resetState: true, now: () => 0, onSetAside: (files) => moved.push(...files) });
    store.close();
    expect(moved).toEqual([`${h.dbPath}.orphaned-1970-01-01T00-00-00-000Z-wal`, `${h.dbPath}.orphaned-1970-01-01T00-00-00-000Z-shm`]);
    expect(readFileSync(moved[0]!, 'utf8')).toBe('frames of the deleted database');
  });
});
