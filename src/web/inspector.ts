/**
 * Stately inspector support (`gateway.inspector.enabled`): an XState `inspect` callback that
 * converts the machines' inspection events into the wire format of @statelyai/inspect
 * (StatelyInspectionEvent: `@xstate.actor`, `@xstate.event`, `@xstate.snapshot`), sanitises them
 * (message text, tokens, secrets, environments and headers are dropped) and hands them to a
 * WebSocket relay bound to 127.0.0.1.
 *
 * Why a relay of our own: @statelyai/inspect 0.7.2's relay (`createInspectorServer` from
 * `@statelyai/inspect/server`) listens on every interface (no host option), opens a browser with
 * `exec`, and its WebSocket client logs every message to stdout. The relay here is the same idea
 * (a bridge page that embeds the Stately inspector UI and forwards events to it with postMessage)
 * but bound to loopback, Host/Origin-checked and token-protected. The browser side still needs the
 * Stately inspector UI (https://stately.ai/inspect by default), which is online by nature.
 */
import type { InspectionEvent } from 'xstate';
import { startInspectorRelay, type InspectorRelay, type InspectorRelayOptions } from './inspector-relay.js';
import { REDACTED, scrubSecrets } from '../util/scrub-secrets.js';

/** The @statelyai/inspect version whose event format the records follow. */
export const STATELY_WIRE_VERSION = '0.7.2';

// ---------------------------------------------------------------------------------------------
// Sanitising

/** Keys whose values never leave the process (compared lower-case, without `_`/`-`). */
const SENSITIVE_KEYS = new Set([
  'text',
  'body',
  'attributedbody',
  'messagetext',
  'token',
  'accesstoken',
  'refreshtoken',
  'authorization',
  'auth',
  'password',
  'passphrase',
  'secret',
  'apikey',
  'env',
  'environment',
  'headers',
  'cookie',
  'cookies',
]);

const SENSITIVE_LAST_WORDS = new Set(['text', 'body', 'token', 'secret', 'password', 'passphrase']);

function isSensitiveKey(key: string): boolean {
  if (SENSITIVE_KEYS.has(key.toLowerCase().replace(/[_-]/g, ''))) return true;
  // lastText, reply_body, refreshToken, CLIENT_SECRET, … (but not `context`)
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_\-\s.]+/);
  return SENSITIVE_LAST_WORDS.has(words[words.length - 1] ?? '');
}

const MAX_DEPTH = 8;
const MAX_STRING = 500;
const MAX_ITEMS = 50;

/**
 * Secrets inside free text (error messages carry an imsg child's or a wrapper's last output
 * lines) are masked (util/scrub-secrets.ts). Paths, chat ids and handles stay: the inspector is a
 * loopback, token-guarded operator view, and they are what an operator needs to act on an error
 * (the dashboard and `status` show them too).
 */
function scrubString(value: string): string {
  const scrubbed = scrubSecrets(value);
  return scrubbed.length > MAX_STRING ? `${scrubbed.slice(0, MAX_STRING)}…` : scrubbed;
}

/**
 * A plain, JSON-safe copy of `value` without sensitive keys, secrets that look like tokens,
 * functions, cycles or unbounded sizes.
 */
export function sanitizeForInspector(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v === 'string') return scrubString(v);
    if (typeof v === 'bigint') return v.toString();
    if (v === undefined) return undefined;
    if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
    if (typeof v === 'symbol') return v.toString();
    if (typeof v !== 'object') return undefined;
    if (seen.has(v)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[truncated]';
    seen.add(v);
    try {
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Error) {
        const out: Record<string, unknown> = { name: v.name, message: scrubString(v.message) };
        const code = (v as { code?: unknown }).code;
        if (typeof code === 'string' || typeof code === 'number') out.code = code;
        return out;
      }
      if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `[binary ${(v as ArrayBufferView).byteLength} bytes]`;
      if (Array.isArray(v)) {
        const items = v.slice(0, MAX_ITEMS).map((item) => walk(item, depth + 1));
        if (v.length > MAX_ITEMS) items.push(`[${v.length - MAX_ITEMS} more]`);
        return items;
      }
      if (v instanceof Map) return walk(Object.fromEntries(v), depth);
      if (v instanceof Set) return walk([...v], depth);
      // Actor references (children in snapshots, event sources) are shown by id only.
      if (typeof (v as { sessionId?: unknown }).sessionId === 'string' && typeof (v as { send?: unknown }).send === 'function') {
        return { actor: (v as { id?: unknown }).id ?? (v as { sessionId: string }).sessionId };
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(v)) {
        if (isSensitiveKey(key)) {
          out[key] = REDACTED;
          continue;
        }
        const clean = walk(item, depth + 1);
        if (clean !== undefined) out[key] = clean;
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}

// ---------------------------------------------------------------------------------------------
// Inspection events → Stately records

interface RecordBase {
  sessionId: string;
  rootId: string;
  createdAt: string;
  id: string;
  _version: string;
}

export type StatelyInspectionRecord =
  | (RecordBase & {
      type: '@xstate.actor';
      name: string;
      parentId?: string;
      definition?: string;
      snapshot: unknown;
    })
  | (RecordBase & { type: '@xstate.event'; sourceId?: string; event: unknown })
  | (RecordBase & { type: '@xstate.snapshot'; event: unknown; snapshot: unknown });

interface ActorLike {
  id?: string;
  sessionId: string;
  _parent?: { sessionId: string };
  logic?: { config?: unknown };
  getSnapshot?: () => unknown;
}

function snapshotOf(snapshot: unknown): unknown {
  if (typeof snapshot !== 'object' || snapshot === null) return sanitizeForInspector(snapshot);
  const s = snapshot as Record<string, unknown>;
  // The parts the inspector draws; not `children` (actor refs) nor internal machinery.
  return sanitizeForInspector({
    status: s.status,
    value: s.value,
    context: s.context,
    output: s.output,
    error: s.error,
    tags: s.tags instanceof Set ? [...s.tags] : undefined,
  });
}

/** The actor's snapshot; announced actors may not have one yet. */
function currentSnapshot(actor: ActorLike): unknown {
  try {
    return actor.getSnapshot?.();
  } catch {
    return undefined;
  }
}

function definitionOf(actor: ActorLike): string | undefined {
  const config = actor.logic?.config;
  if (typeof config !== 'object' || config === null) return undefined;
  try {
    return JSON.stringify(config, (key, value: unknown) => {
      if (typeof value === 'function') return { type: value.name || 'anonymous' };
      if (key !== '' && isSensitiveKey(key)) return REDACTED;
      return value;
    });
  } catch {
    return undefined;
  }
}

let recordCounter = 0;

/** One XState inspection event as a sanitised Stately record (undefined for event kinds it skips). */
export function toInspectionRecord(event: InspectionEvent): StatelyInspectionRecord | undefined {
  const actor = event.actorRef as unknown as ActorLike;
  const base: RecordBase = {
    sessionId: actor.sessionId,
    rootId: event.rootId,
    createdAt: Date.now().toString(),
    id: `ig-${++recordCounter}`,
    _version: STATELY_WIRE_VERSION,
  };
  switch (event.type) {
    case '@xstate.actor': {
      const definition = definitionOf(actor);
      const configId = (actor.logic?.config as { id?: unknown } | undefined)?.id;
      const name = actor.id && actor.id !== actor.sessionId ? actor.id : typeof configId === 'string' ? configId : actor.sessionId;
      return {
        ...base,
        type: '@xstate.actor',
        name,
        ...(actor._parent ? { parentId: actor._parent.sessionId } : {}),
        ...(definition ? { definition } : {}),
        snapshot: snapshotOf(currentSnapshot(actor)) ?? { status: 'active' },
      };
    }
    case '@xstate.event': {
      const source = event.sourceRef as unknown as ActorLike | undefined;
      return {
        ...base,
        type: '@xstate.event',
        ...(source ? { sourceId: source.sessionId } : {}),
        event: sanitizeForInspector(event.event),
      };
    }
    case '@xstate.snapshot':
      return {
        ...base,
        type: '@xstate.snapshot',
        event: sanitizeForInspector(event.event),
        snapshot: snapshotOf(event.snapshot),
      };
    default:
      return undefined; // microsteps and actions: too chatty for the inspector
  }
}

/**
 * The `inspect` option for createActor(): converts, sanitises and forwards each event. A failing
 * forwarder never disturbs the machine.
 */
export function createSanitizingInspect(forward: (record: StatelyInspectionRecord) => void): (event: InspectionEvent) => void {
  return (event) => {
    try {
      const record = toInspectionRecord(event);
      if (record) forward(record);
    } catch {
      // inspection is best-effort
    }
  };
}

export { DEFAULT_INSPECTOR_UI, startInspectorRelay, type InspectorRelay, type InspectorRelayOptions } from './inspector-relay.js';

export interface StatelyInspector {
  /** Pass as `createActor(machine, { inspect })`. */
  inspect: (event: InspectionEvent) => void;
  /** The bridge page with the token in its fragment. */
  url: string;
  relay: InspectorRelay;
  close(): Promise<void>;
}

/** Starts the loopback relay and returns the sanitising `inspect` callback that feeds it. */
export async function startStatelyInspector(opts: InspectorRelayOptions): Promise<StatelyInspector> {
  const relay = await startInspectorRelay(opts);
  return {
    inspect: createSanitizingInspect((record) => relay.publish(record)),
    url: relay.url,
    relay,
    close: () => relay.close(),
  };
}
