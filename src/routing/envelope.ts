/**
 * The JSON object an agent receives for one accepted inbound message (architecture.md section 6).
 * docs/envelope.md documents it with an example; keep both in step.
 */

export type ChatKind = 'dm' | 'group';

export interface EnvelopeChat {
  kind: ChatKind;
  /** chat.db ROWID of the chat on this account's database; 0 when imsg had no join row. */
  chatId: number;
  guid: string;
  identifier: string;
  name: string;
  participants: string[];
}

export interface EnvelopeSender {
  /** The sender's handle as imsg reported it (E.164 phone number or email). */
  handle: string;
  name?: string;
}

export interface EnvelopeAttachment {
  /** Path on the host that runs imsg, as imsg reported it. */
  path: string;
  name: string;
  mimeType: string;
  uti: string;
  sizeBytes: number;
  missing: boolean;
  /** True once the gateway copied, sniffed and hashed the file (media issue); false: metadata only. */
  ingested: boolean;
  sha256?: string;
  /** Why the attachment is not usable (missing, too large, ...). */
  problem?: string;
}

/** The message this one answers inline (imsg `reply_to_*`; the text from the journal when imsg gave only the guid). */
export interface EnvelopeReplyContext {
  guid: string;
  text?: string;
  sender?: string;
}

/** The root of the thread this message is in (imsg `thread_originator_guid`). */
export interface EnvelopeThreadOriginator {
  guid: string;
}

export interface EnvelopeHistoryEntry {
  sender: string;
  text: string;
  at: string;
}

/** Where replies to this message go: `chat_id:<n>` for groups, the sender's handle for DMs. */
export interface ReplyTarget {
  /** Canonical target string, as accepted by `imessage-gateway send --to`. */
  to: string;
  chatId?: number;
  chatGuid?: string;
  chatIdentifier?: string;
  handle?: string;
  service?: 'imessage' | 'sms' | 'auto';
}

/** A tapback on a message (issue 17, item 3): never a user turn. */
export interface EnvelopeReaction {
  /** imsg's reaction_type: love, like, dislike, laugh, emphasis, question, custom (unknown when imsg did not say). */
  type: string;
  /** ❤️ 👍 👎 😂 ‼️ ❓ or the custom emoji, when imsg decoded it. */
  emoji?: string;
  /** True when the tapback was added, false when it was taken back. */
  added: boolean;
  /** The chat.db guid of the message it is on. */
  targetGuid: string;
  /** What the gateway knows of that message, or `"unknown"` when it never saw it. */
  target: { fromGateway: boolean; text?: string; sender?: string } | 'unknown';
}

/**
 * One earlier message of a collected turn (messages.queue `collect`), with the fields the envelope
 * carries for its own message. The envelope itself is the turn's latest message.
 */
export interface EnvelopeCollectedMessage {
  /** `<accountId>:<message guid>`, as that message's own envelope id. */
  id: string;
  sender: EnvelopeSender;
  text: string;
  attachments: EnvelopeAttachment[];
  replyTo?: EnvelopeReplyContext;
  threadOriginator?: EnvelopeThreadOriginator;
  wasMentioned: boolean;
  timestamps: { createdAt: string; receivedAt: string };
  imsg: { rowid: number; guid: string };
}

export interface Envelope {
  /** Absent for a message; `reaction` for a tapback (then `reaction` is set and replies are not sent). */
  kind?: 'reaction';
  reaction?: EnvelopeReaction;
  /** Stable across restarts and resubscribes: `<accountId>:<message guid>`. */
  id: string;
  accountId: string;
  agentId: string;
  sessionKey: string;
  chat: EnvelopeChat;
  sender: EnvelopeSender;
  text: string;
  attachments: EnvelopeAttachment[];
  replyTo?: EnvelopeReplyContext;
  threadOriginator?: EnvelopeThreadOriginator;
  history: EnvelopeHistoryEntry[];
  wasMentioned: boolean;
  timestamps: {
    /** When the message was written to chat.db (imsg created_at, ISO-8601 UTC). */
    createdAt: string;
    /** When the gateway received it from imsg. */
    receivedAt: string;
  };
  replyTarget: ReplyTarget;
  imsg: {
    /** chat.db message ROWID (the watch cursor), per database: not stable across accounts. */
    rowid: number;
    guid: string;
  };
  /**
   * Present only on a collected turn: the messages of this chat that waited with this one while
   * the agent was busy, oldest first, this (the latest) message not included. One reply answers all.
   */
  collected?: EnvelopeCollectedMessage[];
}
