import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { automationDeniedNow, type FaultConfig, slowSendDelay } from './faults.js';
import type { ChatCache } from './chat-cache.js';
import { DEFAULT_ME, type SimWriter } from './inject.js';
import { intParam, stringParam, type Params } from './params.js';
import { AUTOMATION_DENIED_TEXT, internalError, invalidParams, RpcError, SIP_TEXT } from './rpc-errors.js';

export interface SendContext {
  cache: ChatCache;
  writer: () => SimWriter;
  faults: FaultConfig;
  me: string;
  /** Told the rows Messages wrote (the file row too), once they are written. */
  onRows?: (rows: { text?: { id: number; guid: string }; file?: { id: number; guid: string } }) => void;
}

export interface SendResult {
  ok: true;
  transport: 'applescript';
  id?: number;
  guid?: string;
}

const SERVICES = new Set(['auto', 'imessage', 'sms']);
const TRANSPORTS = new Set(['auto', 'bridge', 'applescript']);

function expandPath(p: string): string {
  const e = p === '~' || p.startsWith('~/') ? os.homedir() + p.slice(1) : p;
  return path.resolve(e);
}

function looksLikeHandle(s: string): boolean {
  return s.includes('@') || /^\+?[0-9\-(). ]+$/.test(s);
}

/** E.164-ish normalisation of a direct phone recipient (a stand-in for PhoneNumberKit). */
export function normalizeRecipient(to: string, region: string): string {
  const t = to.trim();
  if (t.includes('@') || !/^\+?[0-9\-(). ]+$/.test(t)) return t;
  const digits = t.replace(/\D/g, '');
  if (digits.length === 0) return t;
  if (t.startsWith('+')) return `+${digits}`;
  const r = region.toUpperCase();
  if (r === 'US' || r === 'CA') {
    if (digits.length === 10) return `+1${digits}`;
    if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  }
  return t;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** imsg 0.9 polls for the sent row for up to 2 s; a miss answers without id/guid. */
export const SENT_ROW_VERIFY_MS = 2000;

/**
 * --sent-row-delay-ms: Messages writes the rows `delayMs` after AppleScript returns. The send
 * waits for them up to 2 s; when they come later, `onMiss` drops the id/guid (the rows still
 * appear at `delayMs`).
 */
async function writeLate(write: () => void, delayMs: number, onMiss: () => void): Promise<void> {
  const written = new Promise<void>((resolve, reject) =>
    setTimeout(() => {
      try {
        write();
        resolve();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }, delayMs),
  );
  const outcome = await Promise.race([written.then(() => 'row' as const), sleep(SENT_ROW_VERIFY_MS).then(() => 'miss' as const)]);
  if (outcome === 'miss') {
    written.catch((err: unknown) => process.stderr.write(`imsg-sim: late sent row failed: ${String(err)}\n`));
    onMiss();
  }
}

/** `send` (protocol 4.5): validation order and texts, then the Messages.app row emulation. */
export async function handleSend(params: Params, ctx: SendContext): Promise<SendResult> {
  const text = stringParam(params['text']) ?? '';
  const file = stringParam(params['file']) ?? '';
  const serviceRaw = stringParam(params['service']) ?? 'auto';
  if (!SERVICES.has(serviceRaw)) throw invalidParams('invalid service');
  const transport = (stringParam(params['transport']) ?? 'auto').toLowerCase();
  if (!TRANSPORTS.has(transport)) throw invalidParams('invalid transport');
  const region = stringParam(params['region']) ?? 'US';

  const to = stringParam(params['to']) ?? '';
  const chatId = intParam(params['chat_id']);
  const chatIdentifier = stringParam(params['chat_identifier']) ?? '';
  const chatGuid = stringParam(params['chat_guid']) ?? '';
  const hasChatTarget = chatId !== undefined || chatIdentifier !== '' || chatGuid !== '';
  if (to !== '' && hasChatTarget) throw invalidParams('use to or chat_*; not both');
  if (to === '' && !hasChatTarget) throw invalidParams('to is required for direct sends');
  if (text === '' && file === '') throw invalidParams('text or file is required');

  let identifier = chatIdentifier;
  let guid = chatGuid;
  if (chatId !== undefined) {
    const info = ctx.cache.info(chatId);
    if (!info) throw invalidParams(`unknown chat_id ${chatId}`);
    identifier = info.identifier;
    guid = info.guid;
  }
  const preferred = guid !== '' ? guid : identifier;
  if (hasChatTarget && preferred === '') throw invalidParams('missing chat identifier or guid');

  const writer = ctx.writer();
  const svc = serviceRaw === 'sms' ? 'SMS' : 'iMessage';
  const recipient = hasChatTarget ? '' : normalizeRecipient(to, region);

  if (transport === 'bridge') {
    let known = hasChatTarget;
    if (!known) {
      const candidates =
        serviceRaw === 'sms'
          ? [`SMS;-;${recipient}`, `any;-;${recipient}`, recipient]
          : serviceRaw === 'imessage'
            ? [`iMessage;-;${recipient}`, `any;-;${recipient}`, recipient]
            : [`iMessage;-;${recipient}`, `any;-;${recipient}`, `SMS;-;${recipient}`, recipient];
      known = candidates.some((c) => writer.findChat(c) !== undefined);
    }
    if (!known) throw invalidParams('bridge transport requires an existing chat target');
    if (text !== '' && file !== '') throw invalidParams('bridge transport does not support text and file together');
    throw internalError(SIP_TEXT);
  }

  let attachment: string | undefined;
  if (file !== '') {
    attachment = expandPath(file);
    let ok = false;
    try {
      ok = fs.statSync(attachment).isFile();
    } catch {
      ok = false;
    }
    if (!ok) throw internalError(`AppleScript failed: Attachment not found at ${attachment}`);
  }

  const slowBefore = slowSendDelay(ctx.faults, 'before');
  if (slowBefore > 0) await sleep(slowBefore);
  if (automationDeniedNow(ctx.faults)) throw internalError(AUTOMATION_DENIED_TEXT);

  const me = ctx.me || DEFAULT_ME;
  let result: { id: number; guid: string } | undefined;
  let fileRow: { id: number; guid: string } | undefined;
  const writeRows = (): void => {
    writer.db.transaction(() => {
      let targetChat: number;
      let handleId: number;
      let service = svc;
      if (hasChatTarget) {
        const chat = chatId !== undefined ? writer.chatById(chatId) : writer.findChat(preferred);
        if (chat) {
          targetChat = chat.id;
          service = chat.service || svc;
          handleId = chat.guid.includes(';+;') || chat.identifier.includes(';+;') ? 0 : writer.firstHandle(chat.id);
        } else if (looksLikeHandle(identifier || preferred.split(';').pop() || '')) {
          const handle = identifier || preferred.split(';').pop() || preferred;
          const direct = writer.ensureDirectChat(handle, svc, me);
          targetChat = direct.chatId;
          handleId = direct.handleId;
        } else {
          throw internalError(`AppleScript failed: Messages got an error: Can’t get chat id "${preferred}". (-1728)`);
        }
      } else {
        const direct = writer.ensureDirectChat(recipient, svc, me);
        targetChat = direct.chatId;
        handleId = direct.handleId;
      }
      const base = { me, service, chatId: targetChat, handleId };
      // AppleScript sends the text first, then the file: Messages writes the rows in that order.
      if (text !== '') result = writer.insertOutgoing({ ...base, text });
      if (attachment) fileRow = writer.insertOutgoing({ ...base, text: '\uFFFC', attachment });
    }).immediate();
    ctx.onRows?.({ ...(result ? { text: result } : {}), ...(fileRow ? { file: fileRow } : {}) });
  };
  try {
    const lateRow = ctx.faults.sentRowDelayMs;
    if (lateRow > 0) await writeLate(writeRows, lateRow, () => (result = undefined));
    else writeRows();
  } catch (err) {
    if (err instanceof RpcError) throw err;
    throw internalError(`AppleScript failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const slowAfter = slowSendDelay(ctx.faults, 'after');
  if (slowAfter > 0) await sleep(slowAfter);
  const out: SendResult = { ok: true, transport: 'applescript' };
  if (result) {
    out.id = result.id;
    out.guid = result.guid;
  }
  return out;
}
