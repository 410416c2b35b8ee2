/**
 * One HTTP request and its whole response, over node:http/node:https with keep-alive Agents
 * shared by every http handler (idle sockets are unref'd by Node, so they never hold the process
 * open; Node drops them before the server's advertised Keep-Alive timeout).
 *
 * A request that fails with ECONNRESET/EPIPE on a reused socket before any response arrived is
 * sent again on another socket: the server closed an idle keep-alive connection just as it was
 * reused, so the request never reached it. Any other failure is returned as an ExchangeError
 * saying in which phase it happened.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

const POOLS = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
} as const;

/** Sending again on a fresh socket after a stale keep-alive one, at most this many times. */
const STALE_SOCKET_RETRIES = 2;
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

export interface ExchangeRequest {
  url: URL;
  method: 'POST' | 'GET';
  /** Lower-cased names. content-length is set from the body. */
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface ExchangeResponse {
  head: IncomingMessage;
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
    /** True when it came from a reused keep-alive socket before any response. */
    readonly staleSocket = false,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ExchangeError';
  }
}

export async function exchange(request: ExchangeRequest, opts: ExchangeOptions): Promise<ExchangeResponse> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(request, opts);
    } catch (err) {
      if (!(err instanceof ExchangeError) || !err.staleSocket || retry >= STALE_SOCKET_RETRIES || opts.signal.aborted) throw err;
    }
  }
}

function attempt(request: ExchangeRequest, opts: ExchangeOptions): Promise<ExchangeResponse> {
  const { signal, bodyLimit, tooLarge } = opts;
  return new Promise<ExchangeResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(new ExchangeError('sending to', signal.reason));
      return;
    }
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(request.body.byteLength);
    const protocol = request.url.protocol === 'https:' ? 'https:' : 'http:';
    let phase: ExchangePhase = 'sending to';
    let response: IncomingMessage | undefined;
    let settled = false;
    let clientRequest: http.ClientRequest;

    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (err: unknown): void => {
      settle(() => {
        response?.destroy();
        clientRequest?.destroy();
        reject(err);
      });
    };
    function onAbort(): void {
      fail(new ExchangeError(phase, signal.reason));
    }

    try {
      const mod = protocol === 'https:' ? https : http;
      clientRequest = mod.request(request.url, { method: request.method, headers, agent: POOLS[protocol] });
    } catch (err) {
      // An invalid header or URL, refused before anything was sent.
      reject(new ExchangeError('sending to', err));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });

    clientRequest.on('error', (err: NodeJS.ErrnoException) => {
      const stale = response === undefined && clientRequest.reusedSocket && STALE_SOCKET_CODES.has(err.code ?? '');
      fail(new ExchangeError(phase, err, stale));
    });
    clientRequest.on('response', (res: IncomingMessage) => {
      response = res;
      phase = 'reading the response of';
      const status = res.statusCode ?? 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > bodyLimit) {
        fail(tooLarge(status));
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.byteLength;
        if (total > bodyLimit) {
          fail(tooLarge(status));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ head: res, text: new TextDecoder().decode(Buffer.concat(chunks, total)) })));
      res.on('error', (err) => fail(new ExchangeError(phase, err)));
      res.on('close', () => {
        if (!res.complete) fail(new ExchangeError(phase, new Error('the connection closed before the response was complete')));
      });
    });
    clientRequest.end(request.body);
  });
}
