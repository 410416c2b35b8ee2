/**
 * Resource limits of the loopback HTTP servers (the control API, the inspector relay), so that
 * idle or slow clients cannot take the gateway's file descriptors (docs/dashboard.md):
 * - node enforces the header, request and keep-alive timeouts (`serverTimeoutOptions`);
 * - an idle socket timeout closes a connection on which nothing moves;
 * - at most `maxConnections` connections are open. A new connection beyond it closes the oldest
 *   one that is not serving a request (idle keep-alive, headers still arriving); if every one is
 *   busy, the new one is closed at once. Long-lived streams (the SSE event stream, inspector
 *   WebSockets) are exempt from the timeouts but may hold only `maxConnections - reserve`
 *   slots, so short requests such as `status` always find one.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

export interface HttpLimits {
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxConnections: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 120_000,
});

/** Slots only short requests may use: a quarter of the cap, at least one. */
export function reservedSlots(maxConnections: number): number {
  return Math.max(1, Math.ceil(maxConnections / 4));
}

/** The createServer options through which node enforces the header, request and keep-alive timeouts. */
export function serverTimeoutOptions(limits: HttpLimits): ServerOptions {
  const requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often node looks for connections past those timeouts (its default is 30 s).
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

interface Slot {
  /** Serving a request (or upgraded): never closed to make room. */
  busy: boolean;
  longLived: boolean;
}

export interface ConnectionGuard {
  /**
   * Marks a connection as a long-lived stream: no idle timeout, never evicted. False when the
   * streams already hold all the slots they may: the caller answers 503 instead.
   */
  admitLongLived(socket: Duplex): boolean;
  stats(): { open: number; longLived: number; refused: number; evicted: number; timedOut: number };
}

const WARN_EVERY_MS = 10_000;

export function guardConnections(server: Server, limits: HttpLimits, logger: Logger): ConnectionGuard {
  const slots = new Map<Duplex, Slot>();
  const counts = { refused: 0, evicted: 0, timedOut: 0 };
  let lastWarn = 0;
  const longLivedCount = (): number => [...slots.values()].filter((s) => s.longLived).length;

  const warn = (what: string): void => {
    const now = Date.now();
    if (now - lastWarn < WARN_EVERY_MS) return;
    lastWarn = now;
    logger.warn({ maxConnections: limits.maxConnections, ...counts }, what);
  };

  // A socket on which nothing moves for this long is destroyed by node (no 'timeout' listener).
  server.setTimeout(limits.idleTimeoutMs);

  server.on('connection', (socket: Duplex) => {
    if (slots.size >= limits.maxConnections) {
      const oldestIdle = [...slots].find(([, slot]) => !slot.busy)?.[0];
      if (oldestIdle) {
        counts.evicted++;
        slots.delete(oldestIdle);
        oldestIdle.destroy();
        warn('connection limit reached: closing the oldest idle connections to make room');
      } else {
        counts.refused++;
        socket.destroy();
        warn('connection limit reached and every connection is busy: refusing new connections');
        return;
      }
    }
    slots.set(socket, { busy: false, longLived: false });
    socket.once('close', () => slots.delete(socket));
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const slot = slots.get(req.socket);
    if (!slot) return;
    slot.busy = true;
    res.once('close', () => {
      if (!slot.longLived) slot.busy = false;
    });
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) {
      counts.timedOut++;
      warn('closing connections that did not send a complete request in time');
    }
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = timedOut ? '408 Request Timeout' : '400 Bad Request';
    // Answer, then close for good: ending alone would leave a half-open socket to a client that
    // never closes its side.
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
    setTimeout(() => socket.destroy(), 1_000).unref();
  });

  return {
    admitLongLived(socket) {
      const slot = slots.get(socket);
      if (!slot) return false;
      if (!slot.longLived) {
        if (longLivedCount() >= limits.maxConnections - reservedSlots(limits.maxConnections)) return false;
        slot.longLived = true;
        slot.busy = true;
      }
      (socket as Socket).setTimeout(0);
      return true;
    },
    stats: () => ({ open: slots.size, longLived: longLivedCount(), ...counts }),
  };
}
