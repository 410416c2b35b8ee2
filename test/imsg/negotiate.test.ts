/** The pure parts of negotiation: mode choice, the status snapshot, method gating, busy backoff. */
import { describe, expect, it } from 'vitest';
import { busyRetryDelay, BUSY_MAX_RETRIES } from '../../src/imsg/busy-retry.js';
import { classifyRpcError } from '../../src/imsg/classify.js';
import { PermissionDeniedError, ProcessExitedError, RpcError } from '../../src/imsg/errors.js';
import { chooseMode, databaseUnavailable } from '../../src/imsg/negotiate.js';
import { isKnownVersion, LEGACY_SERVER, methodAvailable, parseStatusSnapshot } from '../../src/imsg/server-info.js';

const ctx = { binary: '/opt/homebrew/bin/imsg', dbPath: '/Users/me/Library/Messages/chat.db' };
const SNAPSHOT = {
  version: '0.15.10',
  protocol_version: 1,
  database: { path: '/Users/me/Library/Messages/chat.db', ready: true, features: { unread_state: true } },
  bridge: { ready: false, error: 'The bridge is not started.' },
  contacts: { available: false },
  methods: ['initialize', 'status', 'watch.unsubscribe', 'chats.list', 'messages.history', 'messages.after', 'watch.subscribe', 'send'],
  supported_methods: ['initialize', 'status', 'watch.unsubscribe', 'chats.list', 'messages.history', 'messages.after', 'watch.subscribe', 'send', 'send.tracked'],
  capabilities: { engine: { version: '0.15.10', commit: 'abc', built_at: 'x' }, features: { 'tapback.emoji': 2 } },
};

describe('chooseMode', () => {
  it('v1 from an initialize result with protocol_version 1', () => {
    const d = chooseMode({ ok: true, result: SNAPSHOT });
    expect(d.mode).toBe('v1');
    if (d.mode !== 'v1') return;
    expect(d.info).toMatchObject({ protocol: 'v1', version: '0.15.10', database: { ready: true } });
    expect(d.info.features).toEqual({ 'tapback.emoji': 2 });
    expect(d.missing).toEqual([]);
  });

  it('legacy from -32601 (imsg ≤0.13)', () => {
    const err = classifyRpcError('initialize', -32601, 'Method not found', 'initialize', ctx);
    expect(chooseMode({ ok: false, error: err })).toMatchObject({ mode: 'legacy' });
  });

  it('fails with the permission error from the 0.8.2–0.13 banner (string data)', () => {
    const err = classifyRpcError('initialize', -32603, 'Internal error', 'Permission Error: grant Full Disk Access', ctx);
    const d = chooseMode({ ok: false, error: err });
    expect(d.mode).toBe('fail');
    expect(d.mode === 'fail' && d.error).toBeInstanceOf(PermissionDeniedError);
  });

  it('asks again without a version when a future protocol refuses 1', () => {
    const err = classifyRpcError('initialize', -32602, 'Invalid params', 'unsupported protocol_version 1; supported version is 2', ctx);
    expect(chooseMode({ ok: false, error: err })).toEqual({ mode: 'retry-without-version' });
  });

  it('passes an exit or hang through to the account', () => {
    const err = new ProcessExitedError(1, null, '');
    expect(chooseMode({ ok: false, error: err })).toEqual({ mode: 'fail', error: err });
  });

  it('a result without protocol_version is legacy', () => {
    expect(chooseMode({ ok: true, result: { ok: true } })).toMatchObject({ mode: 'legacy' });
  });
});

describe('parseStatusSnapshot', () => {
  it('tolerates a snapshot with missing fields and names them', () => {
    const { info, missing } = parseStatusSnapshot({ protocol_version: 1 });
    expect(info).toMatchObject({ protocol: 'v1', version: null, methods: null, database: null });
    expect(missing).toEqual(['version', 'methods', 'supported_methods', 'database.ready']);
  });

  it('reads database.ready false with imsg’s reason', () => {
    const { info } = parseStatusSnapshot({ ...SNAPSHOT, database: { path: '/x/chat.db', ready: false, error: 'does not exist' } });
    expect(info.database).toEqual({ path: '/x/chat.db', ready: false, error: 'does not exist' });
    const err = databaseUnavailable(info, ctx.binary, undefined);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).keepsChild).toBe(true);
    expect((err as PermissionDeniedError).remediation).toContain('does not exist');
  });
});

describe('methodAvailable', () => {
  const v1 = parseStatusSnapshot(SNAPSHOT).info;
  it('v1: only what `methods` lists now', () => {
    expect(methodAvailable(v1, 'messages.after')).toBe(true);
    expect(methodAvailable(v1, 'send.tracked')).toBe(false); // supported, not usable now
    expect(methodAvailable(v1, 'messages.search')).toBe(false);
  });
  it('v1 without `methods`: falls back to supported_methods', () => {
    const thin = parseStatusSnapshot({ ...SNAPSHOT, methods: undefined }).info;
    expect(methodAvailable(thin, 'send.tracked')).toBe(true);
  });
  it('legacy: never the v1-only methods', () => {
    for (const m of ['initialize', 'status', 'messages.after', 'send.tracked']) expect(methodAvailable(LEGACY_SERVER, m)).toBe(false);
    for (const m of ['chats.list', 'messages.history', 'watch.subscribe', 'watch.unsubscribe', 'send']) expect(methodAvailable(LEGACY_SERVER, m)).toBe(true);
  });
});

describe('versions', () => {
  it('knows 0.8–0.15 and flags anything else (treated as the newest known)', () => {
    expect(isKnownVersion('0.9.0')).toBe(true);
    expect(isKnownVersion('0.15.10')).toBe(true);
    expect(isKnownVersion('0.16.0')).toBe(false);
    expect(isKnownVersion('1.0.0')).toBe(false);
  });
});

describe('error.data as a string or an object', () => {
  it('-32002 with object data is the v1 database-unavailable form, carrying detail and path', () => {
    const err = classifyRpcError('chats.list', -32002, 'Database unavailable', {
      path: '/Users/me/Library/Messages/chat.db',
      detail: 'The configured Messages database could not be opened read-only. Verify the path and grant Full Disk Access to the supervising process, then retry.',
      retryable: true,
    }, ctx);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.recovery).toBe('permission');
    expect(err.message).toContain('could not be opened read-only');
    expect(err.message).toContain(ctx.binary);
    expect((err as PermissionDeniedError).keepsChild).toBe(true);
  });

  it('an object data on another code keeps the object and uses its detail as text', () => {
    const data = { retry_safe: false, disposition: 'may_have_completed', transport: 'applescript', operation: 'send', detail: 'no receipt' };
    const err = classifyRpcError('send', -32001, 'Delivery outcome unknown', data, ctx) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.data).toBe('no receipt');
    expect(err.dataObject).toEqual(data);
  });

  it('-32000 is busy', () => {
    const err = classifyRpcError('chats.list', -32000, 'Server busy', 'outstanding request limit exceeded', ctx) as RpcError;
    expect(err.busy).toBe(true);
  });
});

describe('busyRetryDelay', () => {
  it('backs off from 100 ms to 1 s with equal jitter, then gives up', () => {
    const delays = Array.from({ length: BUSY_MAX_RETRIES }, (_, i) => busyRetryDelay(i, 'outstanding request limit exceeded', () => 1));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(busyRetryDelay(0, undefined, () => 0)).toBe(50);
    expect(busyRetryDelay(BUSY_MAX_RETRIES, undefined)).toBeUndefined();
  });
  it('never retries a child that is shutting down', () => {
    expect(busyRetryDelay(0, 'server is shutting down')).toBeUndefined();
  });
});
