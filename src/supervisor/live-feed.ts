/**
 * The dashboard's live flow and log, pushed over the event stream (GET /api/events) instead of
 * polled by every open page. Runs only while at least one stream listens:
 * - log: the log ring hands each new record over as it is written (parsed then, only while
 *   someone listens); they go out in one `log` event per tick;
 * - flow: every tick the store's commit counter is compared with the last one (no query); only
 *   when it moved are the newest journal entries read once, for all listeners, and the new or
 *   changed ones sent as one `flow` event. Message text is in them only when
 *   `gateway.dashboard.showMessageText` is on, read at each tick, exactly as GET /api/flow does.
 * The first tick after the feed starts takes the entries as the baseline: a page fetches the
 * backlog itself (GET /api/flow) when its stream opens.
 */
import type { FlowEntry, FlowRequest } from '../store/flow-queries.js';
import type { Clock } from '../util/clock.js';
import type { LogRecord, LogRing } from '../util/log-ring.js';
import type { GatewayEvent } from './control-backend.js';
import { flowChanges } from './flow-changes.js';

/** How often the feed looks for news while a page listens. */
export const LIVE_FEED_TICK_MS = 500;
/** The newest journal entries compared each time (a page fetches 100 as its backlog). */
export const FLOW_FEED_WINDOW = 50;
/** Log records kept between two ticks at most (the ring's own size). */
const MAX_LOG_BATCH = 300;

export interface LiveFeedOptions {
  store: { recentFlow(request: FlowRequest): FlowEntry[]; commitStats(): { commits: number } };
  /** gateway.dashboard.showMessageText of the running config. */
  showText: () => boolean;
  logRing?: LogRing;
  clock: Clock;
  tickMs?: number;
  /** A failed flow read (a lost store file): logged by the caller, the feed goes on. */
  onError?: (err: unknown) => void;
}

export class LiveFeed {
  private readonly listeners = new Set<(event: GatewayEvent) => void>();
  private timer: unknown;
  private stopLog: (() => void) | undefined;
  private logBatch: LogRecord[] = [];
  private seen: Map<string, string> | undefined;
  private commits = -1;
  private showText = false;

  constructor(private readonly o: LiveFeedOptions) {}

  /** Starts the feed with its first listener, stops it with its last. */
  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.stop();
    };
  }

  /** True while a listener keeps it running (tests, status). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  private start(): void {
    this.seen = undefined;
    this.commits = -1;
    this.logBatch = [];
    this.stopLog = this.o.logRing?.subscribe((record) => {
      this.logBatch.push(record);
      if (this.logBatch.length > MAX_LOG_BATCH) this.logBatch.splice(0, this.logBatch.length - MAX_LOG_BATCH);
    });
    this.tick();
  }

  private stop(): void {
    this.stopLog?.();
    this.stopLog = undefined;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.logBatch = [];
    this.seen = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.listeners.size === 0) return;
    try {
      this.flushLog();
      this.checkFlow();
    } finally {
      if (this.listeners.size > 0) this.timer = this.o.clock.setTimeout(() => this.tick(), this.o.tickMs ?? LIVE_FEED_TICK_MS);
    }
  }

  private flushLog(): void {
    if (this.logBatch.length === 0) return;
    const records = this.logBatch;
    this.logBatch = [];
    this.publish({ type: 'log', records });
  }

  private checkFlow(): void {
    let commits: number;
    let entries: FlowEntry[];
    let showText: boolean;
    try {
      commits = this.o.store.commitStats().commits;
      showText = this.o.showText();
      if (commits === this.commits && showText === this.showText && this.seen !== undefined) return;
      entries = this.o.store.recentFlow({ limit: FLOW_FEED_WINDOW, withText: showText });
    } catch (err) {
      this.o.onError?.(err);
      return;
    }
    this.commits = commits;
    this.showText = showText;
    const baseline = this.seen === undefined;
    const { changed, seen } = flowChanges(this.seen ?? new Map(), entries);
    this.seen = seen;
    if (!baseline && changed.length > 0) this.publish({ type: 'flow', entries: changed, showText });
  }

  private publish(event: GatewayEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
    if (this.listeners.size === 0) this.stop();
  }
}
