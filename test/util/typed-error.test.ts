/**
 * One error vocabulary (issue 12, item 7): every exported typed error class of the gateway carries
 * `kind`, `recovery` (fatal | retry | operator | permission) and `remediation`, and `errorText`
 * renders any of them the same way.
 */
import { describe, expect, it } from 'vitest';
import * as agentErrors from '../../src/agents/errors.js';
import * as configErrors from '../../src/config/errors.js';
import * as imsgErrors from '../../src/imsg/errors.js';
import * as pairing from '../../src/policy/pairing-service.js';
import * as targets from '../../src/routing/targets.js';
import * as delivery from '../../src/supervisor/delivery-service.js';
import { toErrorInfo } from '../../src/account-rules/error-info.js';
import * as storeErrors from '../../src/store/errors.js';
import * as storeMarker from '../../src/store/store-marker.js';
import * as gatewayLock from '../../src/supervisor/gateway-lock.js';
import * as workerErrors from '../../src/workers/errors.js';
import { errorText, isRetried, isTypedError, RECOVERIES, recoveryOfError } from '../../src/util/typed-error.js';

const {
  AutomationDeniedError,
  ClientStoppedError,
  DeadlineError,
  PermissionDeniedError,
  ProcessExitedError,
  RpcError,
  SpawnError,
  SshError,
  UnsupportedImsgError,
} = imsgErrors;

const STORE_KINDS: storeErrors.StoreErrorKind[] = ['corrupt', 'unreadable', 'newer-schema', 'locked', 'disk-full', 'io', 'vanished'];
const AGENT_KINDS: agentErrors.AgentErrorKind[] = ['timeout', 'exit', 'spawn', 'http', 'invalid-reply', 'aborted'];
const TASK_KINDS: workerErrors.WorkerTaskErrorKind[] = ['failed', 'timeout', 'aborted', 'closed', 'not-allowed'];
const PAIRING_KINDS: pairing.PairingErrorKind[] = ['unknown', 'expired', 'invalid'];

/** At least one instance of every typed error class, in each of its variants. */
const INSTANCES: Error[] = [
  new PermissionDeniedError('json', '/bin/imsg', '/db', 'unable to open'),
  new PermissionDeniedError('text', '/bin/imsg', undefined, 'unable to open'),
  new PermissionDeniedError('v1', '/bin/imsg', '/db', 'Messages database does not exist'),
  new AutomationDeniedError('/bin/imsg', '-1743'),
  new RpcError('send', -32602, 'Invalid params', 'missing text'),
  new RpcError('chats.list', -32603, 'Internal error', undefined),
  new ProcessExitedError(1, null, 'boom'),
  new DeadlineError('chats.list', 10_000),
  new DeadlineError('send', 30_000, 'mutation'),
  new SpawnError('/bin/imsg', 'ENOENT'),
  new SpawnError('/bin/imsg', 'EACCES'),
  new SpawnError('/bin/imsg', 'EMFILE'),
  new UnsupportedImsgError('no rpc'),
  new SshError('ssh-host-key', 'Host key verification failed'),
  new SshError('ssh-auth', 'Permission denied (publickey)'),
  new SshError('ssh-unreachable', 'Connection refused'),
  new ClientStoppedError('send'),
  ...STORE_KINDS.map((k) => new storeErrors.StoreError(k, '/h/state.db', 'detail')),
  new configErrors.ConfigError('/h/config.json5', [{ path: 'imessage.dmPolicy', message: 'must be one of …' }]),
  ...AGENT_KINDS.map((k) => new agentErrors.AgentError(k, 'bot', 'went wrong')),
  ...TASK_KINDS.map((k) => new workerErrors.WorkerTaskError(k, 'ingest', 'went wrong')),
  new workerErrors.MediaStoreError('/h/media', 'cannot write'),
  ...PAIRING_KINDS.map((k) => new pairing.PairingError(k, 'refused')),
  new gatewayLock.GatewayLockedError(123, '/h/gateway.lock', '/h'),
  new targets.TargetError('hello', 'not a phone number'),
  new delivery.DeliveryError('not-found', 'no dead letter o:9', 'see `imessage-gateway delivery list` for the ids'),
  new storeMarker.StateStoreMissingError('/h/state.db', 'missing', { path: '/h/state.db', heldSince: '2026-01-01T00:00:00.000Z' }, '/h/state.db.held'),
];

/** Every Error subclass the error modules export, found by walking their exports. */
const EXPORTED_CLASSES = [agentErrors, configErrors, delivery, imsgErrors, pairing, storeErrors, storeMarker, gatewayLock, targets, workerErrors]
  .flatMap((m) => Object.values(m))
  .filter((v): v is abstract new (...args: never[]) => Error => typeof v === 'function' && v.prototype instanceof Error);

describe('the shared error vocabulary', () => {
  it.each(INSTANCES.map((e) => [`${e.name} ${(e as { kind?: string }).kind}`, e] as const))(
    '%s carries kind, recovery and remediation',
    (_name, err) => {
      expect(isTypedError(err)).toBe(true);
      const t = err as unknown as { kind: unknown; recovery: unknown; remediation: unknown };
      expect(typeof t.kind).toBe('string');
      expect(RECOVERIES).toContain(t.recovery);
      expect(typeof t.remediation).toBe('string');
      expect((t.remediation as string).length).toBeGreaterThan(10);
      // The old field names are gone.
      expect(err).not.toHaveProperty('remedy');
      expect(err).not.toHaveProperty('retryable');
    },
  );

  it('every exported error class of the error modules has an instance above (a new class must join the vocabulary)', () => {
    expect(EXPORTED_CLASSES.length).toBeGreaterThanOrEqual(15);
    for (const cls of EXPORTED_CLASSES) {
      expect(INSTANCES.some((e) => e instanceof cls), `${cls.name} has no instance in INSTANCES`).toBe(true);
    }
  });

  it('the fatal-or-retry rule: a typed error says; anything else is retried', () => {
    expect(recoveryOfError(new storeErrors.StoreError('corrupt', '/p', 'x'))).toBe('fatal');
    expect(recoveryOfError(new storeErrors.StoreError('locked', '/p', 'x'))).toBe('retry');
    expect(recoveryOfError(new PermissionDeniedError('v1', '/bin/imsg', '/db', 'x'))).toBe('permission');
    expect(recoveryOfError(new SpawnError('/bin/imsg', 'ENOENT'))).toBe('operator');
    expect(recoveryOfError(new Error('surprise'))).toBe('retry');
    expect(recoveryOfError('a string')).toBe('retry');
    expect(isRetried(new agentErrors.AgentError('invalid-reply', 'bot', 'x'))).toBe(false);
    expect(isRetried(new agentErrors.AgentError('timeout', 'bot', 'x'))).toBe(true);
  });

  it('errorText: message, then the fix; a plain error is its message', () => {
    const err = new DeadlineError('chats.list', 5000);
    expect(errorText(err)).toBe(`${err.message}. To fix: ${err.remediation}`);
    expect(errorText(err, 'lines')).toBe(`${err.message}\nTo fix: ${err.remediation}`);
    expect(errorText(new Error('plain.'))).toBe('plain.');
    expect(errorText('text')).toBe('text');
    // Plain data (status, the machine's error info) renders the same way; no double full stop.
    expect(errorText({ message: 'gone.', remediation: 'put it back' })).toBe('gone. To fix: put it back');
    expect(errorText({ message: 'gone', remediation: null })).toBe('gone');
    const info = toErrorInfo(err, 0);
    expect(errorText(info)).toBe(errorText(err));
    expect(isTypedError(info)).toBe(true);
  });

  it('the machine keeps any typed error in the vocabulary, and an untyped one as internal/retry', () => {
    const store = new storeErrors.StoreError('disk-full', '/p', 'x');
    expect(toErrorInfo(store, 1)).toEqual({ message: store.message, kind: 'disk-full', recovery: 'retry', remediation: store.remediation, at: 1 });
    expect(toErrorInfo(new Error('bug'), 2)).toMatchObject({ kind: 'internal', recovery: 'retry' });
  });
});
