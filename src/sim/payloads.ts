import fs from 'node:fs';
import os from 'node:os';
import { isoFromAppleNs } from './apple-time.js';
import { decodeAttributedBody } from './attributed-body.js';
import { isGroupHandle, type ChatCache } from './chat-cache.js';
import type { AttachmentRow, ChatRow, MessageRow, ReadStore } from './queries.js';
import {
  aggregateReactions,
  decodeReaction,
  isReactionType,
  normalizeAssociatedGuid,
  type ReactionPayload,
} from './reactions.js';

export interface MessagePayloadOptions {
  attachments: boolean;
  reactions: boolean;
  /** RPC adds chat_identifier, chat_guid, chat_name, participants, is_group; the CLI does not. */
  chatFields: boolean;
  /** Emit is_reaction & co. (watch with include_reactions). */
  reactionEvent: boolean;
}

export type Json = Record<string, unknown>;

function expandTilde(p: string): string {
  return p === '~' || p.startsWith('~/') ? os.homedir() + p.slice(1) : p;
}

export function messageText(text: string | null, body: Buffer | null): string {
  if (text) return text;
  return body ? decodeAttributedBody(body) : '';
}

export function senderOf(handle: string | null, dci: string | null): string {
  return handle ? handle : (dci ?? '');
}

export function attachmentPayload(a: AttachmentRow): Json {
  const filename = a.filename ?? '';
  const original = filename ? expandTilde(filename) : '';
  let missing = true;
  if (original) {
    try {
      missing = fs.statSync(original).isDirectory();
    } catch {
      missing = true;
    }
  }
  return {
    filename,
    transfer_name: a.transfer_name ?? '',
    uti: a.uti ?? '',
    mime_type: a.mime_type ?? '',
    total_bytes: a.total_bytes ?? 0,
    is_sticker: (a.is_sticker ?? 0) !== 0,
    original_path: original,
    missing,
  };
}

/** Builds Message and Chat objects (protocol 6.1-6.4) with optional keys omitted, never null. */
export class PayloadBuilder {
  constructor(
    private readonly store: ReadStore,
    private readonly cache: ChatCache,
    /** `--omit-reply-text`: a reply names its parent (`reply_to_guid` / `thread_originator_guid`) but not its text or sender. */
    private readonly quirks: { omitReplyText?: boolean } = {},
  ) {}

  reactionsFor(guid: string): ReactionPayload[] {
    if (!guid) return [];
    const rows = this.store.reactionRows(guid);
    if (rows.length === 0) return [];
    return aggregateReactions(
      rows.map((r) => ({
        id: r.id,
        type: r.type,
        text: r.text ?? '',
        // imsg reads only the reaction row's handle: your own tapback in a group (handle 0) has ''.
        sender: r.handle ?? '',
        isFromMe: r.is_from_me !== 0,
        createdAt: isoFromAppleNs(r.date),
      })),
    );
  }

  message(row: MessageRow, opts: MessagePayloadOptions): Json {
    const guid = row.guid ?? '';
    const text = messageText(row.text, row.body);
    const reaction = isReactionType(row.amt);
    const out: Json = { id: row.id, chat_id: row.chat_id, guid };
    let replyToGuid: string | undefined;
    if (row.amg && !reaction) {
      replyToGuid = normalizeAssociatedGuid(row.amg);
      out['reply_to_guid'] = replyToGuid;
    }
    if (row.tog && !(reaction && opts.reactionEvent)) out['thread_originator_guid'] = row.tog;
    if (!reaction && (row.tog || replyToGuid) && !this.quirks.omitReplyText) {
      const parent = (row.tog ? this.store.parent(row.tog) : undefined) ?? (replyToGuid ? this.store.parent(replyToGuid) : undefined);
      if (parent) {
        out['reply_to_text'] = messageText(parent.text, parent.body);
        const ps = senderOf(parent.handle, parent.dci);
        if (ps) out['reply_to_sender'] = ps;
      }
    }
    out['sender'] = senderOf(row.handle, row.dci);
    out['is_from_me'] = row.is_from_me !== 0;
    out['text'] = text;
    out['created_at'] = isoFromAppleNs(row.date);
    out['attachments'] = opts.attachments ? this.store.attachments(row.id).map(attachmentPayload) : [];
    out['reactions'] = opts.reactions ? this.reactionsFor(guid) : [];
    if (row.dci) out['destination_caller_id'] = row.dci;
    if (reaction && opts.reactionEvent && row.amt !== null) {
      out['is_reaction'] = true;
      const decoded = decodeReaction(row.amt, text);
      if (decoded) {
        out['reaction_type'] = decoded.kind;
        out['reaction_emoji'] = decoded.emoji;
      }
      out['is_reaction_add'] = row.amt < 3000;
      out['reacted_to_guid'] = normalizeAssociatedGuid(row.amg ?? '');
    }
    if (opts.chatFields) {
      const info = row.chat_id !== 0 ? this.cache.info(row.chat_id) : undefined;
      const participants = this.cache.participants(row.chat_id);
      out['chat_identifier'] = info?.identifier ?? '';
      out['chat_guid'] = info?.guid ?? '';
      out['chat_name'] = info?.name ?? '';
      out['participants'] = participants;
      out['is_group'] = info ? isGroupHandle(info.guid, info.identifier) : false;
    }
    return out;
  }

  /** RPC chats.list object (6.1). */
  chat(row: ChatRow): Json {
    const info = this.cache.info(row.id);
    const identifier = info?.identifier ?? row.identifier ?? '';
    const guid = info?.guid ?? '';
    const name = info?.name ? info.name : (row.name ?? '');
    return {
      id: row.id,
      identifier,
      guid,
      name,
      service: info?.service ?? row.service ?? '',
      last_message_at: isoFromAppleNs(row.last_date),
      participants: this.cache.participants(row.id),
      is_group: isGroupHandle(guid, identifier),
    };
  }

  /** CLI `chats --json` object (ChatPayload of OutputModels.swift). */
  cliChat(row: ChatRow): Json {
    const out: Json = {
      id: row.id,
      name: row.name ?? '',
      identifier: row.identifier ?? '',
      service: row.service ?? '',
      last_message_at: isoFromAppleNs(row.last_date),
    };
    if (row.guid) out['guid'] = row.guid;
    if (row.display_name) out['display_name'] = row.display_name;
    out['is_group'] = isGroupHandle(row.guid ?? '', row.identifier ?? '');
    out['participants'] = this.cache.participants(row.id);
    if (row.account_id) out['account_id'] = row.account_id;
    if (row.account_login) out['account_login'] = row.account_login;
    if (row.last_addressed_handle) out['last_addressed_handle'] = row.last_addressed_handle;
    return out;
  }
}
