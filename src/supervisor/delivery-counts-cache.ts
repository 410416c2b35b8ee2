/**
 * The delivery counts of the status (delivery-health.ts), per account and for accounts no longer
 * configured, read from the store once per change instead of every second (issue 15, idle CPU).
 * They change in two ways only: the store writes (its commit count moves), or time makes a
 * pending send overdue. The second is known in advance: the store also answers the creation time
 * of the oldest queued or sending row not yet overdue, and the counts hold until the overdue
 * cutoff (now − overdueAfterMs) passes it. So the counts are kept until the next commit, the
 * next such moment, a change of the account list or of the threshold, or a vanished store file.
 */
import type { DeliveryCounts, DeliveryCountsAt, GatewayStore } from '../store/index.js';
import type { GatewayStatus } from './status.js';

export type DeliveryCountsStore = Pick<GatewayStore, 'commitStats' | 'vanished' | 'deliveryCountsAt' | 'deadLetterAccounts'>;

export interface FleetDelivery {
  counts: Map<string, DeliveryCounts>;
  /** Accounts no longer configured that still have dead letters or unknown sends. */
  removed: NonNullable<GatewayStatus['removedAccounts']>;
}

interface Kept {
  commits: number;
  ids: readonly string[];
  overdueAfterMs: number;
  /** The counts hold while the overdue cutoff is at most this (Infinity: nothing pending can become overdue). */
  holdsUntilCutoff: number;
  value: FleetDelivery;
}

export class DeliveryCountsCache {
  private kept: Kept | undefined;

  constructor(private readonly store: DeliveryCountsStore) {}

  /** The counts of `ids` at `now`; throws when the store cannot say (nothing is kept then). */
  read(ids: readonly string[], now: number, overdueAfterMs: number): FleetDelivery {
    const cutoff = now - overdueAfterMs;
    const commits = this.store.commitStats().commits;
    const k = this.kept;
    if (
      k !== undefined &&
      k.commits === commits &&
      k.overdueAfterMs === overdueAfterMs &&
      cutoff <= k.holdsUntilCutoff &&
      !this.store.vanished &&
      sameIds(k.ids, ids)
    ) {
      return k.value;
    }
    this.kept = undefined;
    let holdsUntilCutoff = Number.POSITIVE_INFINITY;
    const at = (id: string): DeliveryCounts => {
      const r: DeliveryCountsAt = this.store.deliveryCountsAt(id, cutoff);
      if (r.nextPendingAt !== null) holdsUntilCutoff = Math.min(holdsUntilCutoff, r.nextPendingAt);
      return r.counts;
    };
    const counts = new Map(ids.map((id) => [id, at(id)]));
    const removed = this.store
      .deadLetterAccounts()
      .filter((id) => !counts.has(id))
      .map((id) => {
        const c = at(id);
        return { id, deadLetters: c.deadLetters, unknown: c.unknown };
      })
      .filter((r) => r.deadLetters > 0 || r.unknown > 0);
    const value = { counts, removed };
    this.kept = { commits, ids: [...ids], overdueAfterMs, holdsUntilCutoff, value };
    return value;
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
