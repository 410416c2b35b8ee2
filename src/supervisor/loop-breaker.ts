/**
 * Echo-loop breaker. Each message someone else writes in a chat "pays" for one reply; the breaker
 * counts the replies nobody paid for since the last such message, and at the cap pauses the chat
 * (its replies wait in the outbox) until someone writes there again. So a burst of 30 messages
 * answered one by one never trips it, an agent that sends a few messages per turn is fine, but
 * a loop (the gateway answering its own reflected messages, two bots answering each other's
 * echoes) stops after `cap` unpaid replies. An inbound message whose text equals one the gateway
 * recently sent into that chat is taken for a reflection of our own message: it pays nothing and
 * resets nothing.
 */
const REFLECTION_WINDOW_MS = 10 * 60_000;
const REMEMBERED_TEXTS = 50;

interface ChatState {
  unpaid: number;
  credit: number;
  sent: Array<{ text: string; at: number }>;
}

export class LoopBreaker {
  private readonly chats = new Map<string, ChatState>();

  constructor(
    private readonly cap: number,
    private readonly now: () => number = Date.now,
  ) {}

  private chat(key: string): ChatState {
    let state = this.chats.get(key);
    if (!state) {
      state = { unpaid: 0, credit: 0, sent: [] };
      this.chats.set(key, state);
    }
    return state;
  }

  /** Someone else wrote in the chat. True if the chat was paused and is now resumed. */
  noteInbound(chatKey: string, text: string): boolean {
    const state = this.chat(chatKey);
    const since = this.now() - REFLECTION_WINDOW_MS;
    if (text !== '' && state.sent.some((s) => s.at >= since && s.text === text)) return false;
    const wasPaused = state.unpaid >= this.cap;
    state.unpaid = 0;
    state.credit++;
    return wasPaused;
  }

  isPaused(chatKey: string): boolean {
    return (this.chats.get(chatKey)?.unpaid ?? 0) >= this.cap;
  }

  /** A reply went out. True if this send reached the cap (the chat is now paused). */
  noteSent(chatKey: string, text: string): boolean {
    const state = this.chat(chatKey);
    state.sent.push({ text, at: this.now() });
    if (state.sent.length > REMEMBERED_TEXTS) state.sent.shift();
    if (state.credit > 0) {
      state.credit--;
      return false;
    }
    state.unpaid++;
    return state.unpaid === this.cap;
  }

  paused(): string[] {
    return [...this.chats.entries()].filter(([, s]) => s.unpaid >= this.cap).map(([k]) => k);
  }
}
