/**
 * The typing rule (issue 17, item 1): which `typing` request, if any, a chat's indicator needs now.
 * Pure; chat-signals.ts applies it at each tick (the grace after a turn starts, then every renewal)
 * and when the outbox reports that the chat's replies have been handed to imsg.
 *
 * imsg runs `typing`, `read` and `send` on one FIFO mutation lane (current spec §4.1), so every
 * `typing` request the gateway writes sits in front of any send written after it. The rule keeps
 * typing requests out of the way of the chat's replies without ever waiting on one:
 * - `on` (show or renew) only while an agent works in the chat, no finished turn's reply waits in
 *   the outbox for it, and no start or renewal of the chat is outstanding (a stop in flight does not
 *   hold a new turn's start);
 * - `off` only once no agent works in the chat and the outbox has handed every reply of it to imsg
 *   (so the stop queues behind the sends, never ahead of them: Messages clears the indicator when a
 *   message is sent anyway); a turn that produced no reply, or failed, has nothing waiting and stops
 *   at once;
 * - a typing request already outstanding when a reply is ready is not waited for: the send goes,
 *   and imsg runs it after that one request. Across chats, the account's signal queue
 *   (signal-queue.ts) keeps that to ONE signal call per account and holds the rest behind sends.
 */
export interface TypingView {
  /** Turns the agent is working on in this chat. */
  working: number;
  /** Finished turns whose replies the outbox has not yet handed to imsg. */
  awaitingSends: number;
  /** A typing start or renewal of this chat waits in the account's signal queue or is in flight. */
  inFlight: boolean;
  /** `typing:true` was sent and no `typing:false` since. */
  shown: boolean;
}

export type TypingRequest = 'on' | 'off' | 'none';

export function typingRequest(s: TypingView): TypingRequest {
  if (s.awaitingSends > 0) return 'none';
  if (s.working > 0) return s.inFlight ? 'none' : 'on';
  return s.shown ? 'off' : 'none';
}
