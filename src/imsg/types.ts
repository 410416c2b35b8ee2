/**
 * The objects `imsg rpc` puts on the wire (imsg-rpc-protocol.md section 6). Optional keys are
 * omitted by imsg, never null; arrays are always present. Only what the gateway reads is typed.
 */

export interface ImsgAttachment {
  filename: string;
  transfer_name: string;
  uti: string;
  mime_type: string;
  total_bytes: number;
  is_sticker: boolean;
  original_path: string;
  missing: boolean;
  converted_path?: string;
  converted_mime_type?: string;
}

export interface ImsgReaction {
  id: number;
  type: string;
  emoji: string;
  sender: string;
  is_from_me: boolean;
  created_at: string;
  sender_name?: string;
}

export interface ImsgMessage {
  id: number;
  chat_id: number;
  guid: string;
  reply_to_guid?: string;
  thread_originator_guid?: string;
  reply_to_text?: string;
  reply_to_sender?: string;
  sender: string;
  sender_name?: string;
  is_from_me: boolean;
  text: string;
  created_at: string;
  attachments: ImsgAttachment[];
  reactions: ImsgReaction[];
  destination_caller_id?: string;
  is_reaction?: boolean;
  reaction_type?: string;
  reaction_emoji?: string;
  is_reaction_add?: boolean;
  reacted_to_guid?: string;
  chat_identifier: string;
  chat_guid: string;
  chat_name: string;
  participants: string[];
  is_group: boolean;
  /** §6.7: the exclusive resume cursor a live notification carries on imsg builds that send it. */
  cursor?: number;
  /** §6.6: the URL-preview row folded into this text message (imsg 0.11.1+). */
  url_preview?: { id: number; guid?: string };
}

export interface ImsgChat {
  id: number;
  identifier: string;
  guid: string;
  name: string;
  service: string;
  last_message_at: string;
  participants: string[];
  is_group: boolean;
  contact_name?: string;
}

export interface ImsgSendResult {
  ok: boolean;
  transport?: string;
  id?: number;
  guid?: string;
}
