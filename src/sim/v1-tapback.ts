import { appendBridgeRecord } from './bridge-log.js';
import type { DbResource } from './db-resource.js';
import type { SimWriter } from './inject.js';
import { REACTION_KINDS, normalizeReaction } from './reactions.js';
import { invalidParams } from './rpc-errors.js';
import { BRIDGE_NOT_STARTED } from './status.js';
import type { V1Params } from './v1-params.js';
import { notStarted } from './v1-send.js';

export interface TapbackContext {
  db: DbResource;
  me: string;
  writer: () => SimWriter;
  /** The full emulated bridge runs (--bridge): otherwise not_started, as imsg without a bridge. */
  bridge: boolean;
  /** `capabilities.features["tapback.emoji"]` of this build: an arbitrary emoji needs ≥ 2. */
  emojiVersion: number;
  bridgeLog: string;
}

/** The bridge's six kinds, as its error text names them (the read side says `emphasis`). */
const BRIDGE_KINDS = 'love, like, dislike, laugh, emphasize, or question';
const CLASSIC = new Set<string>(REACTION_KINDS);

/**
 * `tapback` (bridge message action; baseline §4.8, current spec §2.3): exactly one chat selector,
 * `message_id` (or an alias; a `p:N/GUID` target selects that part), `reaction`/`kind` for the six
 * standard kinds or `emoji` for an arbitrary emoji (needs tapback.emoji ≥ 2), `remove`,
 * `part_index`. Writes the outgoing reaction row as Messages does (is_from_me = 1,
 * associated_message_type 2000–2006 or 3000–3006, associated_message_guid `p:N/<target>`) and
 * records the call in the bridge log.
 */
export function handleTapback(p: V1Params, ctx: TapbackContext): unknown {
  const chatId = p.int('chat_id');
  const ident = p.str('chat_identifier');
  const guid = p.str('chat_guid');
  const selectors = [chatId, ident, guid].filter((x) => x !== undefined).length;
  if (selectors === 0) throw invalidParams('chat_guid, chat_identifier, or chat_id is required');
  if (selectors > 1) throw invalidParams('exactly one of chat_id, chat_identifier, or chat_guid is required');
  if (chatId !== undefined && chatId <= 0) throw invalidParams('chat_id must be a positive integer');
  const rawTarget = (p.str('message_id') ?? '').trim();
  if (rawTarget === '') throw invalidParams('message_id or message_guid is required');
  const reaction = p.str('reaction');
  const emoji = p.str('emoji');
  if (reaction !== undefined && emoji !== undefined) throw invalidParams('use only one of reaction, kind, emoji');
  const raw = (reaction ?? emoji ?? '').trim();
  if (raw === '') throw invalidParams('reaction is required');
  const remove = p.bool('remove') ?? raw.startsWith('remove-');
  const name = raw.startsWith('remove-') ? raw.slice('remove-'.length) : raw;
  const norm = normalizeReaction(name);
  const classic = norm.kind !== 'custom' && CLASSIC.has(norm.kind);
  if (!classic) {
    if (emoji === undefined || !/\p{Extended_Pictographic}/u.test(name)) {
      throw invalidParams(`unsupported tapback reaction ${raw}; use ${BRIDGE_KINDS}`);
    }
    if (ctx.emojiVersion < 2) throw invalidParams(`emoji tapbacks need capabilities.features["tapback.emoji"] >= 2; use ${BRIDGE_KINDS}`);
  }
  const part = p.int('part_index') ?? 0;
  if (part < 0) throw invalidParams('part_index must be a non-negative integer');
  if (!ctx.bridge) throw notStarted('tapback', BRIDGE_NOT_STARTED);

  const gen = chatId !== undefined ? ctx.db.require() : ctx.db.probe();
  if (!gen) throw notStarted('tapback', 'The Messages database is unavailable, so the target message cannot be found.');
  const writer = ctx.writer();
  const chat = chatId !== undefined ? writer.chatById(chatId) : writer.findChat((guid ?? ident)!);
  if (!chat) throw notStarted('tapback', 'The bridge found no chat with that target.');
  const targetGuid = rawTarget.includes('/') ? rawTarget.slice(rawTarget.lastIndexOf('/') + 1) : rawTarget;
  const known = writer.db.prepare('SELECT ROWID FROM message WHERE guid = ? LIMIT 1').get(targetGuid);
  if (known === undefined) throw notStarted('tapback', 'The bridge found no message with that GUID.');
  const row = writer.injectMessage({
    fromMe: true,
    chatGuid: chat.guid,
    me: ctx.me,
    reaction: classic ? norm.kind : norm.emoji,
    targetGuid,
    removeReaction: remove,
    ...(chat.service ? { service: chat.service } : {}),
  });
  const kind = classic ? (norm.kind === 'emphasis' ? 'emphasize' : norm.kind) : norm.emoji;
  appendBridgeRecord(ctx.bridgeLog, {
    at: new Date().toISOString(),
    method: 'tapback',
    guid: row.guid,
    rowid: row.id,
    reaction: kind,
    target: targetGuid,
    ...(remove ? { remove: true } : {}),
  });
  return { ok: true, reaction: remove ? `remove-${kind}` : kind, guid: row.guid, message_id: row.guid, chat_guid: chat.guid };
}
