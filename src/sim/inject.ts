import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteDatabase } from '../sqlite/index.js';
import type { Statement } from '../sqlite/index.js';
import { appleNsFromMs, parseIso8601 } from './apple-time.js';
import { guessMime } from './mime.js';
import { normalizeReaction, reactionSummary, reactionTypeCode } from './reactions.js';
import { hasStatusColumns } from './schema.js';

export interface InjectOptions {
  /** Sender handle (phone or email). For --from-me in a direct chat: the other party. */
  from?: string;
  text?: string;
  /** Use (or create) the chat with this guid. */
  chatGuid?: string;
  /** Create or reuse the group chat with this display name. */
  group?: string;
  participants?: string[];
  /** Path of a file to attach (row gets filename, transfer_name, mime, total_bytes). */
  attachment?: string;
  /** ISO-8601 with timezone, a Date, or Unix milliseconds. Default: now. */
  date?: string | Date | number;
  fromMe?: boolean;
  /** Tapback: like|love|dislike|laugh|emphasis|question or an emoji. Needs targetGuid. */
  reaction?: string;
  targetGuid?: string;
  removeReaction?: boolean;
  /** thread_originator_guid (inline reply). */
  replyTo?: string;
  /** `iMessage` (default) or `SMS`. */
  service?: string;
  /** Own address, written into destination_caller_id. */
  me?: string;
  /** Explicit message guid (default: new uppercase UUID). */
  guid?: string;
  balloonBundleId?: string;
}

export interface InjectResult {
  id: number;
  guid: string;
  chat_id: number;
}

export const DEFAULT_ME = 'me@icloud.com';

export function newGuid(): string {
  return crypto.randomUUID().toUpperCase();
}

function dateToMs(d: InjectOptions['date']): number {
  if (d === undefined) return Date.now();
  if (d instanceof Date) return d.getTime();
  if (typeof d === 'number') return d;
  const ms = parseIso8601(d);
  if (ms === null) throw new Error(`Invalid ISO8601 date: ${d}`);
  return ms;
}

function normService(s: string | undefined): string {
  return s && s.toLowerCase() === 'sms' ? 'SMS' : 'iMessage';
}

function randomGroupId(): string {
  let digits = String(1 + crypto.randomInt(9));
  while (digits.length < 18) digits += String(crypto.randomInt(10));
  return `chat${digits}`;
}

/**
 * A read-write connection that writes rows as Messages.app would. Reuse one instance for many
 * writes (prepared statements are cached); each inject is a single transaction.
 */
export class SimWriter {
  readonly db: SqliteDatabase;
  private readonly s: Record<string, Statement>;
  /** Marks a sent row sent and delivered (absent on a file made before the status columns). */
  private readonly markDelivered: Statement | undefined;

  constructor(dbPath: string) {
    this.db = new SqliteDatabase(dbPath, { fileMustExist: true, timeout: 5000 });
    this.db.pragma('journal_mode = WAL');
    const p = (sql: string): Statement => this.db.prepare(sql);
    this.markDelivered = hasStatusColumns(this.db)
      ? p('UPDATE message SET is_sent = 1, is_delivered = 1, is_finished = 1, date_delivered = ? WHERE ROWID = ?')
      : undefined;
    this.s = {
      findHandle: p('SELECT ROWID AS id FROM handle WHERE id = ? AND service = ? LIMIT 1'),
      insertHandle: p('INSERT INTO handle (id, service) VALUES (?, ?)'),
      findChatByGuid: p('SELECT ROWID AS id, guid, chat_identifier AS identifier, service_name AS service FROM chat WHERE guid = ?'),
      findChatByIdent: p('SELECT ROWID AS id, guid, chat_identifier AS identifier, service_name AS service FROM chat WHERE chat_identifier = ? ORDER BY ROWID LIMIT 1'),
      findChatById: p('SELECT ROWID AS id, guid, chat_identifier AS identifier, service_name AS service FROM chat WHERE ROWID = ?'),
      findGroupByName: p("SELECT ROWID AS id FROM chat WHERE display_name = ? AND guid LIKE '%;+;%' ORDER BY ROWID LIMIT 1"),
      insertChat: p(
        'INSERT INTO chat (guid, style, chat_identifier, service_name, display_name, account_login) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      joinHandle: p('INSERT OR IGNORE INTO chat_handle_join (chat_id, handle_id) VALUES (?, ?)'),
      chatHandles: p('SELECT handle_id FROM chat_handle_join WHERE chat_id = ? ORDER BY handle_id LIMIT 1'),
      insertMessage: p(
        `INSERT INTO message (guid, text, handle_id, service, date, is_from_me, attributedBody, associated_message_guid,
          associated_message_type, balloon_bundle_id, thread_originator_guid, destination_caller_id)
         VALUES (@guid, @text, @handle_id, @service, @date, @is_from_me, NULL, @amg, @amt, @bbid, @tog, @dci)`,
      ),
      joinMessage: p('INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (?, ?, ?)'),
      insertAttachment: p(
        'INSERT INTO attachment (guid, filename, uti, mime_type, transfer_name, total_bytes, is_sticker) VALUES (?, ?, ?, ?, ?, ?, 0)',
      ),
      joinAttachment: p('INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (?, ?)'),
      targetMessage: p(
        `SELECT m.text AS text, cmj.chat_id AS chat_id FROM message m
         LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID WHERE m.guid = ? LIMIT 1`,
      ),
    };
  }

  close(): void {
    this.db.close();
  }

  ensureHandle(id: string, service: string): number {
    const hit = this.s['findHandle']!.get(id, service) as { id: number } | undefined;
    if (hit) return hit.id;
    return Number(this.s['insertHandle']!.run(id, service).lastInsertRowid);
  }

  findChat(guidOrIdentifier: string): { id: number; guid: string; identifier: string; service: string } | undefined {
    return (this.s['findChatByGuid']!.get(guidOrIdentifier) ?? this.s['findChatByIdent']!.get(guidOrIdentifier)) as
      | { id: number; guid: string; identifier: string; service: string }
      | undefined;
  }

  chatById(id: number): { id: number; guid: string; identifier: string; service: string } | undefined {
    return this.s['findChatById']!.get(id) as { id: number; guid: string; identifier: string; service: string } | undefined;
  }

  /** Finds or creates a chat by guid (`svc;-;handle` direct, `svc;+;chatN` group). */
  ensureChat(guid: string, displayName: string | null = null, me = DEFAULT_ME): number {
    const hit = this.s['findChatByGuid']!.get(guid) as { id: number } | undefined;
    if (hit) return hit.id;
    const parts = guid.split(';');
    const service = parts.length >= 3 ? (parts[0] ?? 'iMessage') : 'iMessage';
    const identifier = parts.length >= 3 ? parts.slice(2).join(';') : guid;
    const group = guid.includes(';+;');
    return Number(
      this.s['insertChat']!.run(guid, group ? 43 : 45, identifier, service, displayName, `E:${me}`).lastInsertRowid,
    );
  }

  /** Finds or creates the direct chat `<svc>;-;<handle>` with the handle joined. */
  ensureDirectChat(handle: string, service: string, me = DEFAULT_ME): { chatId: number; handleId: number } {
    const svc = normService(service);
    const chatId = this.ensureChat(`${svc};-;${handle}`, null, me);
    const handleId = this.ensureHandle(handle, svc);
    this.s['joinHandle']!.run(chatId, handleId);
    return { chatId, handleId };
  }

  /** The first handle joined to a chat (the other party of a direct chat), or 0. */
  firstHandle(chatId: number): number {
    const r = this.s['chatHandles']!.get(chatId) as { handle_id: number } | undefined;
    return r?.handle_id ?? 0;
  }

  private ensureGroup(name: string, service: string, me: string): number {
    const hit = this.s['findGroupByName']!.get(name) as { id: number } | undefined;
    if (hit) return hit.id;
    return this.ensureChat(`${service};+;${randomGroupId()}`, name, me);
  }

  /** Inserts one message (plus chat, handle, joins, attachment) in one transaction. */
  injectMessage(opts: InjectOptions): InjectResult {
    return this.db.transaction(() => this.insertUnsafe(opts)).immediate();
  }

  /** Inserts many messages in one transaction (fast path for benchmarks). */
  injectMany(list: InjectOptions[]): InjectResult[] {
    return this.db.transaction(() => list.map((o) => this.insertUnsafe(o))).immediate();
  }

  /** Inserts a tapback row targeting `targetGuid` (associated_message_type 2000+ / 3000+). */
  injectReaction(opts: InjectOptions & { reaction: string; targetGuid: string }): InjectResult {
    return this.injectMessage(opts);
  }

  /**
   * An outgoing row as Messages.app writes it after a send (is_from_me = 1, date = now, sent and
   * delivered). `guid`: the caller-owned GUID of a tracked send (default: a new one).
   */
  insertOutgoing(o: {
    chatId: number;
    handleId: number;
    service: string;
    me: string;
    text: string;
    attachment?: string;
    guid?: string;
  }): {
    id: number;
    guid: string;
  } {
    const date = appleNsFromMs(Date.now());
    const row = this.insertRow({ ...o, fromMe: true, date });
    this.markDelivered?.run(date, row.id);
    return row;
  }

  /**
   * A second outgoing row like `id` (same chat, text and attachment file, new GUIDs): what makes a
   * file-only send's receipt ambiguous (current spec section 8.2).
   */
  duplicateOutgoing(id: number): { id: number; guid: string } {
    const m = this.db
      .prepare(
        `SELECT m.text AS text, m.handle_id AS handleId, m.service AS service, m.destination_caller_id AS me,
           cmj.chat_id AS chatId, a.filename AS file
         FROM message m JOIN chat_message_join cmj ON cmj.message_id = m.ROWID
         LEFT JOIN message_attachment_join maj ON maj.message_id = m.ROWID LEFT JOIN attachment a ON a.ROWID = maj.attachment_id
         WHERE m.ROWID = ? LIMIT 1`,
      )
      .get(id) as { text: string; handleId: number; service: string; me: string; chatId: number; file: string | null } | undefined;
    if (!m) throw new Error(`no joined message row ${id} to duplicate`);
    return this.insertOutgoing({
      chatId: m.chatId,
      handleId: m.handleId,
      service: m.service,
      me: m.me,
      text: m.text,
      ...(m.file ? { attachment: m.file } : {}),
    });
  }

  /**
   * The Tahoe ghost row (current spec section 8.2): an empty outgoing row joined to no chat, whose
   * handle is the send's target GUID or identifier.
   */
  insertGhostRow(target: string, service: string, me: string): number {
    const handleId = this.ensureHandle(target, service);
    const info = this.s['insertMessage']!.run({
      guid: newGuid(),
      text: '',
      handle_id: handleId,
      service,
      date: appleNsFromMs(Date.now()),
      is_from_me: 1,
      amg: null,
      amt: 0,
      bbid: null,
      tog: null,
      dci: me,
    });
    return Number(info.lastInsertRowid);
  }

  private insertRow(r: {
    chatId: number;
    handleId: number;
    service: string;
    me: string;
    text: string;
    fromMe: boolean;
    date: bigint;
    guid?: string | undefined;
    amg?: string | null | undefined;
    amt?: number | undefined;
    bbid?: string | undefined;
    tog?: string | undefined;
    attachment?: string | undefined;
  }): { id: number; guid: string } {
    const guid = r.guid ?? newGuid();
    const info = this.s['insertMessage']!.run({
      guid,
      text: r.text,
      handle_id: r.handleId,
      service: r.service,
      date: r.date,
      is_from_me: r.fromMe ? 1 : 0,
      amg: r.amg ?? null,
      amt: r.amt ?? 0,
      bbid: r.bbid ?? null,
      tog: r.tog ?? null,
      dci: r.me,
    });
    const id = Number(info.lastInsertRowid);
    this.s['joinMessage']!.run(r.chatId, id, r.date);
    if (r.attachment) {
      let size = 0;
      try {
        size = fs.statSync(r.attachment).size;
      } catch {
        size = 0;
      }
      const { mime, uti } = guessMime(r.attachment);
      const att = this.s['insertAttachment']!.run(newGuid(), r.attachment, uti, mime, path.basename(r.attachment), size);
      this.s['joinAttachment']!.run(id, Number(att.lastInsertRowid));
    }
    return { id, guid };
  }

  private insertUnsafe(opts: InjectOptions): InjectResult {
    const me = opts.me ?? DEFAULT_ME;
    const service = normService(opts.service);
    const fromMe = opts.fromMe ?? false;
    const from = opts.from?.trim() ?? '';
    let chatId: number;
    let group: boolean;
    let amg: string | null = null;
    let amt = 0;
    let text = opts.text;

    let target: { text: string | null; chat_id: number | null } | undefined;
    if (opts.reaction !== undefined) {
      if (!opts.targetGuid) throw new Error('--reaction requires --target-guid');
      target = this.s['targetMessage']!.get(opts.targetGuid) as typeof target;
      const { kind, emoji } = normalizeReaction(opts.reaction);
      amt = reactionTypeCode(kind, opts.removeReaction ?? false);
      amg = `p:0/${opts.targetGuid}`;
      text ??= reactionSummary(kind, emoji, target?.text ?? '', opts.removeReaction ?? false);
    }

    if (opts.group !== undefined) {
      chatId = this.ensureGroup(opts.group, service, me);
      group = true;
    } else if (opts.chatGuid) {
      chatId = this.ensureChat(opts.chatGuid, null, me);
      group = opts.chatGuid.includes(';+;');
    } else if (!from && target?.chat_id) {
      chatId = target.chat_id;
      const c = this.chatById(chatId);
      group = c?.guid.includes(';+;') ?? false;
    } else {
      if (!from) throw new Error('--from is required');
      chatId = this.ensureChat(`${service};-;${from}`, null, me);
      group = false;
    }

    for (const p of opts.participants ?? []) {
      const h = p.trim();
      if (h) this.s['joinHandle']!.run(chatId, this.ensureHandle(h, service));
    }
    let handleId = 0;
    if (from) {
      handleId = this.ensureHandle(from, service);
      this.s['joinHandle']!.run(chatId, handleId);
    }
    if (fromMe && group) handleId = 0;
    else if (!from && !group) handleId = this.firstHandle(chatId);

    let attachment: { abs: string } | undefined;
    if (opts.attachment) {
      attachment = { abs: path.resolve(opts.attachment) };
      text ??= '\uFFFC';
    }

    const row = this.insertRow({
      chatId,
      handleId,
      service,
      me,
      text: text ?? '',
      fromMe,
      date: appleNsFromMs(dateToMs(opts.date)),
      guid: opts.guid,
      amg,
      amt,
      bbid: opts.balloonBundleId,
      tog: opts.replyTo,
      attachment: attachment?.abs,
    });
    const { id, guid } = row;
    return { id, guid, chat_id: chatId };
  }
}

/** One-shot inject: opens the database, writes, closes. */
export function injectMessage(dbPath: string, opts: InjectOptions): InjectResult {
  const w = new SimWriter(dbPath);
  try {
    return w.injectMessage(opts);
  } finally {
    w.close();
  }
}

/** One-shot tapback inject. */
export function injectReaction(
  dbPath: string,
  opts: InjectOptions & { reaction: string; targetGuid: string },
): InjectResult {
  return injectMessage(dbPath, opts);
}
