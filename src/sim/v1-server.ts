import fs from 'node:fs';
import { appleNsFromMs, parseIso8601 } from './apple-time.js';
import { DbResource, type Generation } from './db-resource.js';
import type { FaultConfig } from './faults.js';
import { SimWriter } from './inject.js';
import { laneOf, LaneScheduler } from './lanes.js';
import { serveLines } from './line-reader.js';
import { afterQuery, messagesAfter } from './messages-after.js';
import type { Output } from './output.js';
import {
  BRIDGE_UNAVAILABLE,
  describeSqliteError,
  internalError,
  invalidParams,
  methodNotFound,
  RpcError,
  SERVER_BUSY,
} from './rpc-errors.js';
import { BRIDGE_NOT_STARTED, PROTOCOL_VERSION, statusSnapshot } from './status.js';
import { parseV1Line } from './v1-framing.js';
import { descriptorOf } from './v1-methods.js';
import { METHOD_SPECS, validateParams, type V1Params } from './v1-params.js';
import { handleV1Send, notStarted, type V1SendContext } from './v1-send.js';
import { handleTrackedSend } from './v1-tracked-send.js';
import { handleTapback } from './v1-tapback.js';
import { defaultBridgeLog } from './bridge-log.js';
import { handleSendStatus } from './send-status.js';
import { defaultSignalLog, SignalLog } from './signals.js';
import { LaneLog } from './lane-log.js';
import { type DeliveryObject, laneBlocked, poisoningObject, sendFaultFor } from './send-faults.js';
import type { WatchHub } from './watcher.js';

export const SUBSCRIPTION_LIMIT = 64;
const DEFAULT_BUFFER_LIMIT = 256;
const HOLD_POLL_MS = 20;

export interface V1ServerOptions {
  dbPath: string;
  output: Output;
  faults: FaultConfig;
  input: NodeJS.ReadableStream;
  me: string;
}

/** A result whose follow-up (starting a watch) must run after the response line is written. */
class After {
  constructor(
    readonly result: unknown,
    readonly followUp: () => void,
  ) {}
}

const busy = (data: string): RpcError => new RpcError(SERVER_BUSY, data);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function iso(p: V1Params, key: string): number | undefined {
  const raw = p.str(key);
  if (raw === undefined) return undefined;
  const ms = parseIso8601(raw);
  if (ms === null) throw invalidParams(`Invalid ISO8601 date: ${raw}`);
  return ms;
}

/**
 * The 0.15 profile server (openclaw/imsg 0.15.10, protocol v1): strict framing and params,
 * three lanes with the 128-request cap, a database that may be unavailable and recovers or
 * rotates in place, bounded watches with `watch.overflow`, `messages.after`.
 */
export class V1Server {
  private readonly db: DbResource;
  private readonly lanes = new LaneScheduler();
  private readonly subHubs = new Map<number, WatchHub>();
  private nextSub = 1;
  private liveSubs = 0;
  private shuttingDown = false;
  private writer: { gen: number; w: SimWriter } | null = null;
  private handled = 0;
  private hung = false;
  /** Valid sends that reached Messages: the delivery fault switches count them. */
  private sends = 0;
  /** File-only sends among them: the attachment-ambiguity switch counts these. */
  private fileOnlySends = 0;
  /** Set by a mutation that failed still_in_flight: every later mutation gets -32004 until restart (section 4.3). */
  private poison: DeliveryObject | undefined;

  /** Where typing and read are recorded (signals.ts). */
  private readonly signals: SignalLog;
  /** --lane-log: mutation-lane admissions, with what was ahead of each (lane-log.ts). */
  private readonly laneLog: LaneLog | undefined;
  /** `--without reactions`: a build whose database reports no reactions; include_reactions emits none. */
  private readonly reactionsOn: boolean;

  constructor(private readonly o: V1ServerOptions) {
    this.signals = new SignalLog(o.faults.signalLog ?? defaultSignalLog(o.dbPath));
    this.laneLog = o.faults.laneLog ? new LaneLog(o.faults.laneLog) : undefined;
    this.reactionsOn = !o.faults.without.has('reactions');
    this.db = new DbResource(o.dbPath, o.faults, o.output, {
      pollMs: o.faults.pollMs,
      batchLimit: o.faults.batchLimit,
      watchErrorAfter: o.faults.watchErrorAfter,
      allocateId: () => this.nextSub++,
      onEnd: (id) => {
        if (this.subHubs.has(id)) this.liveSubs--;
      },
    });
  }

  async run(): Promise<number> {
    await serveLines(this.o.input, (line) => this.admit(line));
    // EOF: admission is over; subscriptions end silently; accepted requests drain; exit 0.
    this.shuttingDown = true;
    for (const g of this.db.generations()) g.hub.cancelAll();
    await this.lanes.idle();
    this.writer?.w.close();
    this.db.close();
    return 0;
  }

  private respond(id: unknown, body: { result: unknown } | { error: unknown }): void {
    this.o.output.response({ jsonrpc: '2.0', id, ...body });
  }

  private hang(): void {
    if (this.hung) return;
    this.hung = true;
    this.o.output.hang();
    for (const g of this.db.generations()) g.hub.cancelAll();
    setInterval(() => undefined, 1 << 30);
  }

  private admit(line: string): void {
    const limit = this.o.faults.hangAfterRequests;
    if (this.hung || (limit !== undefined && this.handled >= limit)) return this.hang();
    this.handled++;
    const req = parseV1Line(line);
    if (req.kind === 'error') {
      if (req.respond) this.respond(req.id, { error: req.error.toJSON() });
      return;
    }
    const lane = laneOf(req.method);
    if (lane === 'mutation' && this.poison) {
      if (req.hasId) this.respond(req.id, { error: laneBlocked(this.poison).toJSON() });
      return;
    }
    const log = lane === 'mutation' ? this.laneLog : undefined;
    const run = () => this.execute(req.method, req.params, req.hasId, req.id);
    // The job may start within submit; its slot is freed later, once `seq` is known.
    let seq = 0;
    const admitted = this.lanes.submit(lane, log ? () => run().finally(() => log.finished(seq)) : run);
    if (admitted && log) seq = log.admitted(req.method, req.params, new Date());
    if (!admitted && req.hasId) this.respond(req.id, { error: busy('outstanding request limit exceeded').toJSON() });
  }

  private async execute(method: string, params: Record<string, unknown>, hasId: boolean, id: unknown): Promise<void> {
    try {
      // Mutations queued behind the poisoning one never run (section 4.3).
      if (this.poison && laneOf(method) === 'mutation') throw laneBlocked(this.poison);
      await this.faultDelays(method);
      const out = await this.dispatch(method, params);
      if (!hasId) {
        if (out instanceof After) out.followUp();
        return;
      }
      this.respond(id, { result: out instanceof After ? out.result : out });
      if (out instanceof After) setImmediate(out.followUp);
    } catch (err) {
      this.poison ??= poisoningObject(err);
      if (!hasId) return;
      const e = err instanceof RpcError ? err : internalError(err instanceof Error ? describeSqliteError(err) : String(err));
      this.respond(id, { error: e.toJSON() });
    }
  }

  /** --method-delay and --hold-flag: make lanes observable (the slot stays taken meanwhile). */
  private async faultDelays(method: string): Promise<void> {
    const delay = this.o.faults.methodDelays.get(method);
    if (delay) await sleep(delay);
    if (method === 'typing' && this.o.faults.slowTypingMs > 0) await sleep(this.o.faults.slowTypingMs);
    const hold = this.o.faults.holdFlag;
    if (hold && laneOf(method) !== 'control') while (fs.existsSync(hold)) await sleep(HOLD_POLL_MS);
  }

  private params(method: string, raw: Record<string, unknown>): V1Params {
    return validateParams(method, raw, METHOD_SPECS[method] ?? {});
  }

  private dispatch(method: string, raw: Record<string, unknown>): unknown {
    switch (method) {
      case 'initialize': {
        const v = this.params(method, raw).int('protocol_version');
        if (v !== undefined && v !== PROTOCOL_VERSION) {
          throw invalidParams(`unsupported protocol_version ${v}; supported version is ${PROTOCOL_VERSION}`);
        }
        return statusSnapshot(this.db, this.o.faults.trackedBridge, this.o.faults.without, this.o.faults.bridge, this.o.faults.tapbackEmoji);
      }
      case 'status':
        this.params(method, raw);
        return statusSnapshot(this.db, this.o.faults.trackedBridge, this.o.faults.without, this.o.faults.bridge, this.o.faults.tapbackEmoji);
      case 'chats.list':
        return this.chatsList(this.params(method, raw));
      case 'messages.history':
        return this.history(this.params(method, raw));
      case 'messages.after': {
        const q = afterQuery(this.params(method, raw));
        if (!this.reactionsOn) q.includeReactions = false;
        return messagesAfter(this.db.require(), q);
      }
      case 'watch.subscribe':
        return this.subscribe(this.params(method, raw));
      case 'watch.unsubscribe':
        return this.unsubscribe(this.params(method, raw));
      case 'send':
        return handleV1Send(this.params(method, raw), raw, this.sendContext());
      case 'send.tracked':
        return handleTrackedSend(this.params(method, raw), { ...this.sendContext(), bridge: this.o.faults.trackedBridge });
      case 'tapback':
        if (!this.o.faults.bridge) return this.bridgeOrUnknown(method);
        return handleTapback(this.params(method, raw), {
          db: this.db,
          me: this.o.me,
          writer: () => this.writerFor(this.db.require()),
          bridge: true,
          emojiVersion: this.o.faults.tapbackEmoji,
          bridgeLog: defaultBridgeLog(this.o.dbPath),
        });
      case 'message.send_status':
        return handleSendStatus(this.params(method, raw), () => this.db.require());
      case 'typing':
      case 'read': {
        if (this.o.faults.without.has(method)) throw methodNotFound(method);
        const p = this.params(method, raw);
        if (p.int('chat_id') !== undefined) this.db.require(); // a chat_id selector needs the database (§2.2)
        return method === 'typing' ? this.signals.typing(p, new Date()) : this.signals.read(p, new Date());
      }
      default:
        return this.bridgeOrUnknown(method);
    }
  }

  private sendContext(): V1SendContext {
    return {
      db: this.db,
      faults: this.o.faults,
      me: this.o.me,
      writer: () => this.writerFor(this.db.require()),
      nextFault: (fileOnly) => sendFaultFor(++this.sends, this.o.faults, fileOnly ? ++this.fileOnlySends : undefined),
      bridge: this.o.faults.trackedBridge,
      bridgeLog: defaultBridgeLog(this.o.dbPath),
    };
  }

  private bridgeOrUnknown(method: string): never {
    const d = descriptorOf(method);
    if (!d || !d.sim && !d.bridge) throw methodNotFound(method);
    if (method === 'bridge.events.subscribe') {
      throw new RpcError(BRIDGE_UNAVAILABLE, { detail: BRIDGE_NOT_STARTED, retryable: true }, 'Bridge events unavailable');
    }
    if (d.lane === 'read') throw new RpcError(BRIDGE_UNAVAILABLE, { detail: BRIDGE_NOT_STARTED, retryable: true });
    throw notStarted(method, BRIDGE_NOT_STARTED);
  }

  private writerFor(gen: Generation): SimWriter {
    if (this.writer?.gen !== gen.n) {
      this.writer?.w.close();
      this.writer = { gen: gen.n, w: new SimWriter(this.o.dbPath) };
    }
    return this.writer.w;
  }

  private chatsList(p: V1Params): unknown {
    const limit = p.int('limit') ?? 20;
    if (limit <= 0) throw invalidParams('limit must be a positive integer');
    const gen = this.db.require();
    if (p.bool('unread_only')) {
      throw invalidParams('unread_only is unavailable because this Messages database has no read-state column');
    }
    return { chats: gen.store.listChats(limit).map((row) => gen.payloads.chat(row)) };
  }

  private history(p: V1Params): unknown {
    const chatId = p.int('chat_id');
    if (chatId === undefined) throw invalidParams('chat_id is required');
    if (chatId <= 0) throw invalidParams('chat_id must be a positive integer');
    const limit = p.int('limit') ?? 50;
    if (limit <= 0) throw invalidParams('limit must be a positive integer');
    const start = iso(p, 'start');
    const end = iso(p, 'end');
    const gen = this.db.require();
    const rows = gen.store.history({
      chatId,
      limit,
      participants: p.strings('participants') ?? [],
      startNs: start === undefined ? undefined : appleNsFromMs(start),
      endNs: end === undefined ? undefined : appleNsFromMs(end),
    });
    const opts = { attachments: p.bool('attachments') ?? false, reactions: true, chatFields: true, reactionEvent: false };
    return { messages: rows.map((row) => gen.payloads.message(row, opts)) };
  }

  private subscribe(p: V1Params): After {
    const chatId = p.int('chat_id');
    if (chatId !== undefined && chatId <= 0) throw invalidParams('chat_id must be a positive integer');
    const debounceMs = p.int('debounce_ms') ?? 500;
    if (debounceMs < 0) throw invalidParams('debounce_ms must be a non-negative integer');
    const bufferLimit = p.int('buffer_limit') ?? DEFAULT_BUFFER_LIMIT;
    if (bufferLimit < 1 || bufferLimit > 4096) throw invalidParams('buffer_limit must be an integer between 1 and 4096');
    const startMs = iso(p, 'start');
    const endMs = iso(p, 'end');
    const gen = this.db.require();
    if (this.shuttingDown) throw busy('server is shutting down');
    if (this.liveSubs >= SUBSCRIPTION_LIMIT) throw busy('subscription limit exceeded');
    const since = p.int('since_rowid');
    const id = gen.hub.subscribe(
      {
        chatId,
        // 0 and absent both mean "from the tail"; negative replays everything.
        sinceRowid: since === undefined || since === 0 ? undefined : since,
        participants: p.strings('participants') ?? [],
        startMs,
        endMs,
        attachments: p.bool('attachments') ?? false,
        includeReactions: this.reactionsOn && (p.bool('include_reactions') ?? false),
        debounceMs: this.o.faults.forceDebounceMs ?? debounceMs,
        v1: { bufferLimit, overflowAfter: this.o.faults.overflowAfter },
      },
      true,
    );
    this.subHubs.set(id, gen.hub);
    this.liveSubs++;
    return new After({ subscription: id, buffer_limit: bufferLimit }, () => gen.hub.start(id));
  }

  private unsubscribe(p: V1Params): unknown {
    const id = p.int('subscription');
    if (id === undefined) throw invalidParams('subscription is required');
    if (id <= 0) throw invalidParams('subscription must be a positive integer');
    const hub = this.subHubs.get(id);
    if (hub) {
      hub.unsubscribe(id);
      this.subHubs.delete(id);
    }
    return { ok: true };
  }
}
