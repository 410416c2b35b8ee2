/** An inbound DM as imsg emits it, for unit tests; each suite overrides what it is about. */
import type { ImsgMessage } from '../../src/imsg/types.js';

export function imsgMessage(over: Partial<ImsgMessage> = {}): ImsgMessage {
  return {
    id: 1,
    chat_id: 1,
    guid: 'G',
    sender: '+15551234567',
    is_from_me: false,
    text: 'hello',
    created_at: '2026-01-15T12:00:00.000Z',
    attachments: [],
    reactions: [],
    chat_identifier: '+15551234567',
    chat_guid: 'iMessage;-;+15551234567',
    chat_name: '',
    participants: ['+15551234567'],
    is_group: false,
    ...over,
  };
}
