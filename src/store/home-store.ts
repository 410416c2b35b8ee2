/**
 * Opening `<home>/state.db` for the gateway: a store that has gone missing or empty in a home that
 * held one is refused (StateStoreMissingError) unless `resetState` is set; the home's marker is
 * kept in step with what the store holds.
 */
import { existsSync, renameSync } from 'node:fs';
import { GatewayStore } from './gateway-store.js';
import { stateDbPath } from './paths.js';
import {
  readStoreMarker,
  removeStoreMarker,
  StateStoreMissingError,
  storeFileAbsence,
  storeMarkerPath,
  writeStoreMarker,
} from './store-marker.js';
import type { StoreOptions } from './types.js';

export interface HomeStoreOptions extends StoreOptions {
  /** The operator asked for a fresh store (`start --reset-state`): a missing or empty one is accepted. */
  resetState?: boolean;
  /** Told which companions of a vanished database `resetState` renamed out of the way. */
  onSetAside?: (files: string[]) => void;
}

export function openHomeStore(home: string, options: HomeStoreOptions = {}): GatewayStore {
  const path = stateDbPath(home);
  const marker = readStoreMarker(home);
  const reset = options.resetState === true;
  if (marker && !reset) {
    const absence = storeFileAbsence(path);
    if (absence) throw new StateStoreMissingError(path, absence, marker, storeMarkerPath(home));
  }
  if (reset && !existsSync(path)) {
    const moved = setAsideCompanions(path, (options.now ?? Date.now)());
    if (moved.length > 0) options.onSetAside?.(moved);
  }
  const store = GatewayStore.open(path, options);
  try {
    const content = store.hasContent();
    if (marker && !reset && !content) throw new StateStoreMissingError(path, 'empty', marker, storeMarkerPath(home));
    if (reset) removeStoreMarker(home);
    if (content) noteStoreContent(home, store, (options.now ?? Date.now)());
    return store;
  } catch (err) {
    store.close();
    throw err;
  }
}

/**
 * Writes the marker once the store holds something (checked at start and then periodically, so a
 * first run marks its home as soon as it has recorded a cursor). True when the home is marked.
 */
export function noteStoreContent(home: string, store: GatewayStore, now: number): boolean {
  if (readStoreMarker(home)) return true;
  if (!store.hasContent()) return false;
  writeStoreMarker(home, store.path, now);
  return true;
}

/**
 * The -wal and -shm of a database that is gone (deleted while the gateway ran) would make the
 * open refuse (an orphan WAL) or be discarded by SQLite: with `--reset-state` they are renamed
 * to `state.db.orphaned-<time>-wal` / `-shm`, never deleted. Returns the new paths.
 */
function setAsideCompanions(path: string, now: number): string[] {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const moved: string[] = [];
  for (const suffix of ['-wal', '-shm']) {
    const from = `${path}${suffix}`;
    if (!existsSync(from)) continue;
    const to = `${path}.orphaned-${stamp}${suffix}`;
    renameSync(from, to);
    moved.push(to);
  }
  return moved;
}
