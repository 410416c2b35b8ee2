/**
 * The loopback relay of the Stately inspector (`gateway.inspector.enabled`): a bridge page that
 * embeds the Stately inspector UI, and a WebSocket endpoint (the `ws` package, on the relay's own
 * node:http server in noServer mode) that streams the sanitised inspection records to viewers.
 *
 * Every upgrade is checked before `ws` sees it: the Host header must be this relay's
 * (DNS-rebinding guard, 421), a present Origin must be this relay's (403), the control token must
 * be presented (401), and the long-lived slots of connection-limits.ts must have room (503). The
 * token is accepted in one of three ways:
 * - the `bearer.<token>` subprotocol next to `imessage-gateway-inspect` (what the bridge page sends);
 * - a `token` query parameter on the WebSocket URL (`ws://127.0.0.1:PORT/?token=…`), for clients
 *   that can pass only a URL, such as @statelyai/inspect's `createWebSocketReceiver({ server })`;
 * - an `Authorization: Bearer <token>` header.
 * The relay only sends; what viewers send is ignored (at most 64 KiB a message). The token is
 * never logged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../util/logger.js';
import { DEFAULT_HTTP_LIMITS, guardConnections, serverTimeoutOptions, type HttpLimits } from './connection-limits.js';
import { tokenMatches } from './control-token.js';
import type { StatelyInspectionRecord } from './inspector.js';

export const DEFAULT_INSPECTOR_UI = 'https://stately.ai/inspect';
export const INSPECTOR_SUBPROTOCOL = 'imessage-gateway-inspect';
const REPLAY_LIMIT = 200;
/** A viewer this far behind is dropped instead of buffering without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

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
  var ws = new WebSocket('ws://' + location.host + '/', [${JSON.stringify(INSPECTOR_SUBPROTOCOL)}, 'bearer.' + token]);
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

/** The offered subprotocols of an upgrade request. */
function offeredProtocols(req: IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * Whether the upgrade presents the control token, in any of the accepted ways. A `bearer.`
 * subprotocol must come with the relay's own subprotocol, which the relay then answers with.
 */
export function upgradePresentsToken(req: IncomingMessage, token: string): boolean {
  const protocols = offeredProtocols(req);
  const bearer = protocols.find((p) => p.startsWith('bearer.'));
  if (bearer !== undefined) return protocols.includes(INSPECTOR_SUBPROTOCOL) && tokenMatches(token, bearer.slice('bearer.'.length));
  const fromQuery = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('token');
  if (fromQuery !== null) return tokenMatches(token, fromQuery);
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header.trim()) : null;
  return tokenMatches(token, match?.[1]);
}

export interface InspectorRelayOptions {
  /** 0 picks any free port. */
  port: number;
  /** The control token: required on every WebSocket upgrade (see the header comment). */
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

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // Only asked when the client offers subprotocols: answer with ours, or with none.
    handleProtocols: (protocols) => (protocols.has(INSPECTOR_SUBPROTOCOL) ? INSPECTOR_SUBPROTOCOL : false),
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const reject = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req)) return reject('421 Misdirected Request');
    if (!originAllowed(req)) return reject('403 Forbidden');
    if (!upgradePresentsToken(req, opts.token)) return reject('401 Unauthorized');
    // A viewer is long-lived: no idle timeout, never evicted, but never all the slots.
    if (!guard.admitLongLived(socket)) return reject('503 Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      for (const message of replay) ws.send(message);
      logger.info({ viewers: wss.clients.size }, 'inspector viewer connected');
    });
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
      for (const ws of wss.clients) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          logger.warn('inspector viewer too slow; dropping it');
          ws.terminate();
          continue;
        }
        ws.send(message);
      }
    },
    clients: () => wss.clients.size,
    close() {
      return new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
