/**
 * `imessage-gateway chats [--account ID] [--limit 20] [--json]`: lists an account's chats through
 * its own imsg (as `imsg chats --limit 20` does), to find the chat_id for targets and config.
 * Works whether the gateway runs or not: imsg allows several readers of chat.db.
 */
import { resolveHome } from '../config/index.js';
import { ImsgRpcClient } from '../imsg/rpc-client.js';
import type { ImsgChat } from '../imsg/types.js';
import { pickAccount } from '../supervisor/enqueue-send.js';
import { systemClock } from '../util/clock.js';
import { errorText } from '../util/typed-error.js';
import { loadConfigSource } from './config-source.js';

export class ChatsUsageError extends Error {}

export async function chatsCommand(
  opts: { account?: string; limit?: string; json?: boolean; config?: string },
  out: (line: string) => void,
): Promise<number> {
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ChatsUsageError(`--limit must be a whole number ≥ 1, got ${JSON.stringify(opts.limit)}`);
  const { config } = loadConfigSource(resolveHome(), opts.config);
  let accountId: string;
  try {
    accountId = pickAccount(opts.account, config.accounts.filter((a) => a.enabled).map((a) => a.id));
  } catch (err) {
    throw new ChatsUsageError(`chats: ${(err as Error).message} (--account ID)`);
  }
  const account = config.accounts.find((a) => a.id === accountId)!;
  const s = config.gateway.supervision;
  const client = new ImsgRpcClient({
    cliPath: account.cliPath,
    ...(account.dbPath ? { dbPath: account.dbPath } : {}),
    clock: systemClock,
    requestTimeoutMs: s.readTimeoutMs,
    stopTimeoutMs: s.stopTimeoutMs,
  });
  try {
    await client.start();
    const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit });
    for (const chat of chats) {
      if (opts.json) {
        out(JSON.stringify(chat));
        continue;
      }
      const who = chat.is_group ? chat.participants.join(', ') : chat.identifier;
      out(`chat_id:${chat.id}  ${chat.is_group ? 'group' : 'dm   '}  ${chat.name || chat.identifier}  (${who})  last ${chat.last_message_at}`);
    }
    if (!opts.json && chats.length === 0) out(`no chats on account ${accountId}`);
    return 0;
  } catch (err) {
    throw new Error(`chats: account ${accountId}: ${errorText(err, 'lines')}`, { cause: err });
  } finally {
    await client.stop();
  }
}
