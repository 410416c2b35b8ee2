/**
 * The gateway's event stream (GET /api/events, Server-Sent Events: status, transition, flow and log) read with fetch, since
 * EventSource cannot send the bearer header. Reconnects with backoff; a stream silent for longer
 * than two heartbeats counts as dropped.
 */
import type { GatewayEvent } from './types.js';

export interface StreamHandlers {
  event(e: GatewayEvent): void;
  open(): void;
  /** The connection failed or dropped; it is retried. */
  drop(why: string): void;
  /** The token was rejected: not retried. */
  unauthorized(): void;
}

const SILENCE_MS = 35_000;
const EVENT_NAMES = new Set<string>(['status', 'transition', 'flow', 'log'] satisfies Array<GatewayEvent['type']>);

export function connectEvents(token: string, on: StreamHandlers): void {
  let retryMs = 1000;
  const parseBlock = (block: string): void => {
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (!line || line.startsWith(':')) continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 || !EVENT_NAMES.has(name)) return;
    try {
      on.event(JSON.parse(data.join('\n')) as GatewayEvent);
    } catch {
      // a malformed event is skipped
    }
  };

  const connect = async (): Promise<void> => {
    const abort = new AbortController();
    let silence: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => abort.abort(), SILENCE_MS);
    };
    try {
      const res = await fetch('/api/events', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, cache: 'no-store', signal: abort.signal });
      if (res.status === 401) {
        on.unauthorized();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      on.open();
      retryMs = 1000;
      arm();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the event stream ended');
        arm();
        buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n?/g, '\n');
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          parseBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      on.drop(abort.signal.aborted ? 'no heartbeat from the gateway' : (err as Error).message);
      setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    } finally {
      clearTimeout(silence);
    }
  };
  void connect();
}
