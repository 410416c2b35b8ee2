/** The fleet overview's order and the tab title's trouble count (the web client's pure part). */
import { describe, expect, it } from 'vitest';
import { inTrouble, lagOf, pageTitle, sortForOverview, troubleRank } from '../../src/web/client/overview-sort.js';
import { accountStatus } from './stand-in-backend.js';

describe('overview order', () => {
  const failedSends = accountStatus('sends', { outbox: { depth: 0, oldestQueuedAt: null, failed: 2, unknown: 0 } });
  const accounts = [
    accountStatus('alpha'),
    accountStatus('off', { state: 'disabled', enabled: false }),
    accountStatus('boom', { state: 'failed' }),
    accountStatus('spawn', { state: 'spawning' }),
    accountStatus('perm', { state: 'awaiting-permissions' }),
    accountStatus('backoff', { state: 'backoff-restart' }),
    accountStatus('degr', { health: 'degraded' }),
    failedSends,
    accountStatus('beta', { name: 'Aardvark' }),
    accountStatus('conf', { state: 'misconfigured' }),
    accountStatus('dup', { state: 'merged', health: 'warning', mergedInto: 'alpha' }),
  ];

  it('puts the accounts in trouble first, worst on top, then warnings (merged), transitional, healthy, idle; names break ties', () => {
    expect(sortForOverview(accounts).map((a) => a.id)).toEqual(['boom', 'conf', 'perm', 'backoff', 'degr', 'sends', 'dup', 'spawn', 'beta', 'alpha', 'off']);
    expect(accounts[0]!.id).toBe('alpha'); // the input is not reordered
  });

  it('counts trouble for the tab title', () => {
    expect(accounts.filter(inTrouble).map((a) => a.id).sort()).toEqual(['backoff', 'boom', 'conf', 'degr', 'perm', 'sends']);
    expect(pageTitle(accounts)).toBe('(6) imessage-gateway');
    expect(pageTitle([accountStatus('a'), accountStatus('b', { state: 'spawning' })])).toBe('imessage-gateway');
    expect(troubleRank(accountStatus('x', { state: 'disabled', health: 'degraded' }))).toBeGreaterThan(troubleRank(accountStatus('y')));
    // A merged account is a warning: after every account in trouble, before the healthy ones, not counted.
    const merged = accountStatus('m', { state: 'merged', health: 'warning', mergedInto: 'y' });
    expect(inTrouble(merged)).toBe(false);
    expect(troubleRank(merged)).toBeGreaterThan(troubleRank(accountStatus('d', { health: 'degraded' })));
    expect(troubleRank(merged)).toBeLessThan(troubleRank(accountStatus('y')));
    expect(troubleRank(merged)).toBeLessThan(troubleRank(accountStatus('s', { state: 'spawning' })));
  });

  it('lag: the catch-up distance while it runs, else undispatched journal rows, null when caught up', () => {
    expect(lagOf({ journalLag: 0 })).toBeNull();
    expect(lagOf({ journalLag: 3 })).toBe(3);
    const catchUp = { active: true, fromRowid: 1, cursor: 10, behindBy: 250, rows: 9, pages: 1, elapsedMs: 100, rowsPerSecond: 90, etaMs: 2000, startedAt: '2026-01-01T00:00:00.000Z' };
    expect(lagOf({ journalLag: 3, catchUp })).toBe(250);
    expect(lagOf({ journalLag: 0, catchUp: { ...catchUp, active: false } })).toBeNull();
  });

  it('sorts 100 accounts with 7 in trouble: those 7 first', () => {
    const many = Array.from({ length: 100 }, (_, i) => accountStatus(`acct${String(i).padStart(3, '0')}`, i % 15 === 7 ? { state: 'backoff-restart' } : {}));
    const sorted = sortForOverview(many);
    expect(sorted.slice(0, 7).every((a) => a.state === 'backoff-restart')).toBe(true);
    expect(pageTitle(many)).toBe('(7) imessage-gateway');
  });
});
