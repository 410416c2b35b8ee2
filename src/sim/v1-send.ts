import { appendBridgeRecord, checkFormatting, type FormattingRange } from './bridge-log.js';
import type { DbResource } from './db-resource.js';
import type { FaultConfig } from './faults.js';
import type { SimWriter } from './inject.js';
import { INTERNAL_ERROR, invalidParams, RpcError } from './rpc-errors.js';
import { handleSend, normalizeRecipient } from './send.js';
import { BRIDGE_NOT_STARTED } from './status.js';
import type { V1Params } from './v1-params.js';
import { sendFaultError, type SendFault } from './send-faults.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SERVICES = new Set(['auto', 'imessage', 'sms']);
const TRANSPORTS = new Set(['auto', 'bridge', 'applescript']);
const REPLY_NEEDS_BRIDGE = 'reply_to requires bridge transport; AppleScript fallback cannot send threaded replies';

/** -32603 `Delivery failed before dispatch` with the not_started delivery object (section 5.1). */
export function notStarted(operation: string, detail: string, transport = 'bridge_v2'): RpcError {
  return new RpcError(
    INTERNAL_ERROR,
    { retry_safe: true, disposition: 'not_started', transport, operation, detail },
    'Delivery failed before dispatch',
  );
}

export interface V1SendContext {
  db: DbResource;
  faults: FaultConfig;
  me: string;
  writer: () => SimWriter;
  /** The delivery fault of this send (called once per valid send that reaches Messages). */
  nextFault?: (fileOnly: boolean) => SendFault | undefined;
  /** An emulated bridge is ready (--bridge or --tracked-bridge): `reply_to` and `text_formatting` are rendered. */
  bridge?: boolean;
  /** Where the bridge records what it rendered (bridge-log.ts). */
  bridgeLog?: string;
}

/** The chat a send goes to, as the bridge resolves it: the named chat, or the recipient's direct chat. */
export function resolveSendChat(
  t: V1Target,
  writer: SimWriter,
  region: string,
): { id: number; guid: string; identifier: string; service: string } | undefined {
  if (t.hasChat) return t.chatId !== undefined ? writer.chatById(t.chatId) : writer.findChat((t.guid ?? t.ident)!);
  const r = normalizeRecipient(t.to!, region);
  const candidates =
    t.service === 'sms'
      ? [`SMS;-;${r}`, `any;-;${r}`]
      : t.service === 'imessage'
        ? [`iMessage;-;${r}`, `any;-;${r}`]
        : [`iMessage;-;${r}`, `any;-;${r}`, `SMS;-;${r}`];
  for (const c of candidates) {
    const hit = writer.findChat(c);
    if (hit) return hit;
  }
  return undefined;
}

/** What the bridge renders for a send: the reply's thread and the formatting ranges (both bridge only). */
export interface BridgeExtras {
  replyTo?: string;
  /** thread_originator_guid of the sent row: the parent's thread root, else the parent itself. */
  threadOriginator?: string;
  formatting?: FormattingRange[];
}

/**
 * Checks `reply_to` and `text_formatting` before dispatch. Without a bridge: `reply_to` is
 * -32602 (current spec §8.1) and `text_formatting` is ignored, as AppleScript does. With one: the
 * reply target must be a message in chat.db (0.15.10 rejects unresolved replies before dispatch)
 * and the ranges must fit the text.
 */
export function bridgeExtras(p: V1Params, text: string, ctx: V1SendContext, writer: (() => SimWriter) | undefined): BridgeExtras {
  const replyTo = (p.str('reply_to') ?? '').trim();
  const out: BridgeExtras = {};
  if (replyTo !== '') {
    // --refuse-reply-to: the bridge advertised it at status but is gone by the send (§8.1).
    if (!ctx.bridge || ctx.faults.refuseReplyTo) throw invalidParams(REPLY_NEEDS_BRIDGE);
    const target = replyTo.includes('/') ? replyTo.slice(replyTo.lastIndexOf('/') + 1) : replyTo;
    const parent = writer?.().db.prepare('SELECT guid, thread_originator_guid AS tog FROM message WHERE guid = ? LIMIT 1').get(target) as
      | { guid: string; tog: string | null }
      | undefined;
    if (writer && !parent) throw notStarted('send', 'The reply target could not be resolved to a message; nothing was sent.');
    out.replyTo = replyTo;
    out.threadOriginator = parent?.tog || target;
  }
  const fmt = p.objects('text_formatting');
  if (ctx.bridge && fmt !== undefined && fmt.length > 0) out.formatting = checkFormatting(fmt, text);
  return out;
}

/** Marks the sent row as a threaded reply and records what the bridge rendered. */
export function applyBridgeExtras(
  extras: BridgeExtras,
  method: 'send' | 'send.tracked',
  row: { id: number; guid: string },
  writer: SimWriter,
  log: string | undefined,
): void {
  if (extras.replyTo === undefined && extras.formatting === undefined) return;
  if (extras.threadOriginator) {
    writer.db.prepare('UPDATE message SET thread_originator_guid = ? WHERE ROWID = ?').run(extras.threadOriginator, row.id);
  }
  if (log) {
    appendBridgeRecord(log, {
      at: new Date().toISOString(),
      method,
      guid: row.guid,
      rowid: row.id,
      ...(extras.replyTo !== undefined ? { reply_to: extras.replyTo } : {}),
      ...(extras.threadOriginator !== undefined ? { thread_originator_guid: extras.threadOriginator } : {}),
      ...(extras.formatting !== undefined ? { text_formatting: extras.formatting } : {}),
    });
  }
}

export interface V1Target {
  to: string | undefined;
  chatId: number | undefined;
  ident: string | undefined;
  guid: string | undefined;
  /** A chat selector was given (not `to`). */
  hasChat: boolean;
  /** `auto` | `imessage` | `sms`. */
  service: string;
  transport: string;
}

/** The shape checks `send` and `send.tracked` share: one target, service and transport values. */
export function v1Target(p: V1Params): V1Target {
  const to = p.str('to');
  const chatId = p.int('chat_id');
  const ident = p.str('chat_identifier');
  const guid = p.str('chat_guid');
  const selectors = [chatId, ident, guid].filter((x) => x !== undefined).length;
  if (to !== undefined && selectors > 0) throw invalidParams('use to or exactly one chat selector; not both');
  if (to === undefined && selectors !== 1) {
    throw invalidParams('exactly one of chat_id, chat_identifier, or chat_guid is required');
  }
  if (to === '') throw invalidParams('to must be a non-empty string');
  if (chatId !== undefined && chatId <= 0) throw invalidParams('chat_id must be a positive integer');
  if (ident === '') throw invalidParams('chat_identifier must be a non-empty string');
  if (guid === '') throw invalidParams('chat_guid must be a non-empty string');
  const service = p.str('service') ?? 'auto';
  if (!SERVICES.has(service)) throw invalidParams('invalid service');
  const transport = (p.str('transport') ?? 'auto').toLowerCase();
  if (!TRANSPORTS.has(transport)) throw invalidParams('invalid transport');
  return { to, chatId, ident, guid, hasChat: selectors > 0, service, transport };
}

/**
 * v1 `send` (current spec sections 3.3 and 8.1) over the AppleScript emulation of send.ts. Without
 * the database it skips the row and verification and answers `{ok, transport}` (plus chat_guid /
 * service when the request names them).
 */
export async function handleV1Send(p: V1Params, raw: Record<string, unknown>, ctx: V1SendContext): Promise<unknown> {
  if (p.has('attempt_id')) throw invalidParams('attempt_id is only supported by send.tracked');
  const { to, chatId, ident, guid, hasChat, service, transport } = v1Target(p);
  const text = p.str('text') ?? '';
  const file = p.str('file') ?? '';
  if (text === '' && file === '') throw invalidParams('text or file is required');

  const gen = chatId !== undefined ? ctx.db.require() : ctx.db.probe();
  if (gen && chatId !== undefined && !gen.cache.info(chatId)) throw invalidParams(`unknown chat_id ${chatId}`);
  if (transport === 'bridge' && !ctx.bridge) {
    if (!hasChat) throw invalidParams('bridge transport requires an existing chat target');
    throw notStarted('send', BRIDGE_NOT_STARTED);
  }
  const target: V1Target = { to, chatId, ident, guid, hasChat, service, transport };
  const writer = gen ? ctx.writer : undefined;
  if (ctx.bridge && (p.str('reply_to') ?? '').trim() !== '' && writer && !resolveSendChat(target, writer(), p.str('region') ?? 'US')) {
    // §8.1: no bridge chat GUID, and a reply cannot go by AppleScript.
    throw invalidParams(REPLY_NEEDS_BRIDGE);
  }
  const extras = bridgeExtras(p, text, ctx, writer);
  const bridged = extras.replyTo !== undefined || extras.formatting !== undefined;
  const explicitService = service === 'sms' ? 'SMS' : service === 'imessage' ? 'iMessage' : undefined;
  if (!gen) {
    const out: Record<string, unknown> = { ok: true, transport: bridged ? 'bridge' : 'applescript' };
    if (guid !== undefined) out['chat_guid'] = guid;
    if (explicitService) out['service'] = explicitService;
    return out;
  }
  const legacy = { ...raw };
  for (const k of ['reply_to', 'replyTo', 'reply_to_guid', 'message_guid', 'text_formatting', 'textFormatting', 'formatting']) delete legacy[k];
  const fileOnly = text === '' && file !== '';
  const fault = ctx.nextFault?.(fileOnly);
  if (fault === 'not-started') throw sendFaultError(fault);
  const window = ctx.faults.verifyWindowMs;
  if (fault === 'no-row') {
    // Messages wrote nothing: imsg polls the whole window, then gives up (section 8.2).
    await sleep(window);
    throw sendFaultError(fault, { fileOnly });
  }
  if (fault === 'ghost-row') {
    const chatGuid = guid ?? ident ?? (chatId !== undefined ? gen.cache.info(chatId)?.guid : undefined);
    const target = chatGuid ?? normalizeRecipient(to ?? '', p.str('region') ?? 'US');
    const svc = explicitService ?? 'iMessage';
    const rowid = ctx.writer().insertGhostRow(target, svc, ctx.me);
    await sleep(window);
    throw sendFaultError(fault, { ghostRowid: rowid });
  }
  let fileRow: { id: number; guid: string } | undefined;
  const sent = await handleSend(legacy, {
    cache: gen.cache,
    writer: ctx.writer,
    faults: ctx.faults,
    me: ctx.me,
    onRows: (rows) => (fileRow = rows.file),
  });
  if (fault === 'attachment-ambiguous' && fileRow) {
    // Two rows match the staged file: imsg cannot tell which is its receipt, so it finds none.
    ctx.writer().duplicateOutgoing(fileRow.id);
    await sleep(window);
    throw sendFaultError(fault, { fileOnly });
  }
  // The row is written (the message went out); imsg could not confirm it (section 8.3).
  if (fault) throw sendFaultError(fault, { fileOnly });
  // 0.15.10: a file-only send is verified by its attachment row, and returns that row's id.
  const out: Record<string, unknown> = fileOnly && fileRow ? { ...sent, id: fileRow.id, guid: fileRow.guid } : { ...sent };
  if (bridged && typeof out['id'] === 'number' && typeof out['guid'] === 'string') {
    applyBridgeExtras(extras, 'send', { id: out['id'], guid: out['guid'] }, ctx.writer(), ctx.bridgeLog);
    out['transport'] = 'bridge';
  }
  if (typeof out['guid'] === 'string' && typeof out['id'] === 'number') {
    out['message_id'] = out['guid'];
    const row = ctx
      .writer()
      .db.prepare(
        `SELECT m.service AS service, c.guid AS chat_guid FROM message m
         LEFT JOIN chat_message_join cmj ON cmj.message_id = m.ROWID LEFT JOIN chat c ON c.ROWID = cmj.chat_id
         WHERE m.ROWID = ? ORDER BY cmj.chat_id LIMIT 1`,
      )
      .get(out['id']) as { service: string | null; chat_guid: string | null } | undefined;
    if (row?.service) out['service'] = row.service;
    if (row?.chat_guid) out['chat_guid'] = row.chat_guid;
  }
  if (out['service'] === undefined && explicitService) out['service'] = explicitService;
  if (out['chat_guid'] === undefined && guid !== undefined) out['chat_guid'] = guid;
  return out;
}
