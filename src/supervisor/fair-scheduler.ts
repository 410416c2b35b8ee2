/**
 * Round-robin over chats for the outbox. Each call to `pick` gets the head row (oldest unsettled
 * row) of every chat that may send now, and returns the one whose chat was served longest ago;
 * a chat never served (or not served since it last ran dry) comes first, ties by lowest row id.
 *
 * So with k chats waiting, a chat waits at most k - 1 sends for its turn, however many rows one
 * chat has queued (a 10 MB reply is thousands of rows): a new chat's first reply goes out right
 * after the send in progress. Rows of one chat still go in id order, because only a chat's head
 * is ever a candidate.
 */
export interface ScheduledRow {
  chatKey: string;
  id: number;
}

export class FairScheduler {
  private seq = 0;
  private readonly lastServed = new Map<string, number>();

  /** The candidate to send next, or undefined when there is none. Records the choice. */
  pick<T extends ScheduledRow>(candidates: readonly T[]): T | undefined {
    let best: T | undefined;
    let bestServed = Infinity;
    for (const c of candidates) {
      const served = this.lastServed.get(c.chatKey) ?? -1;
      if (best === undefined || served < bestServed || (served === bestServed && c.id < best.id)) {
        best = c;
        bestServed = served;
      }
    }
    if (best !== undefined) this.lastServed.set(best.chatKey, this.seq++);
    return best;
  }

  /** Forgets chats with nothing pending (keeps the memory bounded by the chats with rows). */
  retain(chatKeys: Iterable<string>): void {
    const keep = new Set(chatKeys);
    for (const key of this.lastServed.keys()) if (!keep.has(key)) this.lastServed.delete(key);
  }
}
