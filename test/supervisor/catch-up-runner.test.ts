/**
 * The catch-up page loop against a stand-in imsg (no process): every page's messages are delivered
 * before the cursor is committed, the cursor is committed after every page (even an empty one),
 * progress is reported per page on the simulated clock, and paging stops on has_more:false.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { CatchUpProgress } from '../../src/account-rules/catch-up.js';
import { type AfterClient, runCatchUp } from '../../src/supervisor/catch-up-runner.js';

type Page = { messages: Array<{ id: number }>; next_rowid: number; has_more: boolean } | Record<string, unknown>;

function standIn(head: number | null, pages: Page[], clock: SimulatedClock, msPerPage = 100) {
  const calls: Array<{ method: string; params: Record<string, unknown> }> = [];
  let n = 0;
  const client: AfterClient = {
    request: async <T,>(method: string, params: Record<string, unknown> = {}) => {
      calls.push({ method, params });
      if (method === 'chats.list') return { chats: head === null ? [] : [{ id: 7 }] } as T;
      if (method === 'messages.history') return { messages: head === null ? [] : [{ id: head }] } as T;
      if (method === 'messages.after') {
        clock.increment(msPerPage);
        return pages[n++] as T;
      }
      throw new Error(`unexpected ${method}`);
    },
  };
  return { client, calls };
}

const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, guid: `g${from + i}` }));

function run(client: AfterClient, clock: SimulatedClock, fromRowid: number) {
  const log: string[] = [];
  const progress: CatchUpProgress[] = [];
  const stopped: string[] = [];
  const result = runCatchUp({
    client,
    fromRowid,
    attachments: false,
    clock,
    signal: new AbortController().signal,
    deliver: (raw) => log.push(`deliver ${(raw as { id: number }).id}`),
    commit: (rowid) => log.push(`commit ${rowid}`),
    onProgress: (p) => progress.push(p),
    onStoppedEarly: (why) => stopped.push(why),
  });
  return { result, log, progress, stopped };
}

describe('runCatchUp', () => {
  it('pages 1,200 rows in 500s: delivers each page, then commits its next_rowid, and reports progress per page', async () => {
    const clock = new SimulatedClock();
    const { client, calls } = standIn(1200, [
      { messages: rows(1, 500), next_rowid: 500, has_more: true },
      { messages: rows(501, 1000), next_rowid: 1000, has_more: true },
      { messages: rows(1001, 1200), next_rowid: 1200, has_more: false },
    ], clock);
    const r = run(client, clock, 0);
    const { progress, cursor } = await r.result;
    expect(cursor).toBe(1200);
    expect(calls.filter((c) => c.method === 'messages.after').map((c) => c.params)).toEqual([
      { since_rowid: 0, limit: 500, attachments: false },
      { since_rowid: 500, limit: 500, attachments: false },
      { since_rowid: 1000, limit: 500, attachments: false },
    ]);
    // Every message of a page comes before that page's commit.
    expect(r.log.filter((l) => l.startsWith('commit'))).toEqual(['commit 500', 'commit 1000', 'commit 1200']);
    expect(r.log.indexOf('deliver 500')).toBeLessThan(r.log.indexOf('commit 500'));
    expect(r.log.indexOf('commit 500')).toBeLessThan(r.log.indexOf('deliver 501'));
    expect(r.log.filter((l) => l.startsWith('deliver'))).toHaveLength(1200);
    expect(r.progress.map((p) => [p.active, p.behindBy, p.rows])).toEqual([
      [true, 1200, 0],
      [true, 700, 500],
      [true, 200, 1000],
      [false, 0, 1200],
    ]);
    expect(progress).toMatchObject({ active: false, rows: 1200, pages: 3, elapsedMs: 300, rowsPerSecond: 4000, stoppedBy: 'caught-up' });
    expect(r.stopped).toEqual([]);
  });

  it('commits an empty last page too (the cursor it sent back), and starts after the stored cursor', async () => {
    const clock = new SimulatedClock();
    const { client } = standIn(999, [{ messages: [], next_rowid: 999, has_more: false }], clock);
    const r = run(client, clock, 999);
    expect((await r.result).progress).toMatchObject({ rows: 0, pages: 1, behindBy: 0 });
    expect(r.log).toEqual(['commit 999']);
  });

  it('stops paging when has_more comes without progress, and says so once', async () => {
    const clock = new SimulatedClock();
    const { client, calls } = standIn(50, [
      { messages: rows(11, 20), next_rowid: 20, has_more: true },
      { messages: [], next_rowid: 20, has_more: true },
    ], clock);
    const r = run(client, clock, 10);
    expect((await r.result).progress.stoppedBy).toBe('stalled');
    expect(calls.filter((c) => c.method === 'messages.after')).toHaveLength(2);
    expect(r.stopped).toEqual(['stalled']);
  });

  it('an unreadable answer delivers nothing, commits nothing and hands over to the watch', async () => {
    const clock = new SimulatedClock();
    const { client } = standIn(null, [{ rows: [] }], clock);
    const r = run(client, clock, 10);
    const done = await r.result;
    expect(done).toMatchObject({ cursor: 10, progress: { stoppedBy: 'malformed', behindBy: null } });
    expect(r.log).toEqual([]);
    expect(r.stopped).toEqual(['malformed']);
  });

  it('a commit that fails (the journal did not take the page) fails the catch-up', async () => {
    const clock = new SimulatedClock();
    const { client } = standIn(10, [{ messages: rows(1, 10), next_rowid: 10, has_more: false }], clock);
    await expect(
      runCatchUp({
        client,
        fromRowid: 0,
        attachments: false,
        clock,
        signal: new AbortController().signal,
        deliver: () => undefined,
        commit: () => {
          throw new Error('store refused');
        },
        onProgress: () => undefined,
      }),
    ).rejects.toThrow('store refused');
  });

  it('asks ready() before every page: a page is not requested while the inbound backlog is full', async () => {
    const clock = new SimulatedClock();
    const { client, calls } = standIn(1000, [
      { messages: rows(1, 500), next_rowid: 500, has_more: true },
      { messages: rows(501, 1000), next_rowid: 1000, has_more: false },
    ], clock);
    const gates: Array<() => void> = [];
    const result = runCatchUp({
      client,
      fromRowid: 0,
      attachments: false,
      clock,
      signal: new AbortController().signal,
      ready: () => new Promise<void>((resolve) => gates.push(resolve)),
      deliver: () => undefined,
      commit: () => undefined,
      onProgress: () => undefined,
    });
    const pages = () => calls.filter((c) => c.method === 'messages.after').length;
    const settle = async () => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    await settle();
    expect(gates).toHaveLength(1);
    expect(pages()).toBe(0);
    gates[0]!();
    await settle();
    expect(pages()).toBe(1);
    expect(gates).toHaveLength(2); // waiting again before the second page
    gates[1]!();
    await expect(result).resolves.toMatchObject({ cursor: 1000 });
    expect(pages()).toBe(2);
  });
});
