/**
 * The gateway.* settings a reload cannot apply: the logger, the control server and the inspector
 * relay are built once at start. A reload applies gateway.supervision (restarting the accounts it
 * changes) and gateway.delivery; these need a restart of the gateway, and the reload names them.
 */
import type { GatewayConfig } from '../config/index.js';

type Gateway = GatewayConfig['gateway'];

const RESTART_ONLY: ReadonlyArray<keyof Gateway> = ['logLevel', 'http', 'inspector'];

/** Dotted paths (`gateway.http.port`) of restart-only settings that differ between two configs. */
export function restartOnlyChanges(running: Gateway, next: Gateway): string[] {
  const changed: string[] = [];
  for (const key of RESTART_ONLY) diff(`gateway.${key}`, running[key], next[key], changed);
  return changed;
}

function diff(path: string, a: unknown, b: unknown, out: string[]): void {
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diff(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (!Object.is(a, b)) out.push(path);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
