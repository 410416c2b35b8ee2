import { describe, expect, it } from 'vitest';
import { restartOnlyChanges } from '../../src/cli/reload-restart-only.js';
import { validateConfigObject } from '../../src/config/index.js';

const config = (gateway: Record<string, unknown>) =>
  validateConfigObject({ imessage: { cliPath: '/bin/true' }, agents: { list: [{ id: 'main', handler: { type: 'echo' } }] }, gateway }, 'test').gateway;

describe('restartOnlyChanges', () => {
  it('names changed logLevel, http and inspector settings, not supervision or delivery (a reload applies those)', () => {
    const before = config({});
    expect(restartOnlyChanges(before, config({}))).toEqual([]);
    expect(
      restartOnlyChanges(
        before,
        config({
          logLevel: 'debug',
          http: { port: 9999 },
          inspector: { enabled: true },
          supervision: { backoffInitialMs: 1234 },
          delivery: { overdueAfter: '10m' },
        }),
      ),
    ).toEqual(['gateway.logLevel', 'gateway.http.port', 'gateway.inspector.enabled']);
  });
});
