import fs from 'node:fs';
import path from 'node:path';
import { msFromAppleNs } from './apple-time.js';
import type { Output } from './output.js';
import type { PayloadBuilder } from './payloads.js';
import { senderOf } from './payloads.js';
import type { MessageRow, ReadStore } from './queries.js';
import { describeSqliteError } from './rpc-errors.js';

export interface SubscriptionSpec {
  chatId?: number | undefined;
  sinceRowid?: number | undefined;
  participants: string[];
  startMs?: number | undefined;
  endMs?: number | undefined;
  attachments: boolean;
  includeReactions: boolean;
  debounceMs: number;
  /** v1 (0.15 profile) behaviour: drain, unjoined-row stall, one row per message, overflow. */
  v1?: V1WatchSpec | undefined;
}

/** The 0.14+ watcher additions (current spec sections 6.2 and 6.3). */
export interface V1WatchSpec {
  bufferLimit: number;
  /** Fault switch: overflow at the first eligible message after this many were buffered. */
  overflowAfter?: number | undefined;
}

const UNJOINED_RETRIES = 20;

export interface WatchOptions {
  pollMs: number;
  batchLimit: number;
  watchErrorAfter?: number | undefined;
  /** Subscription ids from a shared allocator (v1: one id space across DB generations). */
  allocateId?: () => number;
  /** Called once when a subscription ends (cancelled, overflowed or failed). */
  onEnd?: (id: number) => void;
}

const URL_BALLOON = 'com.apple.messages.URLBalloonProvider';
const BALLOON_WINDOW_MS = 90_000;
const BALLOON_RETENTION_MS = 600_000;
/**
 * Looks after a file event's poll, while they find nothing new: a file event can come before the
 * writer's commit is visible (the WAL frames are written before the wal-index header), and on a
 * loaded machine the writer may not get to the header for a while. About 0.2 s in all, and a new
 * file event starts over (its own debounce first), so a debounce is never cut short.
 */
const SETTLE_DELAYS_MS = [30, 60, 120];

/**
 * URL-preview dedupe state, shared by all subscriptions of the process (as on MessageStore). The
 * 90 s window and the 10 min retention compare message dates, not the wall clock (as imsg does).
 */
class BalloonDedupe {
  private readonly seen = new Map<string, { rowid: number; at: number }>();

  allows(row: MessageRow, sender: string, text: string): boolean {
    if (row.bbid !== URL_BALLOON || !text) return true;
    const now = msFromAppleNs(row.date);
    const key = `${row.chat_id}|${row.is_from_me}|${sender}|${text}`;
    const prev = this.seen.get(key);
    if (prev && (row.id <= prev.rowid || Math.abs(now - prev.at) <= BALLOON_WINDOW_MS)) return false;
    this.seen.set(key, { rowid: row.id, at: now });
    if (this.seen.size > 1000) {
      for (const [k, v] of this.seen) if (Math.abs(now - v.at) > BALLOON_RETENTION_MS) this.seen.delete(k);
    }
    return true;
  }
}

/** One watch.subscribe: its own cursor, debounce timer and fallback poll timer. */
class Subscription {
  cursor: number;
  emitted = 0;
  dead = false;
  cancelled = false;
  /** v1: id of the last message handed to stdout (the overflow resume point). */
  private lastBuffered = 0;
  /** v1: this subscription's notifications written but not yet flushed by stdout. */
  private unflushed = 0;
  private unjoinedRow = 0;
  private unjoinedTries = 0;
  private drainTimer: NodeJS.Immediate | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private debounceTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private fallback: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private readonly participants: Set<string>;

  constructor(
    readonly id: number,
    private readonly spec: SubscriptionSpec,
    private readonly hub: WatchHub,
  ) {
    this.cursor = spec.sinceRowid ?? 0;
    this.participants = new Set(spec.participants.map((p) => p.toLowerCase()));
  }

  start(): void {
    if (this.cursor === 0) {
      // MAX(ROWID) is taken asynchronously, just after the subscribe (rows in between are missed).
      setImmediate(() => {
        if (this.cancelled || this.dead) return;
        try {
          this.cursor = this.hub.store.maxRowid();
        } catch (err) {
          this.fail(describeSqliteError(err));
          return;
        }
        this.lastBuffered = this.cursor;
        this.poll();
      });
    } else {
      this.lastBuffered = this.cursor;
      this.poll();
    }
    this.fallback = setInterval(() => void this.poll(), this.hub.options.pollMs);
  }

  onFileEvent(): void {
    if (this.debounceTimer || this.dead || this.cancelled) return;
    // A new event: the looks after the previous one stop (this one's poll comes after its debounce).
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    const fire = (): void => {
      this.debounceTimer = null;
      const fetched = this.poll();
      // When the event poll found the tail, look again shortly after (SETTLE_DELAYS_MS), so a
      // commit is never left for the fallback poll.
      if (fetched < this.hub.options.batchLimit) this.settle(0);
    };
    this.debounceTimer = this.spec.debounceMs === 0 ? setImmediate(fire) : setTimeout(fire, this.spec.debounceMs);
  }

  /** The `step`th look after a file event's poll; the next one only if this one found nothing. */
  private settle(step: number): void {
    const delay = SETTLE_DELAYS_MS[step];
    if (delay === undefined) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      if (this.poll() === 0) this.settle(step + 1);
    }, delay);
  }

  cancel(): void {
    this.cancelled = true;
    this.stopTimers();
  }

  private stopTimers(): void {
    if (this.fallback) clearInterval(this.fallback);
    this.fallback = null;
    if (this.debounceTimer) {
      clearTimeout(this.debounceTimer as NodeJS.Timeout);
      clearImmediate(this.debounceTimer as NodeJS.Immediate);
    }
    this.debounceTimer = null;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    if (this.drainTimer) clearImmediate(this.drainTimer);
    this.drainTimer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private end(): void {
    this.hub.options.onEnd?.(this.id);
  }

  /** v1 terminal `watch.overflow` (section 6.3): buffered messages first, then the overflow. */
  private overflow(pending: unknown[]): void {
    this.dead = true;
    this.stopTimers();
    pending.push({
      jsonrpc: '2.0',
      method: 'watch.overflow',
      params: {
        subscription: this.id,
        resume_after_rowid: this.lastBuffered,
        reason: 'buffer_limit_exceeded',
        terminal: true,
      },
    });
    this.hub.output.notifications(pending);
    this.end();
  }

  private bufferFull(v1: V1WatchSpec, buffered: number): boolean {
    if (v1.overflowAfter !== undefined && this.emitted >= v1.overflowAfter) return true;
    return this.unflushed + buffered >= v1.bufferLimit && this.hub.output.backedUp();
  }

  private errorNotification(message: string): unknown {
    return { jsonrpc: '2.0', method: 'error', params: { subscription: this.id, error: { message } } };
  }

  private fail(message: string, pending: unknown[] = []): void {
    this.dead = true;
    this.stopTimers();
    pending.push(this.errorNotification(message));
    this.hub.output.notifications(pending);
    this.end();
  }

  private allows(row: MessageRow, sender: string): boolean {
    if (this.participants.size > 0 && !this.participants.has(sender.toLowerCase())) return false;
    if (this.spec.startMs !== undefined || this.spec.endMs !== undefined) {
      const ms = msFromAppleNs(row.date);
      if (this.spec.startMs !== undefined && ms < this.spec.startMs) return false;
      if (this.spec.endMs !== undefined && ms >= this.spec.endMs) return false;
    }
    return true;
  }

  /** One poll; returns how many rows the query fetched. */
  poll(): number {
    if (this.dead || this.cancelled || this.hub.output.stopped) return 0;
    const errorAfter = this.hub.options.watchErrorAfter;
    if (errorAfter !== undefined && this.emitted >= errorAfter) {
      this.fail('database is locked (code: 5)');
      return 0;
    }
    let rows: MessageRow[];
    try {
      rows = this.hub.store.messagesAfter(
        this.cursor,
        this.spec.chatId,
        this.spec.includeReactions,
        this.hub.options.batchLimit,
      );
    } catch (err) {
      this.fail(describeSqliteError(err));
      return 0;
    }
    const batch: unknown[] = [];
    const opts = {
      attachments: this.spec.attachments,
      reactions: this.spec.includeReactions,
      chatFields: true,
      reactionEvent: this.spec.includeReactions,
    };
    const v1 = this.spec.v1;
    let prevId = -1;
    let stalled = false;
    for (const row of rows) {
      if (v1) {
        if (row.id === prevId) continue; // linked to several chats: once, with the lowest chat_id
        prevId = row.id;
        if (row.chat_id === 0 && this.unjoined(row.id)) {
          stalled = true;
          break;
        }
        if (row.chat_id === 0) continue; // dropped after 20 retries; never emitted with chat_id 0
      }
      if (row.id > this.cursor) this.cursor = row.id;
      const sender = senderOf(row.handle, row.dci);
      if (!this.allows(row, sender)) continue;
      if (v1 && this.bufferFull(v1, batch.length)) {
        this.overflow(batch);
        return rows.length;
      }
      let message: Record<string, unknown>;
      try {
        message = this.hub.payloads.message(row, opts);
      } catch (err) {
        this.fail(describeSqliteError(err), batch);
        return rows.length;
      }
      if (!this.hub.balloons.allows(row, sender, message['text'] as string)) continue;
      batch.push({ jsonrpc: '2.0', method: 'message', params: { subscription: this.id, message } });
      this.emitted++;
      this.lastBuffered = row.id;
      if (errorAfter !== undefined && this.emitted >= errorAfter) {
        this.fail('database is locked (code: 5)', batch);
        return rows.length;
      }
    }
    if (v1 && batch.length > 0) {
      const n = batch.length;
      this.unflushed += n;
      this.hub.output.notifications(batch, () => (this.unflushed -= n));
    } else this.hub.output.notifications(batch);
    // 0.15.1: a poll that advanced the cursor queues the next one at once (backlogs drain).
    if (v1 && !stalled && rows.length > 0 && !this.drainTimer) {
      this.drainTimer = setImmediate(() => {
        this.drainTimer = null;
        this.poll();
      });
    }
    return rows.length;
  }

  /**
   * v1 unjoined row: stall the stream at it and retry after the debounce, up to 20 attempts;
   * then drop it. Returns true while the stream must stall.
   */
  private unjoined(rowId: number): boolean {
    if (this.unjoinedRow !== rowId) {
      this.unjoinedRow = rowId;
      this.unjoinedTries = 0;
    }
    this.unjoinedTries++;
    if (this.unjoinedTries > UNJOINED_RETRIES) return false;
    if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.poll();
      }, Math.max(this.spec.debounceMs, 1));
    }
    return true;
  }
}

/**
 * All subscriptions of the process. One fs.watch on the database's directory (so WAL/SHM
 * replacement never makes it deaf) fans file events out to every subscription's debounce.
 */
export class WatchHub {
  private readonly subs = new Map<number, Subscription>();
  private nextId = 1;
  private dirWatcher: fs.FSWatcher | null = null;
  readonly balloons = new BalloonDedupe();
  private readonly dbBase: string;

  constructor(
    readonly store: ReadStore,
    readonly payloads: PayloadBuilder,
    readonly output: Output,
    readonly options: WatchOptions,
    private readonly dbPath: string,
  ) {
    this.dbBase = path.basename(dbPath);
  }

  /** `deferStart`: the caller starts it with start(id) once the subscribe response is written. */
  subscribe(spec: SubscriptionSpec, deferStart = false): number {
    const id = this.options.allocateId ? this.options.allocateId() : this.nextId++;
    const sub = new Subscription(id, spec, this);
    this.subs.set(id, sub);
    this.ensureDirWatcher();
    if (!deferStart) sub.start();
    return id;
  }

  start(id: number): void {
    const sub = this.subs.get(id);
    if (sub && !sub.cancelled && !sub.dead) sub.start();
  }

  has(id: number): boolean {
    return this.subs.has(id);
  }

  unsubscribe(id: number): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    const wasLive = !sub.dead;
    sub.cancel();
    this.subs.delete(id);
    if (wasLive) this.options.onEnd?.(id);
  }

  cancelAll(): void {
    for (const sub of this.subs.values()) {
      const wasLive = !sub.dead && !sub.cancelled;
      sub.cancel();
      if (wasLive) this.options.onEnd?.(sub.id);
    }
    this.subs.clear();
    this.dirWatcher?.close();
    this.dirWatcher = null;
  }

  private ensureDirWatcher(): void {
    if (this.dirWatcher) return;
    try {
      this.dirWatcher = fs.watch(path.dirname(path.resolve(this.dbPath)), { persistent: false }, (_event, name) => {
        if (name && !String(name).startsWith(this.dbBase)) return;
        for (const sub of this.subs.values()) sub.onFileEvent();
      });
      this.dirWatcher.on('error', () => {
        this.dirWatcher?.close();
        this.dirWatcher = null;
      });
    } catch {
      this.dirWatcher = null;
    }
  }
}
