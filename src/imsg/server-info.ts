/**
 * What the gateway knows about the imsg it talks to, read from the `initialize` / `status`
 * snapshot (imsg-rpc-current.md §2.3). Pure and tolerant: a snapshot with missing or mistyped
 * fields still yields an answer, and says which fields were missing (logged once by the caller).
 */

export type ImsgProtocol = 'v1' | 'legacy';

export interface ImsgServerInfo {
  protocol: ImsgProtocol;
  /** `0.15.10`; null when unknown (legacy imsg does not say). */
  version: string | null;
  /** Methods usable right now (v1 `methods`); null in legacy mode: assume the 0.9 set. */
  methods: string[] | null;
  /** Methods compiled into this build (v1 `supported_methods`); null in legacy mode. */
  supportedMethods: string[] | null;
  /** v1 only: whether the Messages database is open, with imsg's reason when it is not. */
  database: { ready: boolean; path: string | null; error: string | null; features?: Record<string, boolean> } | null;
  /** v1 0.15.10+: `capabilities.engine.version`, `capabilities.features`. */
  features: Record<string, number>;
  /**
   * v1: `status.bridge.ready`, the IMCore bridge runs. Only then does imsg send threaded replies
   * (`reply_to`) and render `text_formatting` (§3.3, §8.1). False in legacy mode.
   */
  bridgeReady?: boolean;
  /**
   * Legacy mode although imsg claimed protocol v1 (it answered `initialize` but rejected `status`):
   * why, in a fixed text, for status and the log. Absent otherwise.
   */
  fallback?: string;
}

export const LEGACY_SERVER: ImsgServerInfo = {
  protocol: 'legacy',
  version: null,
  methods: null,
  supportedMethods: null,
  database: null,
  features: {},
};

/** Methods that exist only in protocol v1 (0.14+): never sent to a legacy imsg. */
export const V1_ONLY_METHODS: readonly string[] = ['initialize', 'status', 'messages.after', 'send.tracked'];

/** The methods a legacy (≤0.13) imsg serves that the gateway uses. */
export const LEGACY_METHODS: readonly string[] = ['chats.list', 'messages.history', 'watch.subscribe', 'watch.unsubscribe', 'send'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringList = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;

export interface ParsedSnapshot {
  info: ImsgServerInfo;
  /** Fields the snapshot should have had but did not (never values). */
  missing: string[];
}

/** Reads a v1 status snapshot. Unknown fields are ignored; missing ones are reported. */
export function parseStatusSnapshot(result: unknown): ParsedSnapshot {
  const missing: string[] = [];
  const r = isRecord(result) ? result : {};
  const version = typeof r.version === 'string' ? r.version : null;
  if (version === null) missing.push('version');
  const methods = stringList(r.methods);
  if (methods === null) missing.push('methods');
  const supportedMethods = stringList(r.supported_methods);
  if (supportedMethods === null) missing.push('supported_methods');
  let database: ImsgServerInfo['database'] = null;
  if (isRecord(r.database) && typeof r.database.ready === 'boolean') {
    database = {
      ready: r.database.ready,
      path: typeof r.database.path === 'string' ? r.database.path : null,
      error: typeof r.database.error === 'string' ? r.database.error : null,
    };
    // `database.features` (ready only): reactions, reply_context, … as booleans.
    if (isRecord(r.database.features)) {
      const dbFeatures: Record<string, boolean> = {};
      for (const [k, v] of Object.entries(r.database.features)) if (typeof v === 'boolean') dbFeatures[k] = v;
      database.features = dbFeatures;
    }
  } else {
    missing.push('database.ready');
  }
  const features: Record<string, number> = {};
  const caps = isRecord(r.capabilities) ? r.capabilities : undefined;
  if (caps && isRecord(caps.features)) {
    for (const [k, v] of Object.entries(caps.features)) if (typeof v === 'number') features[k] = v;
  }
  const bridgeReady = isRecord(r.bridge) && r.bridge.ready === true;
  return { info: { protocol: 'v1', version, methods, supportedMethods, database, features, bridgeReady }, missing };
}

/**
 * Whether `method` may be called now. Legacy: the 0.9 set. v1: listed in `methods` (usable now);
 * when `methods` was missing from the snapshot, fall back to `supported_methods`, then to the
 * legacy set, so a thin snapshot never locks the gateway out of what every version has.
 */
export function methodAvailable(info: ImsgServerInfo, method: string): boolean {
  if (info.protocol === 'legacy') return !V1_ONLY_METHODS.includes(method);
  if (method === 'initialize' || method === 'status') return true;
  const list = info.methods ?? info.supportedMethods;
  return list ? list.includes(method) : LEGACY_METHODS.includes(method);
}

/** Known protocol-visible versions; an unknown version string is treated as the newest known. */
const KNOWN_VERSION = /^0\.(8|9|1[0-5])\.\d+/;
export function isKnownVersion(version: string | null): boolean {
  return version === null || KNOWN_VERSION.test(version);
}
