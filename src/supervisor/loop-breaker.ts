/**
 * Echo-loop breaker: counts the replies sent into each chat since someone else last wrote there.
 * At the cap the chat is paused (its replies wait in the outbox) until an inbound message from
 * someone else arrives. The gateway's own messages never reset the count.
 */
export class LoopBreaker {
  private readonly sends = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** Someone else wrote in the chat: the count restarts. True if the chat was paused. */
  noteInbound(chatKey: string): boolean {
    const wasPaused = this.isPaused(chatKey);
    this.sends.delete(chatKey);
    return wasPaused;
  }

  isPaused(chatKey: string): boolean {
    return (this.sends.get(chatKey) ?? 0) >= this.cap;
  }

  /** A reply went out. True if this send reached the cap (the chat is now paused). */
  noteSent(chatKey: string): boolean {
    const count = (this.sends.get(chatKey) ?? 0) + 1;
    this.sends.set(chatKey, count);
    return count === this.cap;
  }

  paused(): string[] {
    return [...this.sends.entries()].filter(([, n]) => n >= this.cap).map(([k]) => k);
  }
}
