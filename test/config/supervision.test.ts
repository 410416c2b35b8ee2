import { describe, expect, it } from 'vitest';
import { DEFAULT_SUPERVISION } from '../../src/config/index.js';
import { invalid, issueAt, valid } from './helpers.js';

describe('gateway.supervision', () => {
  it('defaults every timing', () => {
    const config = valid({});
    expect(config.gateway).toEqual({
      logLevel: 'info',
      supervision: DEFAULT_SUPERVISION,
      http: {
        enabled: true,
        port: 7545,
        maxConnections: 64,
        headersTimeoutMs: 10000,
        requestTimeoutMs: 30000,
        keepAliveTimeoutMs: 5000,
        idleTimeoutMs: 120000,
      },
      inspector: { enabled: false, port: 7546 },
      dashboard: { showMessageText: false },
      delivery: { deadLetterRetentionMs: 30 * 86_400_000, overdueAfterMs: 600_000 },
    });
    expect(DEFAULT_SUPERVISION).toEqual({
      backoffInitialMs: 500,
      backoffMaxMs: 30000,
      restartIntensity: { maxRestarts: 5, windowMs: 60000 },
      coolDownMs: 300000,
      permissionReprobeMs: 30000,
      livenessIntervalMs: 15000,
      probeTimeoutMs: 10000,
      readTimeoutMs: 15000,
      mutationTimeoutMs: 30000,
      trackedSendWaitMs: 60000,
      stableAfterMs: 30000,
      stopTimeoutMs: 3000,
    });
  });

  it('overrides are merged key by key, including inside restartIntensity', () => {
    const config = valid({ gateway: { logLevel: 'debug', supervision: { backoffMaxMs: 10000, restartIntensity: { maxRestarts: 2 } } } });
    expect(config.gateway.logLevel).toBe('debug');
    expect(config.gateway.supervision).toEqual({
      ...DEFAULT_SUPERVISION,
      backoffMaxMs: 10000,
      restartIntensity: { maxRestarts: 2, windowMs: 60000 },
    });
  });

  it('values must be positive integers', () => {
    const issues = invalid({ gateway: { supervision: { coolDownMs: 0, probeTimeoutMs: 2.5, restartIntensity: { windowMs: -1 } } } });
    expect(issueAt(issues, 'gateway.supervision.coolDownMs').message).toMatch(/greater than 0/);
    expect(issueAt(issues, 'gateway.supervision.probeTimeoutMs').message).toMatch(/integer/);
    expect(issueAt(issues, 'gateway.supervision.restartIntensity.windowMs')).toBeDefined();
  });

  it('reads and mutations have separate deadlines; the older key names still work, but not beside the new ones', () => {
    expect(valid({ gateway: { supervision: { readTimeoutMs: 5000, mutationTimeoutMs: 45000 } } }).gateway.supervision).toMatchObject({
      readTimeoutMs: 5000,
      mutationTimeoutMs: 45000,
    });
    expect(valid({ gateway: { supervision: { requestTimeoutMs: 7000, sendTimeoutMs: 20000 } } }).gateway.supervision).toMatchObject({
      readTimeoutMs: 7000,
      mutationTimeoutMs: 20000,
    });
    const issues = invalid({ gateway: { supervision: { readTimeoutMs: 5000, requestTimeoutMs: 7000, mutationTimeoutMs: 40000, sendTimeoutMs: 9000 } } });
    expect(issueAt(issues, 'gateway.supervision.requestTimeoutMs').message).toBe(
      'requestTimeoutMs is the older name of readTimeoutMs, and both are set; keep only readTimeoutMs',
    );
    expect(issueAt(issues, 'gateway.supervision.sendTimeoutMs').message).toMatch(/older name of mutationTimeoutMs/);
  });

  it('the first backoff delay cannot exceed the cap', () => {
    expect(issueAt(invalid({ gateway: { supervision: { backoffInitialMs: 60000 } } }), 'gateway.supervision.backoffInitialMs').message).toMatch(
      /must not exceed backoffMaxMs \(30000\)/,
    );
  });

  it('DEFAULT_SUPERVISION cannot be mutated by accident', () => {
    expect(Object.isFrozen(DEFAULT_SUPERVISION)).toBe(true);
    const config = valid({});
    config.gateway.supervision.restartIntensity.maxRestarts = 99;
    expect(DEFAULT_SUPERVISION.restartIntensity.maxRestarts).toBe(5);
  });
});

describe('gateway.delivery', () => {
  it('takes durations for the dead-letter retention and the overdue threshold', () => {
    const config = valid({ gateway: { delivery: { deadLetterRetention: '7d', overdueAfter: '90s' } } });
    expect(config.gateway.delivery).toEqual({ deadLetterRetentionMs: 7 * 86_400_000, overdueAfterMs: 90_000 });
    expect(valid({ gateway: { delivery: { overdueAfter: 5000 } } }).gateway.delivery.overdueAfterMs).toBe(5000);
  });

  it('refuses a value that is not a duration above zero, naming the key', () => {
    expect(issueAt(invalid({ gateway: { delivery: { deadLetterRetention: 'forever' } } }), 'gateway.delivery.deadLetterRetention').message).toContain('a duration such as');
    expect(issueAt(invalid({ gateway: { delivery: { overdueAfter: '0s' } } }), 'gateway.delivery.overdueAfter').message).toContain('above zero');
    expect(issueAt(invalid({ gateway: { delivery: { retention: '7d' } } }), 'gateway.delivery.retention').message).toContain('deadLetterRetention');
  });
});

describe('gateway.dashboard', () => {
  it('showMessageText is off unless turned on, and must be true or false', () => {
    expect(valid({}).gateway.dashboard).toEqual({ showMessageText: false });
    expect(valid({ gateway: { dashboard: { showMessageText: true } } }).gateway.dashboard).toEqual({ showMessageText: true });
    expect(issueAt(invalid({ gateway: { dashboard: { showMessageText: 'yes' } } }), 'gateway.dashboard.showMessageText')).toBeDefined();
    expect(issueAt(invalid({ gateway: { dashboard: { showText: true } } }), 'gateway.dashboard.showText')).toBeDefined();
  });
});
