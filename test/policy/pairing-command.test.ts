import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pairingApproveCommand, pairingCommand, pairingListCommand } from '../../src/cli/pairing-command.js';
import { PairingService } from '../../src/policy/pairing-service.js';
import { GatewayStore } from '../../src/store/index.js';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');

describe('pairing CLI', () => {
  let home: string;
  let lines: string[];
  let errors: string[];
  const out = (l: string) => void lines.push(l);
  const err = (l: string) => void errors.push(l);

  /** Codes AAAAAAAA, BBBBBBBB, ... created by "the gateway" (another store connection). */
  function seed(requests: Array<[account: string, handle: string, at: number]>): void {
    const store = GatewayStore.open(join(home, 'state.db'));
    let i = 0;
    const pairing = new PairingService(store, { random: () => Math.floor(i++ / 8) });
    for (const [account, handle, at] of requests) pairing.requestFor(account, handle, 7, at);
    store.close();
  }

  function withStore<T>(fn: (s: GatewayStore) => T): T {
    const store = GatewayStore.open(join(home, 'state.db'));
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'gw-pairing-cli-'));
    vi.stubEnv('IMESSAGE_GATEWAY_HOME', home);
    lines = [];
    errors = [];
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(home, { recursive: true, force: true });
  });

  it('list shows pending codes, expired ones and strangers turned away by the cap', async () => {
    seed([
      ['bot', '+15550000001', T0 - 2 * 3_600_000],
      ['bot', '+15550000002', T0],
      ['bot', '+15550000003', T0],
      ['bot', '+15550000004', T0],
      ['bot', '+15550000005', T0],
    ]);
    expect(await pairingListCommand({ now: T0 + 60_000 }, out)).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('account bot: 4 pairing requests, 1 turned away');
    expect(text).toMatch(/AAAAAAAA {2}\+15550000001 {2}chat 7 .*EXPIRED/);
    expect(text).toMatch(/BBBBBBBB {2}\+15550000002 {2}chat \d+ {2}requested 1m ago {2}expires in 59m /);
    expect(text).toMatch(/AAAAAAAA .*requested 2h 1m ago {2}EXPIRED 1h 1m ago/);
    expect(text).toMatch(/turned away, no code: \+15550000005/);
    expect(text).toContain('imessage-gateway pairing approve imessage <CODE>');
  });

  it('list --json and --account', async () => {
    seed([
      ['bot', '+15550000001', T0],
      ['personal', 'jane@example.com', T0],
    ]);
    expect(await pairingListCommand({ account: 'Personal', json: true, now: T0 }, out)).toBe(0);
    const parsed = JSON.parse(lines.join('\n')) as { requests: Array<Record<string, unknown>>; approved: unknown[]; via: string };
    expect(parsed.via).toBe('state-db'); // no gateway runs for this home
    expect(parsed.requests).toEqual([
      expect.objectContaining({ account: 'personal', state: 'pending', code: 'BBBBBBBB', handle: 'jane@example.com', chatId: 7, expired: false }),
    ]);
    expect(parsed.approved).toEqual([]);
  });

  it('list says so when nothing is pending', async () => {
    expect(await pairingListCommand({}, out)).toBe(0);
    expect(lines).toEqual(['no pending pairing requests']);
  });

  it('approve (case-insensitive) stores the sender on the right account', async () => {
    seed([['personal', '+15550000001', Date.now()]]);
    expect(await pairingApproveCommand({ code: 'aaaaaaaa' }, out, err)).toBe(0);
    expect(lines).toEqual(['approved +15550000001 on account personal']);
    withStore((s) => {
      expect(new PairingService(s).isApproved('personal', '+15550000001')).toBe(true);
      expect(new PairingService(s).isApproved('bot', '+15550000001')).toBe(false);
      expect(s.pendingOutbox('personal')).toEqual([]);
    });
  });

  it('--notify queues a confirmation through the outbox', async () => {
    seed([['bot', 'Jane@Example.com', Date.now()]]);
    expect(await pairingApproveCommand({ code: 'AAAAAAAA', account: 'bot', notify: true }, out, err)).toBe(0);
    withStore((s) => {
      const [row] = s.pendingOutbox('bot');
      expect(row).toMatchObject({
        source: 'pairing',
        idempotencyKey: 'pairing-approved:bot:AAAAAAAA',
        chatKey: 'handle:jane@example.com',
        target: JSON.stringify({ to: 'Jane@Example.com', handle: 'Jane@Example.com' }),
      });
      expect(row!.text).toMatch(/approved/);
    });
  });

  it('an unknown, other-account or expired code is a clear error (exit 1)', async () => {
    seed([
      ['bot', '+15550000001', Date.now()],
      ['bot', '+15550000002', Date.now() - 2 * 3_600_000],
    ]);
    expect(await pairingApproveCommand({ code: 'ZZZZZZZZ' }, out, err)).toBe(1);
    expect(errors.pop()).toMatch(/unknown pairing code ZZZZZZZZ/);
    expect(await pairingApproveCommand({ code: 'AAAAAAAA', account: 'personal' }, out, err)).toBe(1);
    expect(errors.pop()).toMatch(/unknown pairing code AAAAAAAA for account personal/);
    expect(await pairingApproveCommand({ code: 'bbbbbbbb' }, out, err)).toBe(1);
    expect(errors.pop()).toMatch(/expired at/);
    expect(lines).toEqual([]);
  });

  it('parses the command line, accepting the channel word imessage', async () => {
    seed([['bot', '+15550000001', Date.now()]]);
    expect(await pairingCommand(['list', 'imessage', '--json'], out, err)).toBe(0);
    expect(await pairingCommand(['approve', 'imessage', 'aaaaaaaa', '--account', 'bot', '--notify'], out, err)).toBe(0);
    expect(lines.at(-2)).toBe('approved +15550000001 on account bot');
    // Approving an already-approved code says so (nothing changes, no second confirmation).
    expect(await pairingCommand(['approve', 'AAAAAAAA', '--notify'], out, err)).toBe(0);
    expect(lines.at(-1)).toBe('pairing code AAAAAAAA was already approved: +15550000001 on account bot; nothing changed');
    expect(await pairingCommand(['approve'], out, err)).toBe(2);
    expect(errors.pop()).toMatch(/needs a CODE/);
    expect(await pairingCommand(['approve', 'telegram', 'X'], out, err)).toBe(2);
    expect(await pairingCommand(['list', '--bogus'], out, err)).toBe(2);
    expect(await pairingCommand(['revoke'], out, err)).toBe(2);
    expect(errors.pop()).toMatch(/pairing revoke needs the HANDLE of an approved sender/);
    expect(await pairingCommand(['deny', 'a', 'b'], out, err)).toBe(2);
    expect(errors.pop()).toMatch(/takes one argument/);
  });
});
