/**
 * The per-message cost of the policy (issue 15, the inbound throughput): a sender the policy lets
 * through on the configuration alone (dmPolicy open, or listed in allowFrom) costs no store read,
 * no sender-machine actor and no transaction. Counted with a spy around a real store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessPolicy } from '../../src/policy/access-policy.js';
import type { InboundPolicy } from '../../src/policy/policy-config.js';
import { GatewayStore } from '../../src/store/index.js';
import { msg, policy } from './policy-fixtures.js';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');

describe('AccessPolicy store use per message', () => {
  let dir: string;
  let store: GatewayStore;
  let calls: string[];
  let spied: GatewayStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-access-use-'));
    store = GatewayStore.open(join(dir, 'state.db'));
    calls = [];
    // Every method the policy calls on the store is recorded (reads, writes, senderTransaction).
    spied = new Proxy(store, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(key));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const access = (p: Partial<InboundPolicy>) =>
    new AccessPolicy({ accountId: 'bot', policy: policy(p), store: spied, historyLimit: 3, service: 'imessage' });

  /** decide + carryOut for 50 DMs from distinct senders, as the pipeline does per message. */
  const run = (a: AccessPolicy, sender: (i: number) => string) => {
    const actions = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const m = msg({ id: 100 + i, guid: `G-${i}`, sender: sender(i), text: `m${i}` });
      const decision = a.decide(m, T0);
      actions.add(a.carryOut(m, decision, T0).action);
    }
    return [...actions];
  };

  it('dmPolicy open: no store call at all, whoever writes', () => {
    expect(run(access({ dmPolicy: 'open', allowFrom: ['*'] }), (i) => `+1555000${1000 + i}`)).toEqual(['dispatch']);
    expect(calls).toEqual([]);
  });

  it('allowlist or pairing, sender listed in allowFrom: no store call (the list alone lets them through)', () => {
    const listed = Array.from({ length: 50 }, (_, i) => `+1555000${1000 + i}`);
    expect(run(access({ dmPolicy: 'allowlist', allowFrom: listed }), (i) => listed[i]!)).toEqual(['dispatch']);
    expect(run(access({ dmPolicy: 'pairing', allowFrom: listed }), (i) => listed[i]!)).toEqual(['dispatch']);
    expect(calls).toEqual([]);
  });

  it('the spy sees the store when the decision needs it: an unlisted stranger under pairing reads and pairs', () => {
    expect(run(access({ dmPolicy: 'pairing', allowFrom: [] }), (i) => `+1555000${1000 + i}`)).toContain('pair');
    expect(calls).toContain('senderTransaction');
    expect(calls.filter((c) => c !== 'senderTransaction').length).toBeGreaterThan(0);
  });
});
