/**
 * The part of an account's status read from the state database: its cursor, chat.db generation,
 * outbox counts and journal lag. The status is built every second (the status file, the live
 * view), and an idle fleet of 100 accounts spent most of its CPU re-reading these unchanged rows
 * (issue 15). They can only change when the store writes, and every write of the gateway's
 * connection counts a commit (sqlite/database.ts commitStats); no other process writes while the
 * gateway holds the home's lock. So a view is kept until the commit count moves, and read again
 * only then. A read that fails (a vanished store file) is not kept, and nothing is kept once the
 * store knows its file vanished: status then shows the store cannot say, as before.
 */
import type { CursorGeneration, GatewayStore, OutboxStats } from '../store/index.js';

export type StoredStatusStore = Pick<GatewayStore, 'commitStats' | 'vanished' | 'getCursor' | 'cursorGeneration' | 'outboxStats' | 'journalLag'>;

export interface StoredStatusView {
  /** The last row id recorded; undefined before the first, or when the store cannot say. */
  cursor: number | undefined;
  generation: CursorGeneration | null;
  /** Outbox counts and journal lag; undefined when the store cannot say. */
  durable: { outbox: OutboxStats; journalLag: number } | undefined;
}

export class StoredStatus {
  private kept: { commits: number; view: StoredStatusView } | undefined;

  constructor(
    private readonly store: StoredStatusStore,
    private readonly accountId: string,
  ) {}

  /** The view as of the store's current commit count: read again only when the store committed since. */
  read(): StoredStatusView {
    const commits = this.store.commitStats().commits;
    if (this.kept?.commits === commits && !this.store.vanished) return this.kept.view;
    const { view, complete } = this.readNow();
    this.kept = complete ? { commits, view } : undefined;
    return view;
  }

  private readNow(): { view: StoredStatusView; complete: boolean } {
    const { store, accountId } = this;
    let complete = true;
    const attempt = <T>(read: () => T, fallback: T): T => {
      try {
        return read();
      } catch {
        complete = false;
        return fallback;
      }
    };
    const cursor = attempt(() => store.getCursor(accountId), undefined);
    const generation = attempt(() => store.cursorGeneration(accountId) ?? null, null);
    const durable = attempt<StoredStatusView['durable']>(
      () => ({ outbox: store.outboxStats(accountId), journalLag: store.journalLag(accountId) }),
      undefined,
    );
    return { view: { cursor, generation, durable }, complete };
  }
}
