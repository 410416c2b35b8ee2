/**
 * Protocol negotiation on connect (imsg-rpc-current.md §1.2): `initialize {protocol_version: 1}`
 * first, then v1 or legacy mode from the answer. chooseMode() is the pure decision; negotiate()
 * runs it against a live client and hands the result to the client (setServer), so every later
 * request is gated on `methods` and shaped to the protocol's keys.
 */
import { isKnownErrorCode } from './classify.js';
import { ImsgError, PermissionDeniedError, RpcError } from './errors.js';
import type { ImsgRpcClient } from './rpc-client.js';
import { type ImsgServerInfo, isKnownVersion, LEGACY_SERVER, parseStatusSnapshot } from './server-info.js';

export type InitializeOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

export type ModeDecision =
  | { mode: 'v1'; info: ImsgServerInfo; missing: string[] }
  | { mode: 'legacy'; reason: string }
  /** A future protocol refused version 1: ask again without params and read what it speaks. */
  | { mode: 'retry-without-version' }
  /** The child cannot serve at all (legacy permission banner, exit, hang): the account handles it. */
  | { mode: 'fail'; error: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function chooseMode(outcome: InitializeOutcome): ModeDecision {
  if (outcome.ok) {
    const r = outcome.result;
    if (isRecord(r) && Number.isSafeInteger(r.protocol_version) && (r.protocol_version as number) >= 1) {
      const { info, missing } = parseStatusSnapshot(r);
      return { mode: 'v1', info, missing };
    }
    return { mode: 'legacy', reason: 'initialize answered without a protocol_version' };
  }
  const err = outcome.error;
  // 0.8.2–0.13 with the database unopenable: -32603 with the banner (classified already).
  if (err instanceof PermissionDeniedError && err.form === 'json') return { mode: 'fail', error: err };
  if (err instanceof RpcError) {
    if (err.code === -32601) return { mode: 'legacy', reason: 'initialize is unknown (imsg 0.13 or older)' };
    if (err.code === -32602 && /unsupported protocol_version/i.test(err.data ?? '')) return { mode: 'retry-without-version' };
    return { mode: 'legacy', reason: `initialize failed with ${err.code}` };
  }
  return { mode: 'fail', error: err };
}

export interface Negotiated {
  info: ImsgServerInfo;
  /** Fixed texts for one log line each: fallbacks, thin snapshots, unknown versions (never values from imsg but its version). */
  notes: string[];
}

const settle = (p: Promise<unknown>): Promise<InitializeOutcome> =>
  p.then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );

export async function negotiate(client: ImsgRpcClient, timeoutMs?: number): Promise<Negotiated> {
  const notes: string[] = [];
  let decision = chooseMode(await settle(client.request('initialize', { protocol_version: 1 }, timeoutMs)));
  if (decision.mode === 'retry-without-version') {
    notes.push('imsg refused protocol_version 1 (a newer protocol); asked again without a version');
    decision = chooseMode(await settle(client.request('initialize', {}, timeoutMs)));
    if (decision.mode === 'retry-without-version') decision = { mode: 'legacy', reason: 'no protocol version both sides speak' };
  }
  if (decision.mode === 'fail') throw decision.error;
  if (decision.mode === 'legacy') {
    if (!decision.reason.startsWith('initialize is unknown')) {
      notes.push(`legacy mode: ${decision.reason}`);
    }
    client.setServer(LEGACY_SERVER);
    return { info: LEGACY_SERVER, notes };
  }
  // v1: `status` must work too (it is how the database is re-checked); one that rejects it is
  // treated as legacy, and said so.
  let info = decision.info;
  client.setServer(info);
  try {
    const snap = parseStatusSnapshot(await client.request('status', {}, timeoutMs));
    info = snap.info;
    if (snap.missing.length > 0) notes.push(`imsg status snapshot lacks ${snap.missing.join(', ')}; using what it has`);
  } catch (err) {
    if (!rejectsStatus(err)) throw err;
    const fallback = `imsg claims protocol v1 but rejected status (${err.code}); falling back to legacy mode`;
    notes.push(fallback);
    const legacy: ImsgServerInfo = { ...LEGACY_SERVER, version: info.version, fallback };
    client.setServer(legacy);
    return { info: legacy, notes };
  }
  if (!isKnownVersion(info.version)) {
    notes.push(`unknown imsg version ${JSON.stringify(info.version?.slice(0, 40))}; treating it as the newest known (0.15)`);
  }
  client.setServer(info);
  return { info, notes };
}

/**
 * `status` refused as a request (-32600, -32601, -32602) or with a code no imsg uses: this imsg does
 * not speak the v1 it claimed. A busy answer was retried already; -32002 is the database, not this.
 */
function rejectsStatus(err: unknown): err is RpcError {
  return err instanceof RpcError && (err.code === -32601 || err.code === -32602 || err.code === -32600 || !isKnownErrorCode(err.code));
}

/** Re-reads `status` on a live v1 child (database re-check); refreshes what the client gates on. */
export async function refreshStatus(client: ImsgRpcClient, timeoutMs?: number): Promise<ImsgServerInfo> {
  const current = client.server;
  if (!current || current.protocol !== 'v1') throw new Error('refreshStatus needs a negotiated v1 imsg');
  const { info } = parseStatusSnapshot(await client.request('status', {}, timeoutMs));
  client.setServer(info);
  return info;
}

/** The database is not open on a v1 child: the error that sends the account to awaiting-permissions. */
export function databaseUnavailable(info: ImsgServerInfo, binary: string, dbPath: string | undefined): ImsgError | undefined {
  if (info.protocol !== 'v1' || !info.database || info.database.ready) return undefined;
  return new PermissionDeniedError('v1', binary, info.database.path ?? dbPath, info.database.error ?? 'Database unavailable');
}
