/**
 * An account's chats, through its own imsg (`chats.list`, as `imsg chats --limit N` does): what
 * `imessage-gateway chats` prints, to find the chat_id for targets and config. One short-lived
 * imsg child with the account's settings; imsg allows several readers of chat.db, so this works
 * beside the account's own child. Used by the running gateway (`GET /api/chats`, its running
 * config) and by the CLI when no gateway runs (the config file).
 */
import type { AccountConfig, GatewayConfig } from '../config/index.js';
import { ImsgRpcClient } from '../imsg/rpc-client.js';
import type { ImsgChat } from '../imsg/types.js';
import { systemClock } from '../util/clock.js';

export async function listChats(account: AccountConfig, supervision: GatewayConfig['gateway']['supervision'], limit: number): Promise<ImsgChat[]> {
  const client = new ImsgRpcClient({
    cliPath: account.cliPath,
    ...(account.dbPath ? { dbPath: account.dbPath } : {}),
    clock: systemClock,
    requestTimeoutMs: supervision.readTimeoutMs,
    stopTimeoutMs: supervision.stopTimeoutMs,
  });
  try {
    await client.start();
    const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit });
    return chats;
  } finally {
    await client.stop();
  }
}
