/**
 * The CLI's access to a stopped gateway's state database (while a gateway runs, the CLI goes
 * through its control API instead: control-client.ts). Open, use, close, on every path.
 */
import { existsSync } from 'node:fs';
import { GatewayStore, stateDbPath } from '../store/index.js';

/** Opens (creating and migrating when needed) the home's state database for `fn`, then closes it. */
export function withStateDb<T>(home: string, fn: (store: GatewayStore) => T): T {
  const store = GatewayStore.open(stateDbPath(home));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** For readers: a home with no state database has nothing to read, and none is created. */
export function readStateDb<T>(home: string, empty: T, fn: (store: GatewayStore) => T): T {
  return existsSync(stateDbPath(home)) ? withStateDb(home, fn) : empty;
}
