/**
 * The CLI's way to the running gateway: its control API on 127.0.0.1 (URL from the status file,
 * bearer token from <home>/control-token). `undefined` when no gateway answers there, so commands
 * fall back to working on the home's files directly.
 */
import { lockOwner } from '../supervisor/gateway-lock.js';
import { readStatusFile } from '../supervisor/status-file.js';
import { readControlToken } from '../web/control-token.js';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

export async function callGateway(
  home: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<ControlAnswer | undefined> {
  const status = readStatusFile(home);
  const token = readControlToken(home);
  if (!status?.controlUrl || !token || lockOwner(home) !== status.pid) return undefined;
  try {
    const response = await fetch(`${status.controlUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    return undefined; // not listening (disabled, another port, stopping): use the files instead
  }
}

export function errorOf(answer: ControlAnswer): string {
  const body = answer.body as { error?: unknown } | undefined;
  return typeof body?.error === 'string' ? body.error : `HTTP ${answer.status}`;
}
