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
}

export interface WatchOptions {
  pollMs: number;
  batchLimit: number;
  watchErrorAfter?: number | undefined;
}

const URL_BALLOON = 'com.apple.messages.URLBalloonProvider';
const BALLOON_WINDOW_MS = 90_000;
const BALLOON_RETENTION_MS = 600_000;
const SETTLE_MS = 30;

/** URL-preview dedupe state, shared by all subscriptions of the process (as on MessageStore). */
class BalloonDedupe {
  private readonly seen = new Map<string, { rowid: number; at: number }>();

  allows(row: MessageRow, sender: string, text: string): boolean {
    if (row.bbid !== URL_BALLOON || !text) return true;
    const now = Date.now();
    const key = `${row.chat_id}|${row.is_from_me}|${sender}|${text}`;
    const prev = this.seen.get(key);
    if (prev && (row.id <= prev.rowid || now - prev.at <= BALLOON_WINDOW_MS)) return false;
    this.seen.set(key, { rowid: row.id, at: now });
    if (this.seen.size > 1000) {
      for (const [k, v] of this.seen) if (now - v.at > BALLOON_RETENTION_MS) this.seen.delete(k);
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
        this.poll();
      });
    } else {
      this.poll();
    }
    this.fallback = setInterval(() => void this.poll(), this.hub.options.pollMs);
  }

  onFileEvent(): void {
    if (this.debounceTimer || this.dead || this.cancelled) return;
    const fire = (): void => {
      this.debounceTimer = null;
      const fetched = this.poll();
      // A file event can arrive before the writer's commit is visible to readers (the WAL is
      // written before the wal-index header). When the event poll found the tail, look once
      // more shortly after, so a commit is never left for the fallback poll.
      if (fetched < this.hub.options.batchLimit && !this.settleTimer) {
        this.settleTimer = setTimeout(() => {
          this.settleTimer = null;
          this.poll();
        }, SETTLE_MS);
      }
    };
    this.debounceTimer = this.spec.debounceMs === 0 ? setImmediate(fire) : setTimeout(fire, this.spec.debounceMs);
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
  }

  private errorNotification(message: string): unknown {
    return { jsonrpc: '2.0', method: 'error', params: { subscription: this.id, error: { message } } };
  }

  private fail(message: string, pending: unknown[] = []): void {
    this.dead = true;
    this.stopTimers();
    pending.push(this.errorNotification(message));
    this.hub.output.notifications(pending);
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
    for (const row of rows) {
      if (row.id > this.cursor) this.cursor = row.id;
      const sender = senderOf(row.handle, row.dci);
      if (!this.allows(row, sender)) continue;
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
      if (errorAfter !== undefined && this.emitted >= errorAfter) {
        this.fail('database is locked (code: 5)', batch);
        return rows.length;
      }
    }
    this.hub.output.notifications(batch);
    return rows.length;
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

  subscribe(spec: SubscriptionSpec): number {
    const id = this.nextId++;
    const sub = new Subscription(id, spec, this);
    this.subs.set(id, sub);
    this.ensureDirWatcher();
    sub.start();
    return id;
  }

  unsubscribe(id: number): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    sub.cancel();
    this.subs.delete(id);
  }

  cancelAll(): void {
    for (const sub of this.subs.values()) sub.cancel();
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
