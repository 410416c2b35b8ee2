/** Shared fixtures for the access-policy tests. */
import type { ImsgAttachment, ImsgMessage } from '../../src/imsg/types.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import type { InboundPolicy } from '../../src/machines/policy-chart.js';
import type { PairingState, PairingView } from '../../src/machines/pairing-service.js';
import { derivedMentionPattern } from '../../src/routing/agent-mentions.js';

export const BOT = derivedMentionPattern('Bot');

export function msg(over: Partial<ImsgMessage> = {}): ImsgMessage {
  return imsgMessage({ id: 10, chat_id: 1, guid: 'G-10', text: 'hello', ...over });
}

export const group = (over: Partial<ImsgMessage> = {}): ImsgMessage =>
  msg({
    chat_id: 42,
    chat_identifier: 'chat123',
    chat_guid: 'iMessage;+;chat123',
    chat_name: 'Family',
    participants: ['+15551234567', 'jane@example.com'],
    is_group: true,
    text: 'hey @Bot what time is it',
    ...over,
  });

export function policy(over: Partial<InboundPolicy> = {}): InboundPolicy {
  return {
    dmPolicy: 'open',
    groupPolicy: 'open',
    allowFrom: ['*'],
    groups: {},
    mentionPatterns: [BOT],
    ...over,
  };
}

export const attachment: ImsgAttachment = {
  filename: '~/a.heic',
  transfer_name: 'a.heic',
  uti: 'public.heic',
  mime_type: 'image/heic',
  total_bytes: 10,
  is_sticker: false,
  original_path: '/Users/me/a.heic',
  missing: false,
};

/** A pairing view with fixed answers that counts how often it is asked. */
export function fakePairing(approved: string[] = [], state: PairingState = 'none'): PairingView & { calls: number } {
  const view = {
    calls: 0,
    isApproved(sender: string) {
      view.calls++;
      return approved.includes(sender);
    },
    pairingState() {
      view.calls++;
      return state;
    },
  };
  return view;
}
