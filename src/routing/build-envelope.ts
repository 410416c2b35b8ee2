/** Builds the Envelope an agent receives from an imsg message and the routing decision. */
import type { ImsgMessage } from '../imsg/types.js';
import type { Envelope } from './envelope.js';
import { replyTargetFor, type Service } from './reply-target.js';
import type { DmScope } from '../config/types.js';
import { normalizeHandleCached } from './handles.js';
import { sessionKeyFor } from './session-key.js';

export interface EnvelopeContext {
  accountId: string;
  agentId: string;
  agentShared: boolean;
  /** session.dmScope: how DMs are split into sessions. */
  dmScope: DmScope;
  /** The account's region, to normalise the DM sender's handle into the session key's peer. */
  region: string;
  kind: 'dm' | 'group';
  wasMentioned: boolean;
  service: Service;
  receivedAt: number;
}

export function buildEnvelope(message: ImsgMessage, ctx: EnvelopeContext): Envelope {
  const replyGuid = message.thread_originator_guid ?? message.reply_to_guid;
  const envelope: Envelope = {
    id: `${ctx.accountId}:${message.guid || `rowid-${message.id}`}`,
    accountId: ctx.accountId,
    agentId: ctx.agentId,
    sessionKey: sessionKeyFor({
      agentId: ctx.agentId,
      accountId: ctx.accountId,
      kind: ctx.kind,
      chatId: message.chat_id,
      agentShared: ctx.agentShared,
      dmScope: ctx.dmScope,
      peer: ctx.kind === 'dm' && ctx.dmScope !== 'main' ? normalizeHandleCached(message.sender, ctx.region).value : '',
    }),
    chat: {
      kind: ctx.kind,
      chatId: message.chat_id,
      guid: message.chat_guid,
      identifier: message.chat_identifier,
      name: message.chat_name || message.chat_identifier,
      participants: message.participants,
    },
    sender: { handle: message.sender, ...(message.sender_name ? { name: message.sender_name } : {}) },
    text: message.text,
    attachments: message.attachments.map((a) => ({
      path: a.original_path,
      name: a.transfer_name,
      mimeType: a.mime_type,
      uti: a.uti,
      sizeBytes: a.total_bytes,
      missing: a.missing,
      ingested: false,
      ...(a.missing ? { problem: 'the file is missing on the Mac' } : {}),
    })),
    history: [],
    wasMentioned: ctx.wasMentioned,
    timestamps: { createdAt: message.created_at, receivedAt: new Date(ctx.receivedAt).toISOString() },
    replyTarget: replyTargetFor(message, ctx.kind, ctx.service),
    imsg: { rowid: message.id, guid: message.guid },
  };
  if (replyGuid) {
    envelope.replyTo = {
      guid: replyGuid,
      ...(message.reply_to_text !== undefined ? { text: message.reply_to_text } : {}),
      ...(message.reply_to_sender !== undefined ? { sender: message.reply_to_sender } : {}),
    };
  }
  if (message.thread_originator_guid) envelope.threadOriginator = { guid: message.thread_originator_guid };
  return envelope;
}
