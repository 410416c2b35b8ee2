/**
 * Programmatic API of imsg-sim, for the demo, tests and benchmarks. Imports nothing from the
 * gateway.
 */
import { ChatCache } from './chat-cache.js';
import { PayloadBuilder } from './payloads.js';
import { ReadStore } from './queries.js';

export { initSimDb, SCHEMA_SQL } from './schema.js';
export {
  injectMessage,
  injectReaction,
  SimWriter,
  newGuid,
  DEFAULT_ME,
  type InjectOptions,
  type InjectResult,
} from './inject.js';
export { appleNsFromMs, msFromAppleNs, isoFromAppleNs, parseIso8601, APPLE_EPOCH_MS } from './apple-time.js';
export { encodeJson, encodeLine } from './json-line.js';
export { permissionBanner, permissionDump } from './permission-banner.js';
export { SIP_TEXT, AUTOMATION_DENIED_TEXT, JSON_PARSE_DATA } from './rpc-errors.js';
export { FAULT_DEFS, type FaultConfig } from './faults.js';
export { encodeAttributedBody, decodeAttributedBody } from './attributed-body.js';
export { main } from './cli.js';
export { snapshotDb, swapDb } from './db-swap.js';
export { readBridgeLog, defaultBridgeLog, type BridgeRecord, type FormattingRange } from './bridge-log.js';

export interface ReadMessagesOptions {
  /** Only this chat (history order: newest first). Without it: rows after `afterRowid`, oldest first. */
  chatId?: number;
  afterRowid?: number;
  limit?: number;
  attachments?: boolean;
}

/**
 * Reads message objects exactly as the RPC server would emit them (section 6.2 with chat fields).
 * With `chatId`: messages.history semantics. Otherwise: watch semantics (ROWID order, reactions
 * excluded).
 */
export function readMessages(dbPath: string, opts: ReadMessagesOptions = {}): Record<string, unknown>[] {
  const store = new ReadStore(dbPath);
  try {
    const builder = new PayloadBuilder(store, new ChatCache(store));
    const limit = Math.max(opts.limit ?? 50, 1);
    const attachments = opts.attachments ?? false;
    if (opts.chatId !== undefined) {
      return store
        .history({ chatId: opts.chatId, limit, participants: [] })
        .map((r) => builder.message(r, { attachments, reactions: true, chatFields: true, reactionEvent: false }));
    }
    return store
      .messagesAfter(opts.afterRowid ?? -1, undefined, false, limit)
      .map((r) => builder.message(r, { attachments, reactions: false, chatFields: true, reactionEvent: false }));
  } finally {
    store.close();
  }
}

/** chats.list as the RPC server would answer it. */
export function listChats(dbPath: string, limit = 20): Record<string, unknown>[] {
  const store = new ReadStore(dbPath);
  try {
    const builder = new PayloadBuilder(store, new ChatCache(store));
    return store.listChats(Math.max(limit, 1)).map((r) => builder.chat(r));
  } finally {
    store.close();
  }
}

/** The highest message ROWID (0 for an empty database). */
export function maxRowid(dbPath: string): number {
  const store = new ReadStore(dbPath);
  try {
    return store.maxRowid();
  } finally {
    store.close();
  }
}
