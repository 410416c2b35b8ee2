import { describe, it, expect } from 'vitest';
import { buildEnvelope, type EnvelopeContext } from '../../src/routing/build-envelope.js';
import type { ImsgAttachment, ImsgMessage } from '../../src/imsg/types.js';
import { imsgMessage } from '../helpers/imsg-message.js';

const RECEIVED = Date.UTC(2026, 0, 15, 12, 0, 5, 123);

function msg(over: Partial<ImsgMessage> = {}): ImsgMessage {
  return imsgMessage({ id: 17, chat_id: 3, guid: 'GUID-17', text: 'hello there', ...over });
}

function ctx(over: Partial<EnvelopeContext> = {}): EnvelopeContext {
  return {
    accountId: 'work',
    agentId: 'main',
    agentShared: false,
    dmScope: 'main',
    region: 'US',
    kind: 'dm',
    wasMentioned: false,
    service: 'auto',
    receivedAt: RECEIVED,
    ...over,
  };
}

const heic: ImsgAttachment = {
  filename: '~/Library/Messages/Attachments/ab/11/AT1/IMG_0001.heic',
  transfer_name: 'IMG_0001.heic',
  uti: 'public.heic',
  mime_type: 'image/heic',
  total_bytes: 123456,
  is_sticker: false,
  original_path: '/Users/me/Library/Messages/Attachments/ab/11/AT1/IMG_0001.heic',
  missing: false,
};

describe('buildEnvelope', () => {
  it('builds the whole envelope of a DM', () => {
    expect(buildEnvelope(msg({ sender_name: 'Jane' }), ctx())).toEqual({
      id: 'work:GUID-17',
      accountId: 'work',
      agentId: 'main',
      sessionKey: 'agent:main:main',
      chat: {
        kind: 'dm',
        chatId: 3,
        guid: 'iMessage;-;+15551234567',
        identifier: '+15551234567',
        name: '+15551234567',
        participants: ['+15551234567'],
      },
      sender: { handle: '+15551234567', name: 'Jane' },
      text: 'hello there',
      attachments: [],
      history: [],
      wasMentioned: false,
      timestamps: { createdAt: '2026-01-15T12:00:00.000Z', receivedAt: '2026-01-15T12:00:05.123Z' },
      replyTarget: { to: '+15551234567', handle: '+15551234567', service: 'imessage' },
      imsg: { rowid: 17, guid: 'GUID-17' },
    });
  });

  it('the id is account:guid, and account:rowid-<id> when the guid is empty', () => {
    expect(buildEnvelope(msg(), ctx({ accountId: 'home' })).id).toBe('home:GUID-17');
    const e = buildEnvelope(msg({ guid: '' }), ctx());
    expect(e.id).toBe('work:rowid-17');
    expect(e.imsg).toEqual({ rowid: 17, guid: '' });
  });

  it('omits sender.name when imsg gave none', () => {
    expect(buildEnvelope(msg(), ctx()).sender).toEqual({ handle: '+15551234567' });
  });

  it('a group envelope: chat-id reply target, group session key, chat name kept, mention flag carried', () => {
    const m = msg({
      chat_id: 42,
      chat_identifier: 'chat493021849302',
      chat_guid: 'iMessage;+;chat493021849302',
      chat_name: 'Family',
      participants: ['+15551234567', 'jane@example.com'],
      is_group: true,
    });
    const e = buildEnvelope(m, ctx({ kind: 'group', wasMentioned: true, agentShared: true }));
    expect(e.sessionKey).toBe('agent:main:imessage:work:group:42');
    expect(e.chat).toEqual({
      kind: 'group',
      chatId: 42,
      guid: 'iMessage;+;chat493021849302',
      identifier: 'chat493021849302',
      name: 'Family',
      participants: ['+15551234567', 'jane@example.com'],
    });
    expect(e.replyTarget).toEqual({ to: 'chat_id:42', chatId: 42 });
    expect(e.wasMentioned).toBe(true);
  });

  it('a per-peer DM session key carries the sender normalised in the account region (E.164, lowercased email)', () => {
    expect(buildEnvelope(msg({ sender: '(555) 123-4567' }), ctx({ dmScope: 'per-peer' })).sessionKey).toBe('agent:main:dm:+15551234567');
    expect(buildEnvelope(msg({ sender: 'imessage:+15551234567' }), ctx({ dmScope: 'per-channel-peer' })).sessionKey).toBe(
      'agent:main:imessage:dm:+15551234567',
    );
    expect(buildEnvelope(msg({ sender: 'Jane@Example.com' }), ctx({ dmScope: 'per-account-channel-peer' })).sessionKey).toBe(
      'agent:main:imessage:work:dm:jane@example.com',
    );
  });

  it('the chat name falls back to the identifier when empty', () => {
    expect(buildEnvelope(msg({ chat_name: '', chat_identifier: 'chat99' }), ctx()).chat.name).toBe('chat99');
  });

  it('the reply target of a DM uses the account service when the chat guid names none', () => {
    expect(buildEnvelope(msg({ chat_guid: '' }), ctx({ service: 'sms' })).replyTarget).toEqual({
      to: '+15551234567',
      handle: '+15551234567',
      service: 'sms',
    });
  });

  it('reply context comes from thread_originator_guid with the parent text and sender', () => {
    const e = buildEnvelope(
      msg({ thread_originator_guid: 'ROOT', reply_to_guid: 'OTHER', reply_to_text: 'parent', reply_to_sender: 'jane@example.com' }),
      ctx(),
    );
    expect(e.replyTo).toEqual({ guid: 'ROOT', text: 'parent', sender: 'jane@example.com' });
  });

  it('reply context falls back to reply_to_guid and omits unknown text/sender', () => {
    expect(buildEnvelope(msg({ reply_to_guid: 'P-1' }), ctx()).replyTo).toEqual({ guid: 'P-1' });
  });

  it('has no reply context when the message is not a reply', () => {
    expect(Object.hasOwn(buildEnvelope(msg(), ctx()), 'replyTo')).toBe(false);
  });

  it('maps attachments as metadata only (ingested false), a missing one with a problem', () => {
    const missing: ImsgAttachment = {
      ...heic,
      transfer_name: 'gone.mov',
      mime_type: 'video/quicktime',
      uti: 'com.apple.quicktime-movie',
      total_bytes: 0,
      original_path: '/Users/me/Library/Messages/Attachments/x/gone.mov',
      missing: true,
    };
    const e = buildEnvelope(msg({ text: '\uFFFC\uFFFC', attachments: [heic, missing] }), ctx());
    expect(e.attachments).toEqual([
      {
        path: '/Users/me/Library/Messages/Attachments/ab/11/AT1/IMG_0001.heic',
        name: 'IMG_0001.heic',
        mimeType: 'image/heic',
        uti: 'public.heic',
        sizeBytes: 123456,
        missing: false,
        ingested: false,
      },
      {
        path: '/Users/me/Library/Messages/Attachments/x/gone.mov',
        name: 'gone.mov',
        mimeType: 'video/quicktime',
        uti: 'com.apple.quicktime-movie',
        sizeBytes: 0,
        missing: true,
        ingested: false,
        problem: 'the file is missing on the Mac',
      },
    ]);
    expect(Object.hasOwn(e.attachments[0]!, 'problem')).toBe(false);
  });

  it('the envelope survives a JSON round trip unchanged (it is what agents receive)', () => {
    const e = buildEnvelope(msg({ thread_originator_guid: 'R', attachments: [heic] }), ctx());
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });
});
