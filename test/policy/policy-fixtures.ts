/** Shared fixtures for the access-policy tests. */
import type { ImsgAttachment, ImsgMessage } from '../../src/imsg/types.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { decide, type PolicyDecision } from '../../src/policy/decide.js';
import { compilePolicy, type InboundPolicy } from '../../src/policy/policy-config.js';
import { STRANGER, type SenderStanding, type SenderStatus } from '../../src/policy/sender-standing.js';
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

/** The sender's standing as a test gives it (`until` for pending codes and denials). */
export function standing(status: SenderStatus, over: Partial<SenderStanding> = {}): SenderStanding {
  return { status, capReached: false, ...over };
}

/** Compiles the policy and decides (a test shortcut; the gateway compiles once per account). */
export function decideInbound(message: ImsgMessage, config: InboundPolicy, now: number, sender: SenderStanding = STRANGER): PolicyDecision {
  return decide({ message, policy: compilePolicy(config), sender, now });
}
