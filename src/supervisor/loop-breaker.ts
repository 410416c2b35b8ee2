/**
 * Echo-loop breaker. A reply turn is paid for when a message of the turn came from someone else
 * (not a reflection of our own text): the pipeline grants the credit as it queues the turn's
 * replies (`grant`). The breaker counts the reply turns nobody paid for since the last message
 * from someone else, and at the cap pauses the chat (its new replies wait in the outbox) until
 * someone writes there again. So a burst of 30 messages answered one by one never trips it, but a
 * loop (the gateway answering its own reflected messages, two bots answering each other's echoes)
 * stops after `cap` unpaid turns.
 *
 * A message pays only for a turn that sends: one that the policy drops, the agent leaves
 * unanswered, or that shares a collected turn with others pays for nothing (until 2026-12-01 each
 * message from someone else paid a credit on arrival, and the credits of such messages piled up:
 * in a mention-gated group or a chat of collected turns a later loop ran that many turns unpaused).
 *
 * The unit is a reply turn: everything one agent turn sends (every chunk of a long reply, every
 * file) is one send. A turn that has begun is always finished; the sender asks only before a
 * turn's first row (see outbox-sender.ts).
 *
 * An inbound message whose text equals one the gateway recently sent into that chat (any chunk)
 * is taken for a reflection of our own message: it pays nothing and resets nothing.
 *
 * What must survive a restart (the unpaid count and the pause) is handed to `persist` whenever it
 * changes; ordinary conversation (each message paid for) changes nothing and writes nothing.
 * `restore` seeds a new breaker from that state, the recently sent texts, and credits for turns
 * whose messages were recorded before the stop.
 */
export const REFLECTION_WINDOW_MS = 10 * 60_000;
const REMEMBERED_TEXTS = 50;
/** Chats first seen between two sweeps of the chats whose state is back to nothing (forgotten). */
const SWEEP_EVERY_NEW_CHATS = 256;

/** The durable part of a chat's state. */
export interface BreakerChatState {
  chatKey: string;
  unpaid: number;
  /** When the chat was paused (ms), or null while it is not. */
  pausedAt: number | null;
}

export interface BreakerSeed {
  chats: readonly BreakerChatState[];
  /** Replies sent recently (oldest first), to recognise reflections after a restart. */
  recentSent: ReadonlyArray<{ chatKey: string; text: string; at: number }>;
  /** Per chat, reply turns already paid for by messages recorded before the stop. */
  credits: ReadonlyMap<string, number>;
}

interface ChatState {
  unpaid: number;
  credit: number;
  pausedAt: number | null;
  sent: Array<{ text: string; at: number }>;
}

export class LoopBreaker {
  private readonly chats = new Map<string, ChatState>();
  /**
   * The chats paused now, kept as their state changes: the status asks every second, and walking
   * every chat the account has seen since the start grew with the chats, not with the pauses.
   */
  private readonly pausedKeys = new Set<string>();
  private newSinceSweep = 0;

  constructor(
    private readonly cap: number,
    private readonly now: () => number = Date.now,
    private readonly persist: (chat: BreakerChatState) => void = () => undefined,
  ) {}

  /** Seeds the breaker from what the state database kept (call once, before any traffic). */
  restore(seed: BreakerSeed): void {
    for (const c of seed.chats) {
      const state = this.chat(c.chatKey);
      state.unpaid = c.unpaid;
      state.pausedAt = c.pausedAt ?? (c.unpaid >= this.cap ? this.now() : null);
      this.notePause(c.chatKey, state);
    }
    for (const s of seed.recentSent) this.remember(this.chat(s.chatKey), s.text, s.at);
    for (const [chatKey, n] of seed.credits) this.grant(chatKey, n);
  }

  /**
   * Credit for reply turns paid for by someone else's message: a turn whose replies are being
   * queued (the pipeline), or turns queued before a restart and not begun (restore).
   */
  grant(chatKey: string, turns = 1): void {
    if (turns > 0) this.chat(chatKey).credit += turns;
  }

  /** True if `text` is one we sent into the chat within the reflection window. */
  isReflection(chatKey: string, text: string): boolean {
    const since = this.now() - REFLECTION_WINDOW_MS;
    return text !== '' && (this.chats.get(chatKey)?.sent.some((s) => s.at >= since && s.text === text) ?? false);
  }

  /**
   * A message arrived in the chat. Unless it is a reflection, someone else wrote there: the unpaid
   * count starts again (and a pause ends). True if the chat was paused and is now resumed.
   */
  noteInbound(chatKey: string, text: string): boolean {
    if (this.isReflection(chatKey, text)) return false;
    const state = this.chat(chatKey);
    const wasPaused = this.pausedState(state);
    if (state.unpaid !== 0 || state.pausedAt !== null) {
      state.unpaid = 0;
      state.pausedAt = null;
      this.notePause(chatKey, state);
      this.save(chatKey, state);
    }
    return wasPaused;
  }

  isPaused(chatKey: string): boolean {
    const state = this.chats.get(chatKey);
    return state !== undefined && this.pausedState(state);
  }

  /**
   * A row of a reply went out. Only the first row of a turn (`startsTurn`) counts; every row's
   * text is remembered for reflections. True if this send paused the chat.
   */
  noteSent(chatKey: string, text: string, startsTurn = true): boolean {
    const state = this.chat(chatKey);
    this.remember(state, text, this.now());
    if (!startsTurn) return false;
    if (state.credit > 0) {
      state.credit--;
      return false;
    }
    state.unpaid++;
    const pausedNow = state.unpaid === this.cap;
    if (pausedNow) state.pausedAt = this.now();
    this.notePause(chatKey, state);
    this.save(chatKey, state);
    return pausedNow;
  }

  /** The paused chats, in the order they were paused. */
  paused(): string[] {
    return [...this.pausedKeys];
  }

  /** Paused chats with the time they were paused (ms). */
  pausedSince(): Array<{ chatKey: string; since: number }> {
    return [...this.pausedKeys].map((chatKey) => ({ chatKey, since: this.chats.get(chatKey)?.pausedAt ?? 0 }));
  }

  private pausedState(state: ChatState): boolean {
    return state.unpaid >= this.cap;
  }

  private notePause(chatKey: string, state: ChatState): void {
    if (this.pausedState(state)) this.pausedKeys.add(chatKey);
    else this.pausedKeys.delete(chatKey);
  }

  /** Chats the breaker holds state for (those whose state is nothing are forgotten now and then). */
  get trackedChats(): number {
    return this.chats.size;
  }

  private chat(key: string): ChatState {
    let state = this.chats.get(key);
    if (!state) {
      if (++this.newSinceSweep >= SWEEP_EVERY_NEW_CHATS) this.sweep();
      state = { unpaid: 0, credit: 0, pausedAt: null, sent: [] };
      this.chats.set(key, state);
    }
    return state;
  }

  /**
   * Forgets the chats whose state is the same as a chat never seen: nothing unpaid, no credit, no
   * pause, and no text sent within the reflection window. Without it every chat seen since the
   * start stayed in memory with its last sent texts.
   */
  private sweep(): void {
    this.newSinceSweep = 0;
    const since = this.now() - REFLECTION_WINDOW_MS;
    for (const [key, state] of this.chats) {
      if (state.unpaid !== 0 || state.credit !== 0 || state.pausedAt !== null) continue;
      if (!state.sent.some((t) => t.at >= since)) this.chats.delete(key);
    }
  }

  private remember(state: ChatState, text: string, at: number): void {
    if (text === '') return;
    state.sent.push({ text, at });
    if (state.sent.length > REMEMBERED_TEXTS) state.sent.shift();
  }

  private save(chatKey: string, state: ChatState): void {
    this.persist({ chatKey, unpaid: state.unpaid, pausedAt: state.pausedAt });
  }
}
