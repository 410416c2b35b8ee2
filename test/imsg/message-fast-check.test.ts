/**
 * The fast check of a message payload (message-fast-check.ts) against the zod schema it stands in
 * for: on generated payloads, every field absent, null, valid or wrong in many ways, it never
 * accepts what zod refuses, and what normalizeMessage makes of an accepted payload is what it made
 * of zod's output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { passesMessageFastCheck } from '../../src/imsg/message-fast-check.js';
import { messageSchema } from '../../src/imsg/message-schema.js';
import { normalizeMessage, toMessage } from '../../src/imsg/normalize-message.js';

/** Values that are wrong for most fields, and some that are right for a few. */
const odd = fc.oneof(
  fc.constant(-1),
  fc.constant(1.5),
  fc.constant(2 ** 53),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(0),
  fc.constant(1),
  fc.constant(2),
  fc.constant(''),
  fc.constant('x'),
  fc.constant(true),
  fc.constant(false),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.constant(['a', null, '']),
);

/** A field: left out, null, a value of its kind, or (rarely, so that whole payloads pass often enough) anything odd. */
const field = (good: fc.Arbitrary<unknown>) =>
  fc.option(fc.oneof({ weight: 20, arbitrary: good }, { weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: odd }), {
    nil: undefined,
    freq: 3,
  });

const str = field(fc.string({ maxLength: 6 }));
const uint = field(fc.nat());
const sint = field(fc.integer());
const flagArb = field(fc.oneof(fc.boolean(), fc.constantFrom(0, 1)));
const bool = field(fc.boolean());

const attachment = fc.record(
  {
    filename: str,
    transfer_name: str,
    uti: str,
    mime_type: str,
    total_bytes: uint,
    is_sticker: flagArb,
    original_path: str,
    missing: flagArb,
    converted_path: str,
    converted_mime_type: str,
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);
const reaction = fc.record(
  { id: sint, type: str, emoji: str, sender: str, is_from_me: flagArb, created_at: str, sender_name: str },
  { requiredKeys: [] },
);

const payload = fc.record(
  {
    id: fc.oneof({ weight: 20, arbitrary: fc.nat() }, { weight: 1, arbitrary: odd }),
    chat_id: sint,
    guid: str,
    reply_to_guid: str,
    thread_originator_guid: str,
    reply_to_text: str,
    reply_to_sender: str,
    sender: str,
    sender_name: str,
    is_from_me: flagArb,
    text: str,
    created_at: str,
    attachments: field(fc.array(fc.oneof({ weight: 20, arbitrary: attachment }, { weight: 1, arbitrary: odd }), { maxLength: 3 })),
    reactions: field(fc.array(fc.oneof({ weight: 20, arbitrary: reaction }, { weight: 1, arbitrary: odd }), { maxLength: 3 })),
    destination_caller_id: str,
    is_reaction: bool,
    reaction_type: str,
    reaction_emoji: str,
    is_reaction_add: bool,
    reacted_to_guid: str,
    chat_identifier: str,
    chat_guid: str,
    chat_name: str,
    participants: field(fc.array(fc.oneof({ weight: 10, arbitrary: fc.string({ maxLength: 4 }) }, { weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: odd }), { maxLength: 4 })),
    is_group: flagArb,
    cursor: uint,
    url_preview: field(fc.record({ id: fc.oneof({ weight: 10, arbitrary: fc.nat() }, { weight: 1, arbitrary: odd }), guid: str }, { requiredKeys: [] })),
    unknown_key: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('the fast check of a message payload', () => {
  it('never accepts a payload zod refuses, and normalises an accepted one as zod output would be (seeded)', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(payload, (raw) => {
        const m = raw as Record<string, unknown>;
        const zod = messageSchema.safeParse(m);
        if (zod.success) valid++;
        if (!passesMessageFastCheck(m)) return;
        accepted++;
        expect(zod.success).toBe(true);
        if (!zod.success) return;
        const result = normalizeMessage(m);
        expect(result).toEqual({ ok: true, message: toMessage(zod.data) });
      }),
      { seed: 20261201, numRuns: 4000 },
    );
    // The generator reaches the accepting side often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(400);
    // and the wrong values make zod refuse often enough too.
    expect(4000 - valid).toBeGreaterThan(400);
  });

  it('refuses whatever zod refuses, among payloads one field off a valid one, nested fields included (seeded)', () => {
    const base = () => ({
      id: 7,
      guid: 'G',
      text: 'hi',
      sender: '+1555',
      attachments: [{ filename: 'a', total_bytes: 3 }] as Array<Record<string, unknown>>,
      reactions: [{ id: 1, type: 'like' }] as Array<Record<string, unknown>>,
      url_preview: { id: 8 } as Record<string, unknown>,
    });
    const top = Object.keys(messageSchema.shape);
    const inAttachment = ['filename', 'transfer_name', 'uti', 'mime_type', 'total_bytes', 'is_sticker', 'original_path', 'missing', 'converted_path', 'converted_mime_type'];
    const inReaction = ['id', 'type', 'emoji', 'sender', 'is_from_me', 'created_at', 'sender_name'];
    const where = fc.oneof(
      fc.constantFrom(...top).map((key) => ['top', key] as const),
      fc.constantFrom(...inAttachment).map((key) => ['attachment', key] as const),
      fc.constantFrom(...inReaction).map((key) => ['reaction', key] as const),
      fc.constantFrom('id', 'guid').map((key) => ['preview', key] as const),
    );
    let refused = 0;
    fc.assert(
      fc.property(where, odd, ([place, key], value) => {
        const m: Record<string, unknown> = base();
        if (place === 'top') m[key] = value;
        else if (place === 'attachment') (m.attachments as Array<Record<string, unknown>>)[0]![key] = value;
        else if (place === 'reaction') (m.reactions as Array<Record<string, unknown>>)[0]![key] = value;
        else (m.url_preview as Record<string, unknown>)[key] = value;
        if (!messageSchema.safeParse(m).success) {
          refused++;
          expect(passesMessageFastCheck(m)).toBe(false);
        }
      }),
      { seed: 7, numRuns: 3000 },
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it('takes the payloads imsg sends (6.2: a full message, an older imsg with nulls, a tapback)', () => {
    const full = {
      id: 42,
      chat_id: 3,
      guid: 'A1B2',
      reply_to_guid: 'Z9',
      sender: '+15551234567',
      is_from_me: false,
      text: 'hello',
      created_at: '2026-01-01T00:00:00.000Z',
      attachments: [
        { filename: '~/a.jpg', transfer_name: 'a.jpg', uti: 'public.jpeg', mime_type: 'image/jpeg', total_bytes: 10, is_sticker: false, original_path: '/x/a.jpg', missing: false },
      ],
      reactions: [{ id: 1, type: 'love', emoji: '❤️', sender: '+1', is_from_me: false, created_at: '2026-01-01T00:00:00.000Z' }],
      chat_identifier: '+15551234567',
      chat_guid: 'iMessage;-;+15551234567',
      chat_name: '',
      participants: ['+15551234567'],
      is_group: false,
      cursor: 43,
    };
    const older = { id: 5, chat_id: null, guid: 'G', text: null, attachments: null, reactions: null, participants: null, is_group: 0 };
    const tapback = { ...full, is_reaction: true, is_reaction_add: true, reaction_type: 'like', reacted_to_guid: 'A1B2', url_preview: { id: 44 } };
    for (const m of [full, older, tapback]) expect(passesMessageFastCheck(m)).toBe(true);
  });
});
