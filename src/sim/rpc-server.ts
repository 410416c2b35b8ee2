import { isSqliteError } from '../sqlite/index.js';
import { parseIso8601, appleNsFromMs } from './apple-time.js';
import { ChatCache } from './chat-cache.js';
import type { FaultConfig } from './faults.js';
import { SimWriter } from './inject.js';
import { serveLines } from './line-reader.js';
import type { Output } from './output.js';
import { boolParam, debounceParam, intParam, stringArrayParam, stringParam, type Params } from './params.js';
import { PayloadBuilder } from './payloads.js';
import type { ReadStore } from './queries.js';
import { parseRequestLine } from './request-parser.js';
import {
  GENERIC_SQLITE_TEXT,
  internalError,
  invalidParams,
  methodNotFound,
  RpcError,
  SIP_TEXT,
} from './rpc-errors.js';
import { replayFile } from './replay.js';
import { handleSend } from './send.js';
import { WatchHub } from './watcher.js';

/** Methods that need the IMCore bridge: on a stock Mac they fail with the SIP text. */
export const BRIDGE_METHODS = new Set([
  'send.rich',
  'send.attachment',
  'tapback',
  'typing',
  'read',
  'message.edit',
  'message.unsend',
  'message.delete',
  'message.notifyAnyways',
  'chats.create',
  'chats.delete',
  'chats.markUnread',
  'group.rename',
  'group.setIcon',
  'group.addParticipant',
  'group.removeParticipant',
  'group.leave',
]);

export interface RpcServerOptions {
  dbPath: string;
  store: ReadStore;
  output: Output;
  faults: FaultConfig;
  input: NodeJS.ReadableStream;
  me: string;
}

function isoParam(params: Params, key: string): number | undefined {
  const raw = stringParam(params[key]);
  if (raw === undefined) return undefined;
  const ms = parseIso8601(raw);
  if (ms === null) throw internalError(`Invalid ISO8601 date: ${raw}`);
  return ms;
}

/**
 * The JSON-RPC server: requests handled one at a time, in arrival order; notifications flow
 * independently. Resolves with the exit code at stdin EOF (never, once hung).
 */
export class RpcServer {
  private readonly cache: ChatCache;
  private readonly payloads: PayloadBuilder;
  private readonly hub: WatchHub;
  private writer: SimWriter | null = null;
  private handled = 0;
  private hung = false;
  private replayStarted = false;

  constructor(private readonly o: RpcServerOptions) {
    this.cache = new ChatCache(o.store);
    this.payloads = new PayloadBuilder(o.store, this.cache);
    this.hub = new WatchHub(
      o.store,
      this.payloads,
      o.output,
      { pollMs: o.faults.pollMs, batchLimit: o.faults.batchLimit, watchErrorAfter: o.faults.watchErrorAfter },
      o.dbPath,
    );
  }

  async run(): Promise<number> {
    await serveLines(this.o.input, (line) => this.handleLine(line));
    this.close();
    return 0;
  }

  close(): void {
    this.hub.cancelAll();
    this.writer?.close();
    this.writer = null;
  }

  private hang(): Promise<never> {
    this.hung = true;
    this.o.output.hang();
    this.hub.cancelAll();
    setInterval(() => undefined, 1 << 30);
    return new Promise<never>(() => undefined);
  }

  private async handleLine(line: string): Promise<void> {
    const limit = this.o.faults.hangAfterRequests;
    if (this.hung || (limit !== undefined && this.handled >= limit)) return this.hang();
    this.handled++;
    const parsed = parseRequestLine(line);
    if (parsed.kind === 'error') {
      this.o.output.response({ jsonrpc: '2.0', id: parsed.id, error: parsed.error.toJSON() });
      return;
    }
    try {
      const result = await this.dispatch(parsed.method, parsed.params);
      if (parsed.hasId) this.o.output.response({ jsonrpc: '2.0', id: parsed.id, result });
    } catch (err) {
      const e = err instanceof RpcError ? err : internalError(this.describe(err));
      this.o.output.response({ jsonrpc: '2.0', id: parsed.id, error: e.toJSON() });
    }
  }

  private describe(err: unknown): string {
    if (isSqliteError(err)) return GENERIC_SQLITE_TEXT;
    return err instanceof Error ? err.message : String(err);
  }

  private dispatch(method: string, params: Params): unknown {
    switch (method) {
      case 'chats.list':
        return this.chatsList(params);
      case 'messages.history':
        return this.history(params);
      case 'watch.subscribe':
        return this.subscribe(params);
      case 'watch.unsubscribe':
        return this.unsubscribe(params);
      case 'send':
        return handleSend(params, {
          cache: this.cache,
          writer: () => (this.writer ??= new SimWriter(this.o.dbPath)),
          faults: this.o.faults,
          me: this.o.me,
        });
      default:
        if (BRIDGE_METHODS.has(method)) throw internalError(SIP_TEXT);
        throw methodNotFound(method);
    }
  }

  private chatsList(params: Params): unknown {
    const limit = Math.max(intParam(params['limit']) ?? 20, 1);
    return { chats: this.o.store.listChats(limit).map((row) => this.payloads.chat(row)) };
  }

  private history(params: Params): unknown {
    const chatId = intParam(params['chat_id']);
    if (chatId === undefined) throw invalidParams('chat_id is required');
    const limit = Math.max(intParam(params['limit']) ?? 50, 1);
    const participants = stringArrayParam(params['participants']);
    const start = isoParam(params, 'start');
    const end = isoParam(params, 'end');
    const attachments = boolParam(params['attachments']) ?? false;
    const rows = this.o.store.history({
      chatId,
      limit,
      participants,
      startNs: start === undefined ? undefined : appleNsFromMs(start),
      endNs: end === undefined ? undefined : appleNsFromMs(end),
    });
    const opts = { attachments, reactions: true, chatFields: true, reactionEvent: false };
    return { messages: rows.map((row) => this.payloads.message(row, opts)) };
  }

  private subscribe(params: Params): unknown {
    const chatId = intParam(params['chat_id']);
    const sinceRowid = intParam(params['since_rowid']);
    const participants = stringArrayParam(params['participants']);
    const startMs = isoParam(params, 'start');
    const endMs = isoParam(params, 'end');
    const attachments = boolParam(params['attachments']) ?? false;
    const includeReactions = boolParam(params['include_reactions']) ?? false;
    const asked = debounceParam(params, 500);
    if (asked === 'invalid') throw invalidParams('debounce_ms must be a non-negative integer');
    // Benchmark override (IMSG_SIM_DEBOUNCE_MS): not what imsg does.
    const debounceMs = this.o.faults.forceDebounceMs ?? asked;
    const subscription = this.hub.subscribe({
      chatId,
      sinceRowid,
      participants,
      startMs,
      endMs,
      attachments,
      includeReactions,
      debounceMs,
    });
    this.maybeStartReplay(subscription);
    return { subscription };
  }

  /**
   * Replay mode (benchmark knob): once per process, after the first subscribe has been answered
   * (setImmediate runs after the response is written), stream the replay file's notifications.
   */
  private maybeStartReplay(subscription: number): void {
    const file = this.o.faults.replay;
    if (!file || this.replayStarted) return;
    this.replayStarted = true;
    setImmediate(() => {
      replayFile(file, subscription, process.stdout, () => this.o.output.stopped || this.hung).then(
        (r) => process.stderr.write(`imsg-sim replay: ${r.lines} lines, ${r.bytes} bytes in ${r.ms} ms\n`),
        (err: unknown) => process.stderr.write(`imsg-sim replay failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    });
  }

  private unsubscribe(params: Params): unknown {
    const id = intParam(params['subscription']);
    if (id === undefined) throw invalidParams('subscription is required');
    this.hub.unsubscribe(id);
    return { ok: true };
  }
}
