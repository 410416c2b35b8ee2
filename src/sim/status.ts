import type { DbResource } from './db-resource.js';
import { supportedMethods, usableMethods } from './v1-methods.js';

export const SIM_V1_VERSION = '0.15.10';
export const PROTOCOL_VERSION = 1;
export const BRIDGE_NOT_STARTED =
  'The bridge is not started. Run imsg launch explicitly before using bridge methods.';

/** Fixed engine identity of the simulated build (`capabilities.engine`). */
const ENGINE = { version: SIM_V1_VERSION, commit: 'imsg-sim', built_at: '2026-10-01T00:00:00Z' };

/**
 * The `status` / `initialize` readiness snapshot (current spec section 2.3). Building it retries
 * the database open, so a granted permission shows up in the same process.
 */
/** The emulated bridge of --tracked-bridge: ready, v2, and reserving caller-owned GUIDs (section 8.4). */
export const EMULATED_BRIDGE = {
  ready: true,
  bridge_version: 'imsg-sim',
  v2_ready: true,
  registry_available: true,
  selectors: { clientMessageGuidReservation: true, clientMessageGuid: true },
};

/**
 * `without`: capabilities taken away (`--without`): `typing`/`read` leave both method lists,
 * `reactions` reads false in `database.features` (and no reaction row is ever emitted).
 */
export function statusSnapshot(db: DbResource, bridge = false, without: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const gen = db.probe();
  const database = gen
    ? {
        path: db.path,
        ready: true,
        features: {
          unread_state: false,
          scheduled_messages: false,
          reactions: !without.has('reactions'),
          reply_context: true,
          routing_metadata: true,
          balloon_payloads: true,
        },
      }
    : { path: db.path, ready: false, error: db.lastError };
  return {
    version: SIM_V1_VERSION,
    protocol_version: PROTOCOL_VERSION,
    database,
    bridge: bridge ? EMULATED_BRIDGE : { ready: false, error: BRIDGE_NOT_STARTED },
    contacts: { available: false },
    methods: usableMethods(gen !== null, bridge, without),
    supported_methods: supportedMethods(without),
    capabilities: { engine: ENGINE, features: {} },
  };
}
