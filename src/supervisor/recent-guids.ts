/**
 * Remembers the last N message guids seen by an account, to drop a row imsg emits twice (a
 * message joined to two chats, a replay after resubscribing). Bounded: insertion-ordered Set.
 */
export class RecentGuids {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 10_000) {}

  /** True if the guid was new (and is now remembered). */
  add(guid: string): boolean {
    if (this.seen.has(guid)) return false;
    this.seen.add(guid);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }
}
