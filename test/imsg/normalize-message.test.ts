import { describe, it, expect } from 'vitest';
import { normalizeMessage } from '../../src/imsg/normalize-message.js';
import type { ImsgMessage } from '../../src/imsg/types.js';

function ok(raw: unknown): ImsgMessage {
  const r = normalizeMessage(raw);
  if (!r.ok) throw new Error(`expected ok, got problem: ${r.problem}`);
  return r.message;
}

describe('normalizeMessage', () => {
  it('a minimal payload {id} gets every required field with its default', () => {
    expect(ok({ id: 7 })).toEqual({
      id: 7,
      chat_id: 0,
      guid: '',
      sender: '',
      is_from_me: false,
      text: '',
      created_at: '',
      attachments: [],
      reactions: [],
      chat_identifier: '',
      chat_guid: '',
      chat_name: '',
      participants: [],
      is_group: false,
    });
  });

  it('keeps a full 6.2 payload as it is', () => {
    const raw = {
      id: 3,
      chat_id: 2,
      guid: 'A1B2C3D4-0000-0000-0000-000000000003',
      sender: 'jane@example.com',
      sender_name: 'Jane Doe',
      is_from_me: false,
      text: 'group msg',
      created_at: '2026-01-15T12:02:00.000Z',
      attachments: [
        {
          filename: '~/Library/Messages/Attachments/ab/11/AT1/IMG_0001.heic',
          transfer_name: 'IMG_0001.heic',
          uti: 'public.heic',
          mime_type: 'image/heic',
          total_bytes: 123456,
          is_sticker: false,
          original_path: '/Users/me/Library/Messages/Attachments/ab/11/AT1/IMG_0001.heic',
          missing: false,
        },
      ],
      reactions: [],
      destination_caller_id: 'me@icloud.com',
      chat_identifier: 'chat493021849302',
      chat_guid: 'iMessage;+;chat493021849302',
      chat_name: 'Family',
      participants: ['+15551234567', 'jane@example.com'],
      is_group: true,
    };
    expect(ok(raw)).toEqual(raw);
  });

  it('keeps optional string keys only when they are non-empty strings', () => {
    const m = ok({
      id: 1,
      reply_to_guid: '',
      thread_originator_guid: 'T-1',
      reply_to_text: 'parent',
      reply_to_sender: '',
      sender_name: null,
      destination_caller_id: 42,
      reaction_type: 'like',
      reaction_emoji: '👍',
      reacted_to_guid: undefined,
    });
    expect(m.thread_originator_guid).toBe('T-1');
    expect(m.reply_to_text).toBe('parent');
    expect(m.reaction_type).toBe('like');
    expect(m.reaction_emoji).toBe('👍');
    for (const key of ['reply_to_guid', 'reply_to_sender', 'sender_name', 'destination_caller_id', 'reacted_to_guid']) {
      expect(Object.hasOwn(m, key), key).toBe(false);
    }
  });

  it('keeps is_reaction only when true and is_reaction_add only when boolean', () => {
    const add = ok({ id: 4, is_reaction: true, is_reaction_add: false });
    expect(add.is_reaction).toBe(true);
    expect(add.is_reaction_add).toBe(false);
    const none = ok({ id: 5, is_reaction: false, is_reaction_add: 'yes' });
    expect(Object.hasOwn(none, 'is_reaction')).toBe(false);
    expect(Object.hasOwn(none, 'is_reaction_add')).toBe(false);
  });

  it('accepts 1 as true for boolean fields and treats other values as false', () => {
    const m = ok({ id: 1, is_from_me: 1, is_group: 1 });
    expect(m.is_from_me).toBe(true);
    expect(m.is_group).toBe(true);
    const n = ok({ id: 1, is_from_me: 'true', is_group: 0 });
    expect(n.is_from_me).toBe(false);
    expect(n.is_group).toBe(false);
  });

  it('stringifies numeric string fields and zeroes non-finite chat ids', () => {
    const m = ok({ id: 1, sender: 15551234567, chat_id: Number.NaN, text: null });
    expect(m.sender).toBe('15551234567');
    expect(m.chat_id).toBe(0);
    expect(m.text).toBe('');
    expect(ok({ id: 1, chat_id: '5' }).chat_id).toBe(0);
  });

  it('replaces non-array attachments/reactions/participants with empty arrays', () => {
    const m = ok({ id: 1, attachments: null, reactions: {}, participants: 'a,b' });
    expect(m.attachments).toEqual([]);
    expect(m.reactions).toEqual([]);
    expect(m.participants).toEqual([]);
  });

  it('filters participants down to non-empty strings, stringifying numbers', () => {
    const m = ok({ id: 1, participants: ['+1555', '', null, 15551234567, { x: 1 }, 'a@b.c'] });
    expect(m.participants).toEqual(['+1555', '15551234567', 'a@b.c']);
  });

  it.each([
    [null, 'message is not an object'],
    [undefined, 'message is not an object'],
    ['{"id":1}', 'message is not an object'],
    [42, 'message is not an object'],
    [[{ id: 1 }], 'message is not an object'],
    [{}, 'message has no integer id'],
    [{ id: '7' }, 'message has no integer id'],
    [{ id: 1.5 }, 'message has no integer id'],
    [{ id: Number.NaN }, 'message has no integer id'],
    [{ guid: 'G', text: 'hi' }, 'message has no integer id'],
  ])('rejects %j with a problem', (raw, problem) => {
    expect(normalizeMessage(raw)).toEqual({ ok: false, problem });
  });
});
