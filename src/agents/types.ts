/**
 * Agent handler contracts: what the gateway hands an agent (an Envelope) and what it gets back.
 * docs/agents.md describes the three handler kinds and their wire contracts.
 */
import type { Envelope } from '../routing/envelope.js';
import type { AgentReaction } from './agent-reaction.js';

/** One message to send back to the chat the envelope came from. */
export interface AgentReply {
  text: string;
  /** Paths of files to attach (on the host that runs imsg). */
  media?: string[];
  /**
   * Threaded reply (issue 17): true answers the inbound message in its thread (imsg `reply_to`,
   * needs the IMCore bridge); false sends it as a plain message. Absent: threaded when the inbound
   * message was itself in a thread.
   */
  thread?: boolean;
}

export interface AgentResult {
  replies: AgentReply[];
  /** A tapback on the inbound message (`"reaction":"like"`), sent once through the outbox. */
  reaction?: AgentReaction;
  /** Parts of the reply refused (an unknown reaction kind...): logged; the rest is still delivered. */
  refused?: string[];
}

export interface AgentHandler {
  readonly agentId: string;
  readonly kind: 'echo' | 'none' | 'command' | 'http';
  /**
   * Handles one envelope. Rejects with an AgentError on failure; never fatal for the account.
   * Aborting `signal` stops the work (kills the command, cancels the request) and rejects with
   * AgentError kind 'aborted'. `envelopeJson`, when given, is `JSON.stringify(envelope)` already
   * made by the caller (the journalled text): handlers that send the envelope use it rather than
   * stringifying it again.
   */
  handle(envelope: Envelope, signal: AbortSignal, envelopeJson?: string): Promise<AgentResult>;
}

/** Keep structurally identical to the AgentHandlerConfig of the config module. */
export type AgentHandlerConfig =
  | { type: 'echo' }
  | { type: 'none' }
  | { type: 'command'; argv: string[]; timeoutMs: number; cwd?: string; env?: Record<string, string> }
  | { type: 'http'; url: string; timeoutMs: number; headers?: Record<string, string> };
