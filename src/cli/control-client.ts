/**
 * The CLI's one way into a running gateway: its control API on 127.0.0.1 (URL from the status
 * file, bearer token from <home>/control-token). Whether a gateway runs is the home's lock's
 * answer (gateway-lock.ts):
 * - no gateway holds the lock: `callGateway` answers `undefined`, and the command may work on the
 *   home's files (the state database) directly: the stopped-gateway path;
 * - a gateway holds it: the request goes to its control API, and only there. A gateway whose API
 *   does not answer (gateway.http.enabled false, its port was taken, it is still starting or
 *   stopping) is a GatewayUnreachableError naming the fix; the command never falls back to
 *   writing the database under a running gateway.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { DIRECT_WRITE_WAIT_MS, holdForDirectWrite, lockState } from '../supervisor/gateway-lock.js';
import { readStatusFile } from '../supervisor/status-file.js';
import type { TypedError } from '../util/typed-error.js';
import { readControlToken } from '../web/control-token.js';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

/** How long a command waits for a gateway that is starting to publish its control URL. */
const STARTING_WAIT_MS = 5_000;

export class GatewayUnreachableError extends Error implements TypedError {
  readonly kind = 'gateway-unreachable';
  readonly recovery = 'operator';
  readonly remediation: string;
  constructor(
    readonly home: string,
    readonly pid: number | undefined,
    why: string,
  ) {
    super(`the gateway${pid !== undefined ? ` (pid ${pid})` : ''} is running with the home ${home}, but ${why}`);
    this.name = 'GatewayUnreachableError';
    this.remediation =
      'while a gateway runs, the CLI changes things only through its control API: enable it (gateway.http.enabled, ' +
      'a free gateway.http.port or `start --port N`) and restart the gateway, or stop the gateway to work on its files directly';
  }
}

/** The running gateway's control URL and token; undefined when no gateway runs for this home. */
async function runningGateway(home: string, waitMs: number): Promise<{ url: string; token: string } | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = lockState(home);
    if (!lock.held) return undefined;
    if (lock.directWriter !== undefined) {
      // Another CLI is writing the stopped gateway's files: its lock is gone in a moment.
      if (Date.now() >= deadline + DIRECT_WRITE_WAIT_MS) throw new GatewayUnreachableError(home, lock.directWriter, 'a CLI (pid above) has held its lock for a direct write too long');
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const status = readStatusFile(home);
    const token = readControlToken(home);
    const current = status !== undefined && (lock.pid === undefined || status.pid === lock.pid);
    if (current && status.controlUrl && token) return { url: status.controlUrl, token };
    // The gateway said why its API is not listening: no point waiting for it.
    if (current && !status.controlUrl && status.controlProblem) {
      throw new GatewayUnreachableError(home, lock.pid, `its control API is not listening (${status.controlProblem}: see its log)`);
    }
    // A gateway that just started may not have written its status (or its token) yet.
    if (Date.now() >= deadline) {
      throw new GatewayUnreachableError(
        home,
        lock.pid,
        !current
          ? 'it has not published its status (status.json) yet'
          : !status.controlUrl
            ? 'its control API is not listening (gateway.http.enabled is false, or its port was taken: see its log)'
            : 'its control token (<home>/control-token) is missing',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A request to the running gateway's control API; `undefined` when no gateway runs for this home.
 * Throws GatewayUnreachableError when one runs but its API does not answer.
 */
export async function callGateway(
  home: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
  startingWaitMs = STARTING_WAIT_MS,
): Promise<ControlAnswer | undefined> {
  const gateway = await runningGateway(home, startingWaitMs);
  if (!gateway) return undefined;
  let response: Response;
  try {
    response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${gateway.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if (!lockState(home).held) return undefined; // it stopped meanwhile: the files are free now
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new GatewayUnreachableError(home, lockState(home).pid, `its control API at ${gateway.url} did not answer (${cause})`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    parsed = { error: `HTTP ${response.status}: ${text.slice(0, 200)}` };
  }
  return { status: response.status, body: parsed };
}

/**
 * A change the CLI makes: through the running gateway's control API (`{ live }`, also its
 * refusals), or, only when no gateway runs, `direct()` on the home's files (`{ direct }`) while the
 * CLI holds the home's lock (gateway-lock.ts `holdForDirectWrite`). A gateway that starts
 * meanwhile waits for the write to end, so it finds the row when it drains its outboxes; without
 * the lock a row committed just after a starting gateway's drain would wait for a later wake-up.
 */
export async function changeThroughGateway<T>(
  home: string,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  direct: () => T | Promise<T>,
): Promise<{ live: ControlAnswer } | { direct: T }> {
  for (;;) {
    const release = holdForDirectWrite(home);
    if (release) {
      try {
        await testGate();
        return { direct: await direct() };
      } finally {
        release();
      }
    }
    const live = await callGateway(home, method, path, body);
    if (live) return { live };
    // The lock was free again when callGateway asked: a gateway stopped, or another CLI's write ended.
  }
}

/**
 * TEST ONLY: with IMESSAGE_GATEWAY_TEST_DIRECT_WRITE_GATE=<file>, a direct write holding the lock
 * creates `<file>.held` and waits (at most 30 s) until `<file>` exists, so an e2e test can start a
 * gateway inside the window between the CLI's lock check and its write (test/e2e/send-lock-race).
 */
async function testGate(): Promise<void> {
  const gate = process.env.IMESSAGE_GATEWAY_TEST_DIRECT_WRITE_GATE;
  if (!gate) return;
  writeFileSync(`${gate}.held`, `${process.pid}\n`);
  const deadline = Date.now() + 30_000;
  while (!existsSync(gate) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** `callGateway`, for readers that can fall back to the status file: undefined instead of throwing. */
export async function askGateway(home: string, method: 'GET' | 'POST', path: string): Promise<ControlAnswer | undefined> {
  try {
    return await callGateway(home, method, path, undefined, 10_000, 0);
  } catch (err) {
    if (err instanceof GatewayUnreachableError) return undefined;
    throw err;
  }
}

/** Whether a gateway runs for this home (the lock's answer). */
export function gatewayRuns(home: string): boolean {
  return lockState(home).held;
}

export function errorOf(answer: ControlAnswer): string {
  const body = answer.body as { error?: unknown } | undefined;
  return typeof body?.error === 'string' ? body.error : `HTTP ${answer.status}`;
}
