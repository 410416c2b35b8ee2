/**
 * Chats the outbox must leave alone for a while, in memory: a chat whose send outcome is unknown
 * waits for the receipt to settle before it is reconciled, and a chat whose reconciliation failed
 * waits before the next try. Only that chat waits; every other chat keeps sending (issue 13,
 * item 3). Pure bookkeeping: the caller passes the time and schedules the wake-up.
 */
export class ChatHolds {
  private readonly until = new Map<string, number>();

  /** Holds `chatKey` until `at` (a later hold wins over an earlier one). */
  hold(chatKey: string, at: number): void {
    this.until.set(chatKey, Math.max(at, this.until.get(chatKey) ?? 0));
  }

  /** When the chat may go again, if it is still held at `now`; an expired hold is forgotten. */
  heldUntil(chatKey: string, now: number): number | undefined {
    const at = this.until.get(chatKey);
    if (at === undefined) return undefined;
    if (at <= now) {
      this.until.delete(chatKey);
      return undefined;
    }
    return at;
  }

  release(chatKey: string): void {
    this.until.delete(chatKey);
  }

  clear(): void {
    this.until.clear();
  }

  get size(): number {
    return this.until.size;
  }
}
