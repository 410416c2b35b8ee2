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
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { silentLogger } from '../util/logger.js';
import { DEFAULT_HTTP_LIMITS, guardConnections, serverTimeoutOptions, type HttpLimits } from './connection-limits.js';
import { tokenMatches } from './control-token.js';

/** The @statelyai/inspect version whose event format the records follow. */
export const STATELY_WIRE_VERSION = '0.7.2';
export const DEFAULT_INSPECTOR_UI = 'https://stately.ai/inspect';
const REDACTED = '[redacted]';

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

function scrubString(value: string): string {
  const scrubbed = value
    .replace(/\bBearer\s+[^\s"']+/gi, `Bearer ${REDACTED}`)
    .replace(/\b[0-9a-f]{64}\b/gi, REDACTED);
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

// ---------------------------------------------------------------------------------------------
// The loopback relay: a bridge page + a minimal WebSocket server (RFC 6455, server → client text)

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const SUBPROTOCOL = 'imessage-gateway-inspect';
const REPLAY_LIMIT = 200;

function bridgeScript(inspectorUi: string): string {
  const origin = new URL(inspectorUi).origin;
  return `(function () {
  var UI_ORIGIN = ${JSON.stringify(origin)};
  var m = /(?:^#|&)token=([0-9a-fA-F]+)/.exec(location.hash);
  var token = m ? m[1] : '';
  var frame = document.getElementById('inspector');
  var ready = false, queue = [];
  window.addEventListener('message', function (e) {
    if (e.origin === UI_ORIGIN && e.data && e.data.type === '@statelyai.connected') {
      ready = true;
      queue.splice(0).forEach(function (d) { frame.contentWindow.postMessage(d, UI_ORIGIN); });
    }
  });
  var ws = new WebSocket('ws://' + location.host + '/', [${JSON.stringify(SUBPROTOCOL)}, 'bearer.' + token]);
  ws.onmessage = function (e) {
    var data = JSON.parse(e.data);
    if (ready) frame.contentWindow.postMessage(data, UI_ORIGIN); else queue.push(data);
  };
  ws.onclose = function () { document.title = 'Stately inspector (disconnected)'; };
})();
`;
}

function bridgeHtml(inspectorUi: string): string {
  const src = inspectorUi.replace(/"/g, '&quot;');
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>Stately inspector · imessage-gateway</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}</style></head>
<body><iframe id="inspector" src="${src}"></iframe><script src="/bridge.js"></script></body></html>`;
}

function textFrame(payload: string): Buffer {
  const data = Buffer.from(payload, 'utf8');
  let header: Buffer;
  if (data.length < 126) {
    header = Buffer.from([0x81, data.length]);
  } else if (data.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  return Buffer.concat([header, data]);
}

/** Reads client frames just enough to answer ping and close; data frames are ignored. */
function watchClientFrames(socket: Duplex, onClose: () => void): void {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0]! & 0x0f;
      const masked = (buffer[1]! & 0x80) !== 0;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        const big = buffer.readBigUInt64BE(2);
        if (big > 65536n) return void socket.destroy();
        length = Number(big);
        offset = 10;
      }
      if (length > 65536) return void socket.destroy();
      const total = offset + (masked ? 4 : 0) + length;
      if (buffer.length < total) return;
      const mask = masked ? buffer.subarray(offset, offset + 4) : undefined;
      const payload = Buffer.from(buffer.subarray(total - length, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      buffer = buffer.subarray(total);
      if (opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0]));
        onClose();
        return;
      }
      if (opcode === 0x9) {
        const len = Math.min(payload.length, 125);
        socket.write(Buffer.concat([Buffer.from([0x8a, len]), payload.subarray(0, len)]));
      }
    }
  });
}

export interface InspectorRelayOptions {
  /** 0 picks any free port. */
  port: number;
  /** Required from browsers as the `bearer.<token>` WebSocket subprotocol (the control token). */
  token: string;
  /** The Stately inspector UI embedded by the bridge page. */
  inspectorUi?: string;
  logger?: Logger;
  /** Connection cap and timeouts (the same `gateway.http.*` limits as the control API). */
  limits?: HttpLimits;
}

export interface InspectorRelay {
  /** The bridge page, e.g. `http://127.0.0.1:PORT/#token=…`: open it to watch the machines. */
  url: string;
  port: number;
  publish(record: StatelyInspectionRecord): void;
  /** Connected viewers. */
  clients(): number;
  close(): Promise<void>;
}

export async function startInspectorRelay(opts: InspectorRelayOptions): Promise<InspectorRelay> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'inspector' });
  const inspectorUi = opts.inspectorUi ?? DEFAULT_INSPECTOR_UI;
  const uiOrigin = new URL(inspectorUi).origin;
  const sockets = new Set<Duplex>();
  const replay: string[] = [];
  let port = 0;

  const hostAllowed = (req: IncomingMessage): boolean => {
    const host = (req.headers.host ?? '').toLowerCase();
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  };

  const limits = opts.limits ?? DEFAULT_HTTP_LIMITS;
  const server = createServer(serverTimeoutOptions(limits), (req: IncomingMessage, res: ServerResponse) => {
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    if (!hostAllowed(req)) {
      res.writeHead(421, headers).end('wrong Host');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const csp = `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src ws://127.0.0.1:${port} ws://localhost:${port}; frame-src ${uiOrigin}; base-uri 'none'`;
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
      res.end(bridgeHtml(inspectorUi));
    } else if (req.method === 'GET' && path === '/bridge.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' });
      res.end(bridgeScript(inspectorUi));
    } else {
      res.writeHead(404, headers).end('not found');
    }
  });

  // Caps connections, closes idle and slow ones, answers malformed requests (400/408).
  const guard = guardConnections(server, limits, logger);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const reject = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req)) return reject('421 Misdirected Request');
    if (!originAllowed(req)) return reject('403 Forbidden');
    const key = req.headers['sec-websocket-key'];
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || typeof key !== 'string') return reject('400 Bad Request');
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const bearer = protocols.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
    if (!protocols.includes(SUBPROTOCOL) || !tokenMatches(opts.token, bearer)) return reject('401 Unauthorized');
    // A viewer is long-lived: no idle timeout, never evicted, but never all the slots.
    if (!guard.admitLongLived(socket)) return reject('503 Service Unavailable');
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
        `sec-websocket-accept: ${accept}\r\nsec-websocket-protocol: ${SUBPROTOCOL}\r\n\r\n`,
    );
    (socket as Socket).setNoDelay?.(true);
    sockets.add(socket);
    const drop = (): void => {
      sockets.delete(socket);
    };
    socket.on('close', drop);
    socket.on('error', drop);
    watchClientFrames(socket, drop);
    for (const message of replay) socket.write(textFrame(message));
    logger.info('inspector viewer connected');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: opts.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  logger.info({ url: base }, 'Stately inspector relay listening');

  return {
    url: `${base}/#token=${opts.token}`,
    port,
    publish(record) {
      let message: string;
      try {
        message = JSON.stringify(record);
      } catch {
        return;
      }
      replay.push(message);
      if (replay.length > REPLAY_LIMIT) replay.shift();
      const frame = textFrame(message);
      for (const socket of sockets) {
        if ((socket as Socket).writableLength > 4 * 1024 * 1024) {
          socket.destroy();
          continue;
        }
        socket.write(frame);
      }
    },
    clients: () => sockets.size,
    close() {
      return new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

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
