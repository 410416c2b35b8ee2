/**
 * The control API and the live dashboard: one node:http server on 127.0.0.1.
 *
 * Security model (see docs/dashboard.md):
 * - bound to 127.0.0.1 only; every request's Host header must be `127.0.0.1:<port>` or
 *   `localhost:<port>` (DNS-rebinding guard, 421 otherwise) and a present Origin header must be
 *   that same origin (403 otherwise); no CORS headers are ever sent;
 * - every `/api/*` request needs `Authorization: Bearer <token>`, compared in constant time with
 *   the token in `<home>/control-token` (0600);
 * - `GET /`, `/app.js`, `/app.css` are static files with no data and no secret, served without the
 *   token; the page reads the token from the URL fragment (`#token=…`, never sent to a server) and
 *   sends it as the bearer header on its API calls, including the SSE stream (a fetch reader);
 * - bodies are JSON, at most 1 MiB, each checked by its zod schema (api-bodies.ts: 400 with the
 *   issues and their paths); the token, headers and bodies (message text) are never logged;
 * - resource limits (connection-limits.ts): at most `maxConnections` connections, header, request,
 *   keep-alive and idle timeouts; the event stream is exempt from the timeouts but event streams
 *   may not take the slots kept for short requests (503 then).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { silentLogger } from '../util/logger.js';
import { ControlRequestError, type ControlBackend, type GatewayEvent } from '../supervisor/control-backend.js';
import {
  InvalidBodyError,
  parseApproveBody,
  parseDenyBody,
  parseDiscardBody,
  parseEmptyBody,
  parseRetryBody,
  parseRevokeBody,
  parseSendBody,
} from './api-bodies.js';
import { parseQuery, pairingQuerySchema, QUERY_SHAPES, quarantineQuerySchema } from './api-query.js';
import { DEFAULT_HTTP_LIMITS, guardConnections, serverTimeoutOptions, type HttpLimits } from './connection-limits.js';
import { ensureControlToken, tokenMatches } from './control-token.js';
import type { MachineLayout } from './machine-layout.js';
import { cachedMachineLayout } from './machine-layout-cache.js';
import { staticAsset } from './static-assets.js';

export const MAX_BODY_BYTES = 1024 * 1024;
export const SSE_HEARTBEAT_MS = 15_000;
/** An SSE client this far behind is dropped instead of buffering without bound. */
const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface ControlServerOptions {
  backend: ControlBackend;
  /** The gateway home: holds `control-token`. */
  home: string;
  host?: '127.0.0.1';
  /** 0 picks any free port. */
  port: number;
  logger?: Logger;
  /** When the Stately inspector relay runs, its URL is linked from the dashboard. */
  inspector?: { url: string };
  /** Comment heartbeat on the event stream (default 15 s). */
  heartbeatMs?: number;
  /** Connection cap and timeouts (`gateway.http.*`); DEFAULT_HTTP_LIMITS when absent. */
  limits?: HttpLimits;
}

export interface ControlServer {
  /** The base URL, e.g. `http://127.0.0.1:7545`. */
  url: string;
  /** The dashboard URL with the token in its fragment: what `start` prints. */
  dashboardUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function sendJson(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body ?? null);
  res.writeHead(statusCode, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}

function isControlRequestError(err: unknown): err is ControlRequestError {
  return (
    err instanceof ControlRequestError ||
    (err instanceof Error &&
      err.name === 'ControlRequestError' &&
      [400, 404, 409].includes((err as { statusCode?: unknown }).statusCode as number))
  );
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    req.resume();
    throw new HttpError(413, `request body too large (limit ${MAX_BODY_BYTES} bytes)`, { connection: 'close' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true; // keep draining (bounded), so the client reads the 413
    if (size > MAX_BODY_BYTES * 8) {
      req.destroy();
      throw new HttpError(413, 'request body too large');
    }
    if (!tooLarge) chunks.push(chunk);
  }
  if (tooLarge) throw new HttpError(413, `request body too large (limit ${MAX_BODY_BYTES} bytes)`, { connection: 'close' });
  if (size === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'request body must be JSON (content-type: application/json)');
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `malformed JSON body: ${(err as Error).message}`);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'malformed account id in the path');
  }
}

function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, `method not allowed (use ${allow})`, { allow });
}

export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { backend } = opts;
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('the control server binds to 127.0.0.1 only');
  const logger = (opts.logger ?? silentLogger).child({ component: 'control-api' });
  const heartbeatMs = opts.heartbeatMs ?? SSE_HEARTBEAT_MS;
  const token = ensureControlToken(opts.home);
  let port = 0;
  const streams = new Set<() => void>();
  // The diagram is laid out once per machine definition (elkjs, on the server, in a worker thread),
  // when a page first asks for it: seconds of CPU an idle gateway with no dashboard open never spends.
  const machineLayout = (): Promise<MachineLayout> => cachedMachineLayout(backend.accountMachine());
  const limitParam = (query: URLSearchParams, fallback: number, max: number): number => {
    const text = query.get('limit');
    const limit = text === null ? fallback : Number(text);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) throw new HttpError(400, `limit must be an integer from 1 to ${max}`);
    return limit;
  };

  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    if (!guard.admitLongLived(req.socket)) {
      throw new HttpError(503, 'too many open event streams; close a dashboard tab and retry', { 'retry-after': '5' });
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    let closed = false;
    const write = (chunk: string): void => {
      if (closed) return;
      if (res.writableLength > SSE_MAX_BUFFERED_BYTES) {
        logger.warn('event stream client too slow; dropping it');
        release();
        return;
      }
      res.write(chunk);
    };
    const send = (event: GatewayEvent): void => {
      write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const unsubscribe = backend.subscribe(send);
    const heartbeat = setInterval(() => write(`: heartbeat ${new Date().toISOString()}\n\n`), heartbeatMs);
    heartbeat.unref();
    const release = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(release);
      if (!res.writableEnded) res.end();
      logger.debug('event stream closed');
    };
    streams.add(release);
    req.on('close', release);
    res.on('close', release);
    res.on('error', release);
    write(': connected\n\n');
    // The current state first, so a (re)connecting page is in sync before the live events.
    send({ type: 'status', status: backend.status() });
    logger.debug('event stream opened');
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const segments = path.split('/').slice(2); // ['', 'api', ...]
    const [first, second, third] = segments;

    const only = (allowed: 'GET' | 'POST'): void => {
      if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) throw methodNotAllowed(allowed);
    };
    /** A write's answer: sent once what it committed is on disk (an operator never hears "done" for a row a power loss could take). */
    const answerWrite = async (status: number, body: unknown): Promise<void> => {
      await backend.durable?.();
      sendJson(res, status, body);
    };

    if (first === 'status' && segments.length === 1) {
      only('GET');
      return sendJson(res, 200, backend.status());
    }
    if (first === 'info' && segments.length === 1) {
      only('GET');
      return sendJson(res, 200, { inspector: opts.inspector?.url ?? null });
    }
    if (first === 'chats' && segments.length === 1) {
      only('GET');
      if (!backend.chats) throw new HttpError(404, 'this gateway cannot list chats');
      const limitText = query.get('limit');
      const limit = limitText === null ? 20 : Number(limitText);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new HttpError(400, 'limit must be an integer from 1 to 10000');
      const account = query.get('account')?.trim() || undefined;
      try {
        return sendJson(res, 200, await backend.chats({ ...(account ? { account } : {}), limit }));
      } catch (err) {
        if ((err as { name?: string }).name === 'ChatsFailedError') throw new HttpError(502, (err as Error).message);
        throw err;
      }
    }
    if (first === 'machine' && segments.length === 1) {
      only('GET');
      return sendJson(res, 200, backend.accountMachine());
    }
    if (first === 'machine' && second === 'layout' && segments.length === 2) {
      only('GET');
      return sendJson(res, 200, await machineLayout());
    }
    if (first === 'flow' && segments.length === 1) {
      only('GET');
      const account = query.get('account') ?? undefined;
      if (account !== undefined && !backend.account(account)) throw new HttpError(404, `unknown account "${account}"`);
      return sendJson(res, 200, backend.flow({ ...(account ? { account } : {}), limit: limitParam(query, 100, 1000) }));
    }
    if (first === 'log' && segments.length === 1) {
      only('GET');
      return sendJson(res, 200, backend.recentLog(limitParam(query, 200, 1000)));
    }
    if (first === 'pairing' && second === 'approved' && segments.length === 2) {
      only('GET');
      const { account } = parseQuery(pairingQuerySchema, query, QUERY_SHAPES.pairing);
      if (account !== undefined && !backend.account(account)) throw new HttpError(404, `unknown account "${account}"`);
      return sendJson(res, 200, backend.pairingApproved(account));
    }
    if (first === 'events' && segments.length === 1) {
      only('GET');
      return openEventStream(req, res);
    }
    if (first === 'accounts' && second !== undefined && second !== '') {
      const id = decodeSegment(second);
      if (segments.length === 2) {
        only('GET');
        const account = backend.account(id);
        if (!account) throw new HttpError(404, `unknown account "${id}"`);
        return sendJson(res, 200, account);
      }
      if (third === 'retry' && segments.length === 3) {
        only('POST');
        parseEmptyBody(await readJsonBody(req)); // no body or {}; still size-capped
        if (!backend.account(id)) throw new HttpError(404, `unknown account "${id}"`);
        backend.retry(id);
        return answerWrite(200, { ok: true, account: id });
      }
    }
    if (first === 'send' && segments.length === 1) {
      only('POST');
      const request = parseSendBody(await readJsonBody(req));
      const result = await backend.send(request);
      logger.info({ account: result.account, id: result.id, duplicate: result.duplicate }, 'send queued via control API');
      return answerWrite(200, result);
    }
    if (first === 'pairing' && segments.length === 1) {
      only('GET');
      const { account } = parseQuery(pairingQuerySchema, query, QUERY_SHAPES.pairing);
      if (account !== undefined && !backend.account(account)) throw new HttpError(404, `unknown account "${account}"`);
      return sendJson(res, 200, backend.pairingList(account));
    }
    if (first === 'pairing' && second === 'approve' && segments.length === 2) {
      only('POST');
      const request = parseApproveBody(await readJsonBody(req));
      if (request.account !== undefined && !backend.account(request.account)) {
        throw new HttpError(404, `unknown account "${request.account}"`);
      }
      const result = backend.pairingApprove(request);
      logger.info({ action: 'approve', account: request.account }, 'pairing approve via control API');
      return answerWrite(200, result === undefined ? { ok: true } : result);
    }
    if (first === 'pairing' && (second === 'deny' || second === 'revoke') && segments.length === 2) {
      only('POST');
      const body = await readJsonBody(req);
      const request = second === 'deny' ? parseDenyBody(body) : parseRevokeBody(body);
      if (request.account !== undefined && !backend.account(request.account)) {
        throw new HttpError(404, `unknown account "${request.account}"`);
      }
      const result = 'target' in request ? backend.pairingDeny(request) : backend.pairingRevoke(request);
      logger.info({ action: second, account: request.account }, `pairing ${second} via control API`);
      return answerWrite(200, result);
    }
    if (first === 'messages' && second !== undefined && second !== '' && segments.length === 2) {
      only('GET');
      const account = query.get('account') ?? undefined;
      if (account !== undefined && !backend.account(account)) throw new HttpError(404, `unknown account "${account}"`);
      return sendJson(res, 200, backend.messageDecision({ guid: decodeSegment(second), ...(account ? { account } : {}) }));
    }
    if (first === 'quarantine' && segments.length === 1) {
      only('GET');
      const { account, limit, payload } = parseQuery(quarantineQuerySchema, query, QUERY_SHAPES.quarantine);
      if (account !== undefined && !backend.account(account)) throw new HttpError(404, `unknown account "${account}"`);
      return sendJson(res, 200, backend.quarantineList({ ...(account ? { account } : {}), limit, payload }));
    }
    if (first === 'delivery' && segments.length === 1) {
      only('GET');
      const account = query.get('account') ?? undefined;
      const limitText = query.get('limit');
      const limit = limitText === null ? 50 : Number(limitText);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new HttpError(400, 'limit must be an integer from 1 to 10000');
      return sendJson(res, 200, backend.deliveryList({ ...(account ? { account } : {}), limit }));
    }
    if (first === 'delivery' && second === 'retry' && segments.length === 2) {
      only('POST');
      const request = parseRetryBody(await readJsonBody(req));
      const result = backend.deliveryRetry(request);
      logger.info({ id: request.id, force: request.force === true }, 'dead letter retried via control API');
      return answerWrite(200, result);
    }
    if (first === 'delivery' && second === 'discard' && segments.length === 2) {
      only('POST');
      const request = parseDiscardBody(await readJsonBody(req));
      const result = backend.deliveryDiscard(request);
      logger.info({ request: 'id' in request ? request.id : `older than ${request.olderThan}` }, 'dead letters discarded via control API');
      return answerWrite(200, result);
    }
    if (first === 'reload' && segments.length === 1) {
      only('POST');
      parseEmptyBody(await readJsonBody(req));
      const result = await backend.reload();
      logger.info({ ok: result.ok }, 'reload via control API');
      return sendJson(res, result.ok ? 200 : 422, result);
    }
    throw new HttpError(404, `no such endpoint: ${method} ${path}`);
  }

  function handleStatic(req: IncomingMessage, res: ServerResponse, path: string): void {
    const asset = staticAsset(path === '/' ? '/index.html' : path);
    if (!asset) throw new HttpError(404, 'not found');
    if ('missing' in asset) throw new HttpError(500, asset.missing);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed('GET');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.contentType,
      'content-length': String(Buffer.byteLength(asset.body)),
      'content-security-policy': PAGE_CSP,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let path = '/';
    try {
      const hostHeader = (req.headers.host ?? '').toLowerCase();
      if (!allowedHosts().has(hostHeader)) {
        throw new HttpError(421, `the Host header must be 127.0.0.1:${port} or localhost:${port}`);
      }
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
        throw new HttpError(403, 'cross-origin requests are not allowed');
      }
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      path = url.pathname;
      if (path === '/api' || path.startsWith('/api/')) {
        const header = req.headers.authorization;
        const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header.trim()) : null;
        if (!tokenMatches(token, match?.[1])) {
          throw new HttpError(401, 'missing or wrong bearer token (see <home>/control-token)', {
            'www-authenticate': 'Bearer realm="imessage-gateway"',
          });
        }
        await handleApi(req, res, path, url.searchParams);
      } else {
        handleStatic(req, res, path);
      }
    } catch (err) {
      if (res.headersSent) {
        logger.error({ path, err: (err as Error).message }, 'control request failed after the response started');
        res.destroy();
        return;
      }
      if (err instanceof InvalidBodyError) {
        sendJson(res, 400, { error: err.message, issues: err.issues });
      } else if (err instanceof HttpError) {
        sendJson(res, err.statusCode, { error: err.message }, err.headers);
      } else if (isControlRequestError(err)) {
        sendJson(res, err.statusCode, { error: err.message });
      } else {
        logger.error({ path, method: req.method, err: (err as Error).message }, 'control request failed');
        sendJson(res, 500, { error: 'internal error (see the gateway log)' });
      }
    } finally {
      if (path !== '/api/events') {
        logger.debug({ method: req.method, path, status: res.statusCode, ms: Date.now() - started }, 'control request');
      }
    }
  }

  const limits = opts.limits ?? DEFAULT_HTTP_LIMITS;
  const server = createServer(serverTimeoutOptions(limits), (req, res) => {
    void handle(req, res);
  });
  // Also answers malformed and timed-out requests (400/408) and closes them for good.
  const guard = guardConnections(server, limits, logger);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port: opts.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, 'control API and dashboard listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    dashboardUrl: `${url}/#token=${token}`,
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const release of [...streams]) release();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}
