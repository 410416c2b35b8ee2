/**
 * `imessage-gateway chats [--account ID] [--limit 20] [--json]`: lists an account's chats through
 * its own imsg (as `imsg chats --limit 20` does), to find the chat_id for targets and config.
 * While a gateway runs, it is asked (`GET /api/chats`): the accounts and their cliPath/dbPath are
 * the running gateway's, not whatever the config file says now. With no gateway running, the
 * config file's.
 */
import { resolveHome } from '../config/index.js';
import type { ImsgChat } from '../imsg/types.js';
import { pickAccount } from '../supervisor/enqueue-send.js';
import { listChats } from '../supervisor/list-chats.js';
import { errorText } from '../util/typed-error.js';
import { loadConfigSource } from './config-source.js';
import { callGateway, errorOf } from './control-client.js';

export class ChatsUsageError extends Error {}

export async function chatsCommand(
  opts: { account?: string; limit?: string; json?: boolean; config?: string },
  out: (line: string) => void,
): Promise<number> {
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new ChatsUsageError(`--limit must be a whole number ≥ 1, got ${JSON.stringify(opts.limit)}`);
  const home = resolveHome();
  const query = new URLSearchParams({ limit: String(limit), ...(opts.account ? { account: opts.account } : {}) });
  const live = await callGateway(home, 'GET', `/api/chats?${query.toString()}`, undefined, 60_000);
  let accountId: string;
  let chats: ImsgChat[];
  if (live) {
    if (live.status === 400 || live.status === 404) throw new ChatsUsageError(`chats: ${errorOf(live)} (--account ID)`);
    if (live.status !== 200) throw new Error(`chats: ${errorOf(live)}`);
    ({ account: accountId, chats } = live.body as { account: string; chats: ImsgChat[] });
  } else {
    const { config } = loadConfigSource(home, opts.config);
    try {
      accountId = pickAccount(opts.account, config.accounts.filter((a) => a.enabled).map((a) => a.id));
    } catch (err) {
      throw new ChatsUsageError(`chats: ${(err as Error).message} (--account ID)`);
    }
    const account = config.accounts.find((a) => a.id === accountId)!;
    try {
      chats = await listChats(account, config.gateway.supervision, limit);
    } catch (err) {
      throw new Error(`chats: account ${accountId}: ${errorText(err, 'lines')}`, { cause: err });
    }
  }
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
}
