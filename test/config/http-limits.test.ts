import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP } from '../../src/config/defaults.js';
import { invalid, issueAt, valid } from './helpers.js';

describe('gateway.http limits', () => {
  it('default to 64 connections and bounded timeouts', () => {
    expect(valid({}).gateway.http).toEqual({
      enabled: true,
      port: 7545,
      maxConnections: 64,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      idleTimeoutMs: 120_000,
    });
    expect(Object.isFrozen(DEFAULT_HTTP)).toBe(true);
  });

  it('are merged key by key', () => {
    const http = valid({ gateway: { http: { port: 0, maxConnections: 16, headersTimeoutMs: 500 } } }).gateway.http;
    expect(http).toEqual({ ...DEFAULT_HTTP, port: 0, maxConnections: 16, headersTimeoutMs: 500 });
  });

  it('maxConnections is an integer from 4 to 4096; timeouts are positive integers', () => {
    expect(issueAt(invalid({ gateway: { http: { maxConnections: 2 } } }), 'gateway.http.maxConnections')).toBeDefined();
    expect(issueAt(invalid({ gateway: { http: { maxConnections: 100_000 } } }), 'gateway.http.maxConnections')).toBeDefined();
    expect(issueAt(invalid({ gateway: { http: { maxConnections: 8.5 } } }), 'gateway.http.maxConnections').message).toMatch(/integer/);
    const issues = invalid({ gateway: { http: { keepAliveTimeoutMs: 0, idleTimeoutMs: -1, requestTimeoutMs: 'soon' } } });
    expect(issueAt(issues, 'gateway.http.keepAliveTimeoutMs').message).toMatch(/greater than 0/);
    expect(issueAt(issues, 'gateway.http.idleTimeoutMs')).toBeDefined();
    expect(issueAt(issues, 'gateway.http.requestTimeoutMs')).toBeDefined();
  });

  it('an unknown key is refused', () => {
    expect(issueAt(invalid({ gateway: { http: { maxConnection: 10 } } }), 'gateway.http.maxConnection').message).toMatch(
      /did you mean "maxConnections"/,
    );
  });

  it('the header timeout cannot exceed the request timeout', () => {
    expect(issueAt(invalid({ gateway: { http: { headersTimeoutMs: 60_000 } } }), 'gateway.http.headersTimeoutMs').message).toMatch(
      /must not exceed requestTimeoutMs \(30000\)/,
    );
    expect(issueAt(invalid({ gateway: { http: { requestTimeoutMs: 1_000 } } }), 'gateway.http.requestTimeoutMs')).toBeDefined();
  });
});
