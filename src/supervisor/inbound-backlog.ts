/**
 * Inbound backpressure (issue 15): when the gateway stops reading one account's imsg output, and
 * when it reads on. The backlog is the account's messages received and not yet settled, outside a
 * running agent turn: waiting for their journal commit, in a session lane behind a busy agent, or
 * answered and waiting for the commit that settles them. Past `holdAt`,
 * reading stops: imsg's next lines wait in the pipe instead of piling up in the gateway's heap (a
 * burst of thousands of waiting messages made every garbage collection copy them, pausing the
 * event loop for 40 ms at a time). Reading goes on once the backlog is down to `readOnAt`.
 *
 * Nothing is lost while reading is held: imsg 0.9–0.13 blocks on the full pipe; imsg 0.14+ buffers
 * up to its `buffer_limit` and then ends the watch with `watch.overflow`, whose resume point the
 * account resubscribes from (a replay at worst, deduplicated by the journal). A request of the
 * gateway is never held behind it: while one waits for its answer, every line is read.
 */
export interface BacklogLimits {
  /** Hold reading when this many messages wait. */
  holdAt: number;
  /** Read on when no more than this many wait. */
  readOnAt: number;
}

export const INBOUND_BACKLOG: BacklogLimits = { holdAt: 512, readOnAt: 128 };

/** Whether reading stays (or starts being) held, given whether it is held now and the backlog. */
export function holdsReading(held: boolean, backlog: number, limits: BacklogLimits = INBOUND_BACKLOG): boolean {
  return held ? backlog > limits.readOnAt : backlog >= limits.holdAt;
}
