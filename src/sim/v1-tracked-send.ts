import { invalidParams } from './rpc-errors.js';
import { sendFaultError } from './send-faults.js';
import type { V1Params } from './v1-params.js';
import { applyBridgeExtras, bridgeExtras, notStarted, resolveSendChat, v1Target, type V1SendContext } from './v1-send.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const ATTEMPT_USED_DETAIL = 'attempt_id already identifies a message; choose a new UUID';
export const NO_CALLER_GUIDS_DETAIL = 'running bridge does not support caller-owned message GUIDs';
const NEEDS_CHAT = 'bridge transport requires an existing chat target';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface TrackedSendContext extends V1SendContext {
  /** The emulated bridge is running and reserves caller-owned GUIDs (--tracked-bridge). */
  bridge: boolean;
}

/**
 * v1 `send.tracked` (current spec sections 3.3 and 8.4) over an emulated bridge: the message row
 * gets the caller's attempt id (lowercased) as its GUID, so `message.send_status` finds it, and a
 * second send with the same id is refused before dispatch. Delivery faults (--send-*-every) count
 * tracked sends together with plain ones.
 */
export async function handleTrackedSend(p: V1Params, ctx: TrackedSendContext): Promise<unknown> {
  const t = v1Target(p);
  const { chatId, transport } = t;
  const rawAttempt = p.str('attempt_id');
  if (rawAttempt === undefined || !UUID.test(rawAttempt.trim())) throw invalidParams('attempt_id must be a UUID');
  const attemptId = rawAttempt.trim().toLowerCase();
  const text = p.str('text') ?? '';
  const file = p.str('file') ?? '';
  if (text === '' && file === '') throw invalidParams('text or file is required');
  if (text === '' || file !== '') throw invalidParams('send.tracked supports exactly one text message');
  if (transport === 'applescript') throw invalidParams('send.tracked requires bridge transport');
  const gen = ctx.db.require();
  if (chatId !== undefined && !gen.cache.info(chatId)) throw invalidParams(`unknown chat_id ${chatId}`);
  const writer = ctx.writer();
  const existing = writer.db.prepare('SELECT ROWID FROM message WHERE lower(guid) = ? LIMIT 1').get(attemptId);
  if (existing !== undefined) throw notStarted('send', ATTEMPT_USED_DETAIL);

  // The bridge needs an existing chat: the named one, or the recipient's direct chat.
  const chat = resolveSendChat(t, writer, p.str('region') ?? 'US');
  if (!chat || (transport === 'auto' && !ctx.bridge)) throw invalidParams(NEEDS_CHAT);
  if (!ctx.bridge) throw notStarted('send', NO_CALLER_GUIDS_DETAIL);
  const extras = bridgeExtras(p, text, ctx, () => writer);

  const fault = ctx.nextFault?.(false);
  if (fault === 'not-started') throw sendFaultError(fault, { transport: 'bridge_v2' });
  if (fault === 'no-row') {
    // The bridge never confirmed, and Messages wrote nothing: imsg waits, then cannot tell.
    await sleep(ctx.faults.verifyWindowMs);
    throw sendFaultError(fault, { transport: 'bridge_v2' });
  }
  const handleId = chat.guid.includes(';+;') ? 0 : writer.firstHandle(chat.id);
  const row = writer.db
    .transaction(() =>
      writer.insertOutgoing({ chatId: chat.id, handleId, service: chat.service || 'iMessage', me: ctx.me, text, guid: attemptId }),
    )
    .immediate();
  applyBridgeExtras(extras, 'send.tracked', row, writer, ctx.bridgeLog);
  // The message went out under the caller's GUID; the bridge's answer is what failed.
  if (fault === 'unknown' || fault === 'in-flight') throw sendFaultError(fault, { transport: 'bridge_v2' });
  // The ghost-row and attachment faults belong to the AppleScript path: a tracked send they hit goes through.
  return {
    ok: true,
    transport: 'bridge',
    guid: row.guid,
    message_id: row.guid,
    chat_guid: chat.guid,
    service: chat.service || 'iMessage',
    attempt_id: attemptId,
  };
}
