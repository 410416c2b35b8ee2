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

/** The full emulated bridge of --bridge: also sends tapbacks (arbitrary emoji too) and threaded, formatted text. */
export const FULL_BRIDGE = {
  ...EMULATED_BRIDGE,
  selectors: { ...EMULATED_BRIDGE.selectors, tapback: true, emojiTapbackSend: true, replyTo: true, textFormatting: true },
};

/**
 * `without`: capabilities taken away (`--without`): `typing`/`read` leave both method lists,
 * `reactions` reads false in `database.features` (and no reaction row is ever emitted).
 */
export function statusSnapshot(
  db: DbResource,
  bridge = false,
  without: ReadonlySet<string> = new Set(),
  fullBridge = false,
  tapbackEmoji = 2,
): Record<string, unknown> {
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
    bridge: fullBridge ? FULL_BRIDGE : bridge ? EMULATED_BRIDGE : { ready: false, error: BRIDGE_NOT_STARTED },
    contacts: { available: false },
    // `tapback` needs the full bridge (--bridge); --tracked-bridge alone serves only send.tracked.
    methods: usableMethods(gen !== null, bridge || fullBridge, fullBridge ? without : new Set([...without, 'tapback'])),
    supported_methods: supportedMethods(without),
    // §2.3: `tapback.emoji` = 2 only when the bridge selector emojiTapbackSend is true.
    capabilities: { engine: ENGINE, features: fullBridge && tapbackEmoji > 0 ? { 'tapback.emoji': tapbackEmoji } : {} },
  };
}
