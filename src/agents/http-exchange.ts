/**
 * One HTTP request and its whole response, over undici's keep-alive pools (one per origin, shared
 * by every http handler). undici is loaded on first use, so a gateway without an http agent never
 * loads it; its idle connections are unref'd, so they never hold the process open, and it drops
 * them before the server's advertised Keep-Alive timeout.
 *
 * Why undici and not node:http: a request through node:http's ClientRequest/IncomingMessage streams
 * cost about twice the CPU of one through undici's pool (a local POST of an envelope, 20 requests
 * in flight: 220-275 µs against 120-125 µs on the bench machine), and at 1,000 messages/s with an
 * http agent that client was over half of the gateway's thread (docs/performance.md).
 *
 * A request that fails with a connection reset or close (ECONNRESET, EPIPE, undici's "other side
 * closed") before any response arrived is sent again on another connection, at most twice: the
 * server closed an idle keep-alive connection just as it was reused, so the request never reached
 * it. Any other failure is returned as an ExchangeError saying in which phase it happened.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Sending again on a fresh connection after a stale keep-alive one, at most this many times. */
const STALE_SOCKET_RETRIES = 2;
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

let pools: Promise<Dispatcher> | undefined;

/** The shared pools, made on first call (an HttpAgent asks at construction, so the first turn does not wait for the load). */
export function sharedPools(): Promise<Dispatcher> {
  // No header or body timeout of undici's own (300 s each by default): the turn's deadline
  // (timeoutMs, which may be longer) governs the whole exchange. Connecting keeps undici's 10 s.
  pools ??= import('undici').then(({ Agent }) => new Agent({ headersTimeout: 0, bodyTimeout: 0 }));
  return pools;
}

export interface ExchangeRequest {
  url: URL;
  method: 'POST' | 'GET';
  /** Lower-cased names. content-length is set from the body. */
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface ExchangeResponse {
  status: number;
  /** The status line's reason phrase ('' when the server sent none). */
  statusText: string;
  headers: IncomingHttpHeaders;
  /** The body decoded as UTF-8. */
  text: string;
}

export interface ExchangeOptions {
  /** Aborts the exchange at any phase (the caller's deadline and cancellation). */
  signal: AbortSignal;
  /** Response bodies beyond this many bytes (declared or received) fail with tooLarge(status). */
  bodyLimit: number;
  tooLarge: (status: number) => Error;
}

export type ExchangePhase = 'sending to' | 'reading the response of';

/** A failure of the exchange; `cause` is the underlying error (network error or abort reason). */
export class ExchangeError extends Error {
  constructor(
    readonly phase: ExchangePhase,
    override readonly cause: unknown,
    /** True when the connection was reset or closed before any response (sent again on a new one). */
    readonly staleSocket = false,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ExchangeError';
  }
}

export async function exchange(request: ExchangeRequest, opts: ExchangeOptions): Promise<ExchangeResponse> {
  const dispatcher = await sharedPools();
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(dispatcher, request, opts);
    } catch (err) {
      if (!(err instanceof ExchangeError) || !err.staleSocket || retry >= STALE_SOCKET_RETRIES || opts.signal.aborted) throw err;
    }
  }
}

const utf8 = new TextDecoder();

async function attempt(dispatcher: Dispatcher, request: ExchangeRequest, opts: ExchangeOptions): Promise<ExchangeResponse> {
  const { signal, bodyLimit, tooLarge } = opts;
  if (signal.aborted) throw new ExchangeError('sending to', signal.reason);
  let response: Dispatcher.ResponseData;
  try {
    response = await dispatcher.request({
      origin: request.url.origin,
      path: `${request.url.pathname}${request.url.search}`,
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
      signal,
    });
  } catch (err) {
    // An abort is the caller's reason, not undici's wrapper of it.
    if (signal.aborted) throw new ExchangeError('sending to', signal.reason);
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new ExchangeError('sending to', err, STALE_SOCKET_CODES.has(code));
  }
  const { statusCode: status, body } = response;
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > bodyLimit) {
    body.destroy();
    throw tooLarge(status);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > bodyLimit) {
        body.destroy();
        throw tooLarge(status);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (total > bodyLimit) throw err; // tooLarge, thrown above
    throw new ExchangeError('reading the response of', signal.aborted ? signal.reason : err);
  }
  return { status, statusText: response.statusText ?? '', headers: response.headers, text: utf8.decode(Buffer.concat(chunks, total)) };
}
