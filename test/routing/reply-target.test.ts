import { describe, it, expect } from 'vitest';
import { replyTargetFor, sendParamsFor, serviceOfChatGuid } from '../../src/routing/reply-target.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import { imsgMessage } from '../helpers/imsg-message.js';

function msg(over: Partial<ImsgMessage> = {}): ImsgMessage {
  return imsgMessage({ id: 1, chat_id: 3, guid: 'G', text: 'hi', ...over });
}

describe('serviceOfChatGuid', () => {
  it.each([
    ['SMS;-;+15551234567', 'sms'],
    ['sms;-;+15551234567', 'sms'],
    ['iMessage;-;+15551234567', 'imessage'],
    ['iMessage;+;chat123', 'imessage'],
    ['IMESSAGE;-;a@b.c', 'imessage'],
    ['RCS;-;+15551234567', undefined],
    ['any;-;+15551234567', undefined],
    ['', undefined],
    ['+15551234567', undefined],
    ['sms', 'sms'],
    ['iMessage', 'imessage'],
    ['smsx;-;+15551234567', undefined],
    ['iMessages;-;a@b.c', undefined],
  ])('%j → %s', (guid, service) => {
    expect(serviceOfChatGuid(guid)).toBe(service);
  });
});

describe('replyTargetFor', () => {
  it('a group is answered by chat id', () => {
    expect(replyTargetFor(msg({ chat_id: 42, is_group: true, chat_guid: 'iMessage;+;chat1' }), 'group', 'auto')).toEqual({
      to: 'chat_id:42',
      chatId: 42,
    });
  });

  it('a DM over SMS is answered to the sender\'s handle over sms', () => {
    expect(replyTargetFor(msg({ chat_guid: 'SMS;-;+15551234567' }), 'dm', 'imessage')).toEqual({
      to: '+15551234567',
      handle: '+15551234567',
      service: 'sms',
    });
  });

  it('a DM over iMessage is answered over imessage even when the fallback is sms', () => {
    expect(replyTargetFor(msg({ sender: 'jane@example.com', chat_guid: 'iMessage;-;jane@example.com' }), 'dm', 'sms')).toEqual({
      to: 'jane@example.com',
      handle: 'jane@example.com',
      service: 'imessage',
    });
  });

  it('a DM whose chat guid names no known service uses the fallback', () => {
    expect(replyTargetFor(msg({ chat_guid: '' }), 'dm', 'auto')).toEqual({
      to: '+15551234567',
      handle: '+15551234567',
      service: 'auto',
    });
    expect(replyTargetFor(msg({ chat_guid: 'any;-;+15551234567' }), 'dm', 'sms').service).toBe('sms');
  });

  it('a promoted DM thread (kind group) is answered by chat id', () => {
    expect(replyTargetFor(msg({ chat_id: 7 }), 'group', 'auto')).toEqual({ to: 'chat_id:7', chatId: 7 });
  });
});

describe('sendParamsFor', () => {
  it('a chat target sends by chat_id only', () => {
    expect(sendParamsFor({ to: 'chat_id:42', chatId: 42 }, 'US')).toEqual({ chat_id: 42 });
  });

  it('a handle target sends to the handle with region and service', () => {
    expect(sendParamsFor({ to: '+15551234567', handle: '+15551234567', service: 'sms' }, 'US')).toEqual({
      to: '+15551234567',
      region: 'US',
      service: 'sms',
    });
  });

  it('falls back to `to` without a handle and omits an absent service', () => {
    expect(sendParamsFor({ to: 'jane@example.com' }, 'DE')).toEqual({ to: 'jane@example.com', region: 'DE' });
  });

  it('round-trips replyTargetFor for both kinds', () => {
    expect(sendParamsFor(replyTargetFor(msg({ chat_id: 9 }), 'group', 'auto'), 'US')).toEqual({ chat_id: 9 });
    expect(sendParamsFor(replyTargetFor(msg({ chat_guid: 'SMS;-;+15551234567' }), 'dm', 'auto'), 'US')).toEqual({
      to: '+15551234567',
      region: 'US',
      service: 'sms',
    });
  });
});
