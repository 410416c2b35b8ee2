/**
 * The http handler: POSTs the envelope as JSON to a URL and reads replies from the response.
 *
 * Contract (docs/agents.md): 2xx with `content-type: application/json` or a body starting with `{`
 * → `{"replies":[...]}`; any other 2xx body → one plain-text reply (empty → none); non-2xx →
 * AgentError('http') with the status. The whole exchange (connect, headers, body) must finish
 * within timeoutMs.
 */
import type { Envelope } from '../routing/envelope.js';
import { AgentError } from './errors.js';
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

export class HttpAgent implements AgentHandler {
  readonly kind = 'http' as const;

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
  }

  async handle(envelope: Envelope, signal: AbortSignal): Promise<AgentResult> {
    const { agentId, config } = this;
    if (signal.aborted) throw new AgentError('aborted', agentId, 'aborted before the request was sent', { cause: signal.reason });
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    const target = redactUrl(config.url);

    const failed = (err: unknown, phase: string): AgentError => {
      if (err instanceof AgentError) return err;
      if (signal.aborted) return new AgentError('aborted', agentId, `aborted while ${phase} ${target}`, { cause: signal.reason });
      if (timeout.aborted) return new AgentError('timeout', agentId, `no response from ${target} within ${config.timeoutMs} ms (while ${phase})`, { cause: err });
      return new AgentError('http', agentId, `request to ${target} failed while ${phase}: ${describeFetchError(err)}`, { cause: err });
    };

    let response: Response;
    try {
      response = await fetch(config.url, {
        method: 'POST',
        headers: requestHeaders(config.headers),
        body: JSON.stringify(envelope),
        signal: combined,
      });
    } catch (err) {
      throw failed(err, 'sending to');
    }

    let body: string;
    try {
      body = await readBody(response, agentId);
    } catch (err) {
      throw failed(err, 'reading the response of');
    }

    if (!response.ok) {
      const snippet = body.trim().slice(0, ERROR_BODY_SNIPPET_CHARS);
      throw new AgentError(
        'http',
        agentId,
        `${target} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`,
        { status: response.status },
      );
    }

    const contentType = response.headers.get('content-type') ?? '';
    const isJson = /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType.trim()) || body.trimStart().startsWith('{');
    return isJson ? parseAgentJson(body, agentId) : parseAgentOutput(body, agentId);
  }
}

/** `content-type: application/json` plus the configured headers (which may override it). */
function requestHeaders(configured: Record<string, string> | undefined): Headers {
  const headers = new Headers({ 'content-type': 'application/json' });
  for (const [name, value] of Object.entries(configured ?? {})) headers.set(name, value);
  return headers;
}

/** Reads the body as UTF-8, failing once it exceeds HTTP_BODY_LIMIT_BYTES. */
async function readBody(response: Response, agentId: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  const tooLarge = (): AgentError =>
    new AgentError('invalid-reply', agentId, `response body exceeds ${HTTP_BODY_LIMIT_BYTES / (1024 * 1024)} MiB`, { status: response.status });
  if (Number.isFinite(declared) && declared > HTTP_BODY_LIMIT_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > HTTP_BODY_LIMIT_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** fetch wraps network errors as "fetch failed" with the real reason in `cause`. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${err.message} (${code ? `${code}: ` : ''}${cause.message})`;
  }
  return err.message;
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
