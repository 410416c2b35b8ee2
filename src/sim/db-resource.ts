import fs from 'node:fs';
import { ChatCache } from './chat-cache.js';
import type { FaultConfig } from './faults.js';
import type { Output } from './output.js';
import { PayloadBuilder } from './payloads.js';
import { ReadStore } from './queries.js';
import { DATABASE_UNAVAILABLE, RpcError } from './rpc-errors.js';
import { WatchHub, type WatchOptions } from './watcher.js';

export const DB_MISSING_DETAIL =
  'The configured Messages database does not exist. Create or copy chat.db at this path, then retry.';
export const DB_UNREADABLE_DETAIL =
  'The configured Messages database could not be opened read-only. Verify the path and grant Full Disk Access to the supervising process, then retry.';

/** One opened chat.db file: its own connection, payload builder and watchers. */
export interface Generation {
  readonly n: number;
  readonly store: ReadStore;
  readonly payloads: PayloadBuilder;
  readonly cache: ChatCache;
  readonly hub: WatchHub;
  readonly dev: number;
  readonly ino: number;
}

/**
 * imsg 0.14+ database resources (current spec sections 2.2 and 2.4): nothing is opened at start;
 * every DB-backed request, `status` and `initialize` retries the open; a success is kept only
 * while the path names the same file (dev, inode). A replaced file opens a new generation; old
 * generations keep serving their existing subscriptions.
 */
export class DbResource {
  private current: Generation | null = null;
  private readonly all: Generation[] = [];
  private count = 0;
  lastError = DB_MISSING_DETAIL;

  constructor(
    readonly path: string,
    private readonly faults: FaultConfig,
    private readonly output: Output,
    private readonly watchOptions: WatchOptions,
  ) {}

  /** The permission switches in the 0.15 profile: FDA missing, re-checked at every open. */
  private denied(): boolean {
    if (this.faults.permissionFlag !== undefined) return fs.existsSync(this.faults.permissionFlag);
    return this.faults.permissionDenied !== undefined;
  }

  /** The usable generation, or null with `lastError` set. Never caches a failure. */
  probe(): Generation | null {
    if (this.denied()) return this.unavailable(DB_UNREADABLE_DETAIL);
    let st: fs.Stats;
    try {
      st = fs.statSync(this.path);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      return this.unavailable(missing ? DB_MISSING_DETAIL : DB_UNREADABLE_DETAIL);
    }
    if (!st.isFile()) return this.unavailable(DB_UNREADABLE_DETAIL);
    const cur = this.current;
    if (cur && cur.dev === st.dev && cur.ino === st.ino) return cur;
    let store: ReadStore;
    try {
      store = new ReadStore(this.path);
      store.maxRowid();
    } catch {
      return this.unavailable(DB_UNREADABLE_DETAIL);
    }
    const cache = new ChatCache(store);
    const payloads = new PayloadBuilder(store, cache, { omitReplyText: this.faults.omitReplyText });
    const hub = new WatchHub(store, payloads, this.output, this.watchOptions, this.path);
    const gen: Generation = { n: ++this.count, store, payloads, cache, hub, dev: st.dev, ino: st.ino };
    this.current = gen;
    this.all.push(gen);
    return gen;
  }

  private unavailable(detail: string): null {
    this.lastError = detail;
    this.current = null;
    return null;
  }

  /** The generation for a DB-backed request, or -32002 `Database unavailable`. */
  require(): Generation {
    const gen = this.probe();
    if (gen) return gen;
    throw new RpcError(DATABASE_UNAVAILABLE, { path: this.path, detail: this.lastError, retryable: true });
  }

  /** Every generation ever opened (subscriptions may live in old ones). */
  generations(): readonly Generation[] {
    return this.all;
  }

  close(): void {
    for (const g of this.all) {
      g.hub.cancelAll();
      try {
        g.store.close();
      } catch {
        // already closed
      }
    }
  }
}
