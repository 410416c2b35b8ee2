/**
 * The http handler: POSTs the envelope as JSON to a URL and reads replies from the response.
 *
 * Contract (docs/agents.md): 2xx with `content-type: application/json` or a body starting with `{`
 * → `{"replies":[...]}`; any other 2xx body → one plain-text reply (empty → none); non-2xx →
 * AgentError('http') with the status. The whole exchange (connect, headers, body, redirects) must
 * finish within timeoutMs.
 *
 * Requests go through undici's keep-alive pools, shared by every http handler (http-exchange.ts),
 * not global fetch or node:http: a burst reuses warm connections, and each request costs a
 * fraction of fetch's CPU and half of node:http's. Redirects are followed as fetch does (307/308 repeat the POST; 301, 302
 * and 303 become a GET without a body; credentials are not carried to another origin).
 */
import type { Envelope } from '../routing/envelope.js';
import { AgentError } from './errors.js';
import { ExchangeError, exchange, sharedPools, type ExchangeRequest, type ExchangeResponse } from './http-exchange.js';
import { parseAgentJson, parseAgentOutput } from './reply-format.js';
import type { AgentHandler, AgentResult } from './types.js';

export interface HttpAgentConfig {
  url: string;
  timeoutMs: number;
  headers?: Record<string, string>;
}

/** Response bodies beyond this are an error. */
export const HTTP_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** How much of an error response body goes into the error message. */
const ERROR_BODY_SNIPPET_CHARS = 300;
/** fetch's limit. */
const MAX_REDIRECTS = 20;
/** Not carried to another origin on a redirect (as fetch does). */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export class HttpAgent implements AgentHandler {
  readonly kind = 'http' as const;
  private readonly baseHeaders: Readonly<Record<string, string>>;
  private readonly url: URL;
  /** The URL as error messages show it (credentials dropped). */
  private readonly target: string;

  constructor(
    readonly agentId: string,
    private readonly config: HttpAgentConfig,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(config.url);
    } catch {
      throw new TypeError(`agent "${agentId}": http handler url is not a valid URL: ${JSON.stringify(config.url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`agent "${agentId}": http handler url must be http(s), got ${parsed.protocol}`);
    }
    if (!Number.isFinite(config.timeoutMs) || config.timeoutMs <= 0) {
      throw new TypeError(`agent "${agentId}": http handler needs a positive timeoutMs, got ${config.timeoutMs}`);
    }
    this.baseHeaders = requestHeaders(config.headers);
    this.url = parsed;
    this.target = redactUrl(config.url);
    // Loads the HTTP client now, not in the first turn (a failure to load shows in that turn).
    sharedPools().catch(() => undefined);
  }

  async handle(envelope: Envelope, signal: AbortSignal, envelopeJson?: string): Promise<AgentResult> {
    const { agentId, config, target } = this;
    if (signal.aborted) throw new AgentError('aborted', agentId, 'aborted before the request was sent', { cause: signal.reason });
    // One controller for the caller's signal and the deadline (AbortSignal.any and .timeout cost
    // about 3% of the gateway's thread at 1,000 turns/s; docs/performance.md).
    const deadline = new Deadline(signal, config.timeoutMs);

    const failed = (err: unknown, phase: string): AgentError => {
      if (err instanceof AgentError) return err;
      if (signal.aborted) return new AgentError('aborted', agentId, `aborted while ${phase} ${target}`, { cause: signal.reason });
      if (deadline.expired) return new AgentError('timeout', agentId, `no response from ${target} within ${config.timeoutMs} ms (while ${phase})`, { cause: err });
      return new AgentError('http', agentId, `request to ${target} failed while ${phase}: ${describeError(err)}`, { cause: err });
    };
    const tooLarge = (status: number): AgentError =>
      new AgentError('invalid-reply', agentId, `response body exceeds ${HTTP_BODY_LIMIT_BYTES / (1024 * 1024)} MiB`, { status });

    // The caller's serialisation when it has one (the journalled text): the envelope is stringified once per turn.
    const body = Buffer.from(envelopeJson ?? JSON.stringify(envelope), 'utf8');
    let request: ExchangeRequest = { url: this.url, method: 'POST', headers: this.baseHeaders, body };
    let response: ExchangeResponse;
    try {
      for (let redirects = 0; ; redirects++) {
        try {
          response = await exchange(request, { signal: deadline.signal, bodyLimit: HTTP_BODY_LIMIT_BYTES, tooLarge });
        } catch (err) {
          throw err instanceof ExchangeError ? failed(err.cause, err.phase) : failed(err, 'sending to');
        }
        const next = redirectOf(request, response);
        if (next === undefined) break;
        if (redirects >= MAX_REDIRECTS) throw new AgentError('http', agentId, `request to ${target} failed: more than ${MAX_REDIRECTS} redirects`);
        if (next === null) {
          throw new AgentError('http', agentId, `${target} redirected to ${JSON.stringify(response.headers.location)}, which is not an http(s) URL`);
        }
        request = next;
      }
    } finally {
      deadline.end();
    }

    const { status, statusText, headers, text } = response;
    if (status < 200 || status > 299) {
      const snippet = text.trim().slice(0, ERROR_BODY_SNIPPET_CHARS);
      throw new AgentError(
        'http',
        agentId,
        `${target} answered HTTP ${status}${statusText ? ` ${statusText}` : ''}${snippet ? `: ${snippet}` : ''}`,
        { status },
      );
    }

    const contentType = headerText(headers['content-type']);
    const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim()) || text.trimStart().startsWith('{');
    return isJson ? parseAgentJson(text, agentId) : parseAgentOutput(text, agentId);
  }
}

/**
 * The caller's signal and a deadline as one signal: aborts with the caller's reason, or once
 * `timeoutMs` has passed (`expired`). end() lets go of both.
 */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => this.controller.abort(this.caller.reason);
  expired = false;

  constructor(
    private readonly caller: AbortSignal,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new DOMException(`no response within ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    // Like AbortSignal.timeout: the deadline alone does not keep the process alive.
    this.timer.unref();
    caller.addEventListener('abort', this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  end(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.onAbort);
  }
}

/**
 * The request a redirect response asks for (fetch's rules); undefined when the response is not a
 * redirect to follow, null when its location is not an http(s) URL.
 */
function redirectOf(request: ExchangeRequest, response: ExchangeResponse): ExchangeRequest | null | undefined {
  const { status } = response;
  const location = response.headers.location;
  if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(location, request.url);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const headers = { ...request.headers };
  if (url.origin !== request.url.origin) for (const name of ORIGIN_BOUND_HEADERS) delete headers[name];
  const keepsBody = status === 307 || status === 308;
  if (!keepsBody) {
    delete headers['content-type'];
    delete headers['content-length'];
  }
  return keepsBody ? { url, method: request.method, headers, body: request.body } : { url, method: 'GET', headers, body: undefined };
}

/** A response header's value as one string (undici gives a repeated header as an array). */
function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** `content-type: application/json` plus the configured headers (which may override it), by lower-cased name. */
function requestHeaders(configured: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(configured ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/** A network error's message, with its code when the message does not already carry it. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

/** Drops credentials from a URL before it goes into an error message. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url;
  }
}
