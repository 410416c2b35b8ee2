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

  it('keeps optional string keys only when they are non-empty strings (absent, null or empty: omitted)', () => {
    const m = ok({
      id: 1,
      reply_to_guid: '',
      thread_originator_guid: 'T-1',
      reply_to_text: 'parent',
      reply_to_sender: '',
      sender_name: null,
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
    const none = ok({ id: 5, is_reaction: false });
    expect(Object.hasOwn(none, 'is_reaction')).toBe(false);
    expect(Object.hasOwn(none, 'is_reaction_add')).toBe(false);
  });

  it('accepts 1 and 0 for boolean fields', () => {
    const m = ok({ id: 1, is_from_me: 1, is_group: 1 });
    expect(m.is_from_me).toBe(true);
    expect(m.is_group).toBe(true);
    const n = ok({ id: 1, is_from_me: false, is_group: 0 });
    expect(n.is_from_me).toBe(false);
    expect(n.is_group).toBe(false);
  });

  it('gives fields that are absent or null their default (an older imsg)', () => {
    const m = ok({ id: 1, chat_id: null, text: null, attachments: null, reactions: null, participants: null });
    expect(m.chat_id).toBe(0);
    expect(m.text).toBe('');
    expect(m.attachments).toEqual([]);
    expect(m.reactions).toEqual([]);
    expect(m.participants).toEqual([]);
  });

  it('drops empty and null participants', () => {
    expect(ok({ id: 1, participants: ['+1555', '', null, 'a@b.c'] }).participants).toEqual(['+1555', 'a@b.c']);
  });

  it('keeps the §6.7 cursor and the §6.6 url_preview row (absent or null: omitted)', () => {
    const m = ok({ id: 40, cursor: 39, url_preview: { id: 41, guid: 'P-41', balloon_bundle_id: 'x', created_at: 'y' } });
    expect(m.cursor).toBe(39);
    expect(m.url_preview).toEqual({ id: 41, guid: 'P-41' });
    const bare = ok({ id: 40, cursor: null, url_preview: null });
    expect('cursor' in bare).toBe(false);
    expect('url_preview' in bare).toBe(false);
    expect(normalizeMessage({ id: 40, cursor: -3 })).toMatchObject({ ok: false, problem: expect.stringContaining('cursor') });
    expect(normalizeMessage({ id: 40, url_preview: { id: 1.5 } })).toMatchObject({ ok: false, problem: expect.stringContaining('url_preview.id') });
  });

  it('tolerates unknown fields, at the top and inside attachments and reactions', () => {
    const m = ok({ id: 1, future_field: { x: [1, 2] }, attachments: [{ transfer_name: 'a.jpg', new_key: true }], reactions: [{ id: 2, extra: 'y' }] });
    expect(m.attachments[0]?.transfer_name).toBe('a.jpg');
    expect(m.reactions[0]?.id).toBe(2);
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
    expect(normalizeMessage(raw)).toMatchObject({ ok: false, problem });
  });

  // Issue 11, item 1: `attachments: [null]` threw inside envelope building and stopped every account.
  // Item 2: ids and chat_ids JavaScript or SQLite cannot hold exactly passed, then SQLite refused them.
  it.each([
    ['attachments [null] (crash-isolation finding)', { id: 9, attachments: [null] }, 'attachments[0]'],
    ['attachments [42]', { id: 9, attachments: [42] }, 'attachments[0]'],
    ['id 2^63 (poison-row finding)', { id: 2 ** 63 }, 'id'],
    ['id 1e300 (poison-row finding)', { id: 1e300 }, 'id'],
    ['id 2^53, one past the safe integers', { id: 2 ** 53 }, 'id'],
    ['a negative id', { id: -1 }, 'id'],
    ['chat_id 1e300 (poison-row finding)', { id: 9, chat_id: 1e300 }, 'chat_id'],
    ['chat_id 2^63', { id: 9, chat_id: 2 ** 63 }, 'chat_id'],
    ['a fractional chat_id', { id: 9, chat_id: 1.5 }, 'chat_id'],
    ['total_bytes 1e300', { id: 9, attachments: [{ total_bytes: 1e300 }] }, 'attachments[0].total_bytes'],
    ['a reaction id 2^63', { id: 9, reactions: [{ id: 2 ** 63 }] }, 'reactions[0].id'],
    ['a numeric sender', { id: 9, sender: 15551234567 }, 'sender'],
    ['a numeric text', { id: 9, text: 42 }, 'text'],
    ['a string is_from_me', { id: 9, is_from_me: 'true' }, 'is_from_me'],
    ['an object participant', { id: 9, participants: [{ x: 1 }] }, 'participants[0]'],
    ['attachments as an object', { id: 9, attachments: {} }, 'attachments'],
    ['a numeric optional string', { id: 9, destination_caller_id: 42 }, 'destination_caller_id'],
  ])('rejects %s, naming the field', (_name, raw, path) => {
    const r = normalizeMessage(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toContain(path);
    expect(r.problem).toContain(path);
  });

  it('keeps the row id of a rejected message when it is usable, and never when it is not', () => {
    const bad = normalizeMessage({ id: 12, guid: 'G-12', attachments: [null] });
    expect(bad).toMatchObject({ ok: false, rowid: 12, guid: 'G-12' });
    const huge = normalizeMessage({ id: 2 ** 63, guid: 'G-H' });
    expect(huge.ok).toBe(false);
    expect(huge).not.toHaveProperty('rowid');
  });

  it('never puts a received value into the problem (message text must not reach logs)', () => {
    const secret = 'SECRET-7f3a-do-not-log';
    for (const raw of [
      { id: 1, text: 5, sender: secret, attachments: [secret] },
      { id: secret, text: secret },
      { id: 1, participants: [secret, 3], chat_id: secret },
      { id: 1, reactions: [{ id: secret, emoji: 7 }], [secret]: secret },
    ]) {
      const r = normalizeMessage(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(JSON.stringify({ problem: r.problem, issues: r.issues })).not.toContain('SECRET');
    }
  });
});
