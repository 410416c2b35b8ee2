/**
 * imsg-sim's watcher looks again after a file event's poll while the looks find nothing: a file
 * event can come before the writer's commit is visible to readers (the WAL frames are written
 * before the wal-index header), and a writer on a loaded machine may take a while to get there.
 * The store here hides the new row from the first two polls after the write (the event's poll and
 * the first look), as such a writer would; the row must still come well before the fallback poll.
 */
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatCache } from '../../src/sim/chat-cache.js';
import { SimWriter } from '../../src/sim/inject.js';
import { Output } from '../../src/sim/output.js';
import { PayloadBuilder } from '../../src/sim/payloads.js';
import { type MessageRow, ReadStore } from '../../src/sim/queries.js';
import { WatchHub } from '../../src/sim/watcher.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempDb } from './sim-helper.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

/** A read store whose rows past `hiddenFrom` stay invisible to the next `hideFor` polls. */
class LateCommitStore extends ReadStore {
  hiddenFrom = Number.POSITIVE_INFINITY;
  hideFor = 0;
  polls = 0;

  override messagesAfter(cursor: number, chatId: number | undefined, includeReactions: boolean, limit: number): MessageRow[] {
    const rows = super.messagesAfter(cursor, chatId, includeReactions, limit);
    if (!rows.some((r) => r.id >= this.hiddenFrom)) return rows;
    this.polls++;
    if (this.polls <= this.hideFor) return rows.filter((r) => r.id < this.hiddenFrom);
    return rows;
  }
}

describe('the watcher after a file event', () => {
  it('finds a commit that becomes visible only after its event poll and first look, long before the fallback poll', async () => {
    const { db, dir } = tempDb();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const writer = new SimWriter(db);
    cleanups.push(() => writer.close());
    writer.injectMessage({ from: '+15551234567', text: 'before' });
    const store = new LateCommitStore(db);
    cleanups.push(() => store.close());
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0)));
    const hub = new WatchHub(store, new PayloadBuilder(store, new ChatCache(store)), new Output({}, stream), { pollMs: 60_000, batchLimit: 100 }, db);
    cleanups.push(() => hub.cancelAll());
    hub.subscribe({ sinceRowid: 1, participants: [], attachments: false, includeReactions: false, debounceMs: 0 });

    const next = writer.injectMessage({ from: 'jane@example.com', text: 'late commit' });
    store.hiddenFrom = next.id;
    store.hideFor = 2;
    await waitUntil(() => (lines.some((l) => l.includes('late commit')) ? true : undefined), 'the late commit is notified', 5000);
    expect(store.polls).toBeGreaterThanOrEqual(3);
    const message = lines.map((l) => JSON.parse(l) as { method?: string; params?: { message?: { id: number } } }).find((l) => l.method === 'message');
    expect(message?.params?.message?.id).toBe(next.id);
  });
});
