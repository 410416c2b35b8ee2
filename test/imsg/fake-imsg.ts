/** The fake `imsg rpc` of the client tests (emitting-imsg.mjs) and the notification lines they make it write. */
import { fileURLToPath } from 'node:url';

export const FAKE_IMSG = fileURLToPath(new URL('./emitting-imsg.mjs', import.meta.url));

/** A `message` notification line on subscription 1 for row `id` (a DM from one sender). */
export function notification(id: number): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    method: 'message',
    params: { subscription: 1, message: { id, chat_id: 7, guid: `g-${id}`, sender: '+15555550100', text: 'x', is_from_me: false, created_at: '2026-11-30T10:00:00Z', attachments: [] } },
  });
}
