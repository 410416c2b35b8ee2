/**
 * "This home has held a state store": `<home>/state.db.held` (0600), written once the store holds
 * something worth keeping. At start, a missing or empty store in a home with this marker is
 * refused unless the operator asks for a fresh one (`start --reset-state`): silently starting
 * afresh would forget every approved sender, pending pairing, cursor and queued reply.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readTextIfExists, writePrivateFile } from '../util/private-file.js';
import type { TypedError } from '../util/typed-error.js';

export const STORE_MARKER_FILE = 'state.db.held';

export function storeMarkerPath(home: string): string {
  return join(home, STORE_MARKER_FILE);
}

export interface StoreMarker {
  /** The database this home keeps (informational). */
  path: string;
  /** When the store was first seen holding something (ISO). */
  heldSince: string;
}

export function readStoreMarker(home: string): StoreMarker | undefined {
  const text = readTextIfExists(storeMarkerPath(home));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<StoreMarker>;
    return { path: String(parsed.path ?? ''), heldSince: String(parsed.heldSince ?? 'an unknown date') };
  } catch {
    return { path: '', heldSince: 'an unknown date' }; // unreadable content still says the home held a store
  }
}

export function writeStoreMarker(home: string, dbPath: string, now: number): void {
  const marker: StoreMarker = { path: dbPath, heldSince: new Date(now).toISOString() };
  writePrivateFile(storeMarkerPath(home), `${JSON.stringify(marker)}\n`);
}

export function removeStoreMarker(home: string): void {
  try {
    unlinkSync(storeMarkerPath(home));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** What is wrong with the store file before it is opened: missing, or 0 bytes. */
export function storeFileAbsence(dbPath: string): 'missing' | 'empty' | undefined {
  if (!existsSync(dbPath)) return 'missing';
  return statSync(dbPath).size === 0 ? 'empty' : undefined;
}

/** The home held a store that is gone now: start refuses (`fatal`) rather than begin a fresh one silently. */
export class StateStoreMissingError extends Error implements TypedError {
  readonly kind = 'state-store-missing';
  readonly recovery = 'fatal';
  readonly remediation: string;
  constructor(
    readonly path: string,
    readonly problem: 'missing' | 'empty',
    readonly marker: StoreMarker,
    readonly markerPath: string,
  ) {
    super(
      `the state database ${path} is ${problem === 'missing' ? 'missing' : 'empty'}, but this home has held one since ` +
        `${marker.heldSince} (${markerPath}). Starting now would begin a fresh store and lose what the old one held: ` +
        `the approved senders and pending pairing codes (approved people would be asked to pair again), each account's ` +
        `cursor (where reading resumes), and the outbox (replies not yet sent).`,
    );
    this.name = 'StateStoreMissingError';
    this.remediation =
      `put the file back (with its -wal and -shm companions) from where it went or from a backup and start again, ` +
      `or, to begin afresh on purpose, run \`imessage-gateway start --reset-state\`` +
      (existsSync(`${path}-wal`) ? ` (it renames the ${path}-wal left behind to ${path}.orphaned-<time>-wal, never deletes it).` : '.');
  }
}
