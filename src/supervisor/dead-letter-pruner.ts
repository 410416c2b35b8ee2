/**
 * Drops dead letters past their retention (gateway.delivery.deadLetterRetention): failed sends and
 * failed agent turns that died before now − retention. Unknown sends are never dropped this way
 * (the operator decides on them). Due at once after start, then every hour; time from the clock.
 */
import type { Logger } from 'pino';
import type { GatewayStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';

export const DEAD_LETTER_PRUNE_EVERY_MS = 3_600_000;

export interface DeadLetterPrunerOptions {
  store: GatewayStore;
  clock: Clock;
  logger: Logger;
  /** The retention in force (read at each prune: a reload changes it). */
  retentionMs: () => number;
  everyMs?: number;
}

export class DeadLetterPruner {
  private last: number | undefined;

  constructor(private readonly o: DeadLetterPrunerOptions) {}

  /** Prunes when due. Never throws: a store that refuses is tried again at the next tick. */
  tick(): void {
    const now = this.o.clock.now();
    if (this.last !== undefined && now - this.last < (this.o.everyMs ?? DEAD_LETTER_PRUNE_EVERY_MS)) return;
    try {
      const pruned = this.o.store.purgeDeadLetters(now - this.o.retentionMs());
      this.last = now;
      if (pruned.sends > 0 || pruned.turns > 0) {
        this.o.logger.info({ sends: pruned.sends, turns: pruned.turns }, 'dropped dead letters past gateway.delivery.deadLetterRetention');
      }
    } catch (err) {
      this.o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot prune dead letters (state database); trying again later');
    }
  }
}
