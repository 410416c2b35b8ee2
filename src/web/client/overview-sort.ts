/**
 * The fleet overview's order: accounts in trouble first, the worst on top, then the warnings (an
 * account merged into another one's Messages source), then the ones on their way, then the
 * healthy, then the ones not meant to run. Pure: no DOM (unit-tested).
 */
import type { AccountStatus } from './types.js';

type Facts = Pick<AccountStatus, 'id' | 'name' | 'state' | 'health' | 'outbox'>;

/** Lower is worse. Trouble is anything below TROUBLE_LIMIT. */
const STATE_RANK: Record<string, number> = {
  failed: 0,
  misconfigured: 1,
  'awaiting-permissions': 1,
  refused: 1,
  'cooling-down': 2,
  'backoff-restart': 2,
};
const TRANSITIONAL = new Set(['spawning', 'initializing', 'catching-up', 'resubscribing', 'stopping']);
const IDLE = new Set(['disabled', 'stopped']);
const TROUBLE_LIMIT = 4;

export function troubleRank(account: Facts): number {
  const byState = STATE_RANK[account.state];
  if (byState !== undefined) return byState;
  if (IDLE.has(account.state)) return 7;
  if (account.health === 'degraded' || account.outbox.failed > 0 || account.outbox.unknown > 0) return 3;
  if (account.health === 'warning') return 4; // not trouble, but worth a look: its reason and fix show in the row
  if (TRANSITIONAL.has(account.state)) return 5;
  return 6;
}

export function inTrouble(account: Facts): boolean {
  return troubleRank(account) < TROUBLE_LIMIT;
}

export function sortForOverview<T extends Facts>(accounts: readonly T[]): T[] {
  return [...accounts].sort((a, b) => troubleRank(a) - troubleRank(b) || (a.name ?? a.id).localeCompare(b.name ?? b.id) || a.id.localeCompare(b.id));
}

export function troubleCount(accounts: readonly Facts[]): number {
  return accounts.filter(inTrouble).length;
}

/** The tab title: "(3) imessage-gateway" while 3 accounts are in trouble. */
export function pageTitle(accounts: readonly Facts[]): string {
  const n = troubleCount(accounts);
  return n > 0 ? `(${n}) imessage-gateway` : 'imessage-gateway';
}

/** "behind by N": the catch-up's distance while it runs, else journal rows not yet dispatched; null when caught up. */
export function lagOf(account: Pick<AccountStatus, 'journalLag' | 'catchUp'>): number | null {
  if (account.catchUp?.active && account.catchUp.behindBy !== null) return account.catchUp.behindBy;
  return account.journalLag > 0 ? account.journalLag : null;
}
