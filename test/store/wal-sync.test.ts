import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { WalSync } from '../../src/store/wal-sync.js';

/** A WalSync over a commit counter and fsyncs that finish when the test says so (`minGapMs` on a simulated clock). */
function harness(minGapMs = 0) {
  let commits = 0;
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const clock = new SimulatedClock();
  const wal = new WalSync({
    commits: () => commits,
    sync: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    minGapMs,
    clock,
  });
  const settled = (p: Promise<void>) => {
    const state = { done: false, error: undefined as Error | undefined };
    p.then(
      () => (state.done = true),
      (e: Error) => (state.error = e),
    );
    return state;
  };
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return {
    wal,
    clock,
    pending,
    settled,
    tick,
    commit: () => {
      commits++;
      wal.request();
    },
  };
}

describe('WalSync: commits made durable off the event loop', () => {
  it('resolves at once when nothing was committed since the last fsync', async () => {
    const h = harness();
    await expect(h.wal.durable()).resolves.toBeUndefined();
    expect(h.pending).toHaveLength(0);
  });

  it('a commit starts one fsync; durable() waits for it, then resolves', async () => {
    const h = harness();
    h.commit();
    expect(h.pending).toHaveLength(1);
    const d = h.settled(h.wal.durable());
    await h.tick();
    expect(d.done).toBe(false);
    h.pending.shift()?.resolve();
    await h.tick();
    expect(d.done).toBe(true);
    expect(h.wal.syncs).toBe(1);
  });

  it('never one fsync per commit: commits during an fsync share the next one', async () => {
    const h = harness();
    h.commit();
    for (let i = 0; i < 50; i++) h.commit();
    expect(h.pending).toHaveLength(1);
    h.pending.shift()?.resolve();
    await h.tick();
    expect(h.pending).toHaveLength(1); // the 50 commits made during the first fsync
    h.pending.shift()?.resolve();
    await h.tick();
    expect(h.pending).toHaveLength(0);
    expect(h.wal.syncs).toBe(2);
  });

  it('a commit made while an fsync runs is not covered by it: its waiter needs the next one', async () => {
    const h = harness();
    h.commit();
    const early = h.settled(h.wal.durable());
    h.commit(); // after the running fsync started
    const late = h.settled(h.wal.durable());
    h.pending.shift()?.resolve();
    await h.tick();
    expect(early.done).toBe(true);
    expect(late.done).toBe(false);
    h.pending.shift()?.resolve();
    await h.tick();
    expect(late.done).toBe(true);
  });

  it('a failed fsync rejects its waiters and every later durable(); no fsync is tried again', async () => {
    const h = harness();
    h.commit();
    const d = h.settled(h.wal.durable());
    h.pending.shift()?.reject(new Error('EIO: i/o error, fsync'));
    await h.tick();
    expect(d.error?.message).toBe('EIO: i/o error, fsync');
    h.commit();
    expect(h.pending).toHaveLength(0);
    await expect(h.wal.durable()).rejects.toThrow('EIO');
    expect(h.wal.failed?.message).toContain('EIO');
  });

  describe('with a gap between unawaited fsyncs (the store: 10 ms)', () => {
    it('the first commit syncs at once; the next ones wait for the gap and share one fsync', async () => {
      const h = harness(10);
      h.commit();
      expect(h.pending).toHaveLength(1);
      h.pending.shift()!.resolve();
      await h.tick();
      for (let i = 0; i < 20; i++) h.commit();
      await h.tick();
      expect(h.pending).toHaveLength(0); // within the gap: nothing started
      h.clock.increment(9);
      expect(h.pending).toHaveLength(0);
      h.clock.increment(1);
      expect(h.pending).toHaveLength(1); // one fsync for the 20 commits
      h.pending.shift()!.resolve();
      await h.tick();
      expect(h.wal.syncs).toBe(2);
      await expect(h.wal.durable()).resolves.toBeUndefined(); // all covered
    });

    it('a durable() waiter does not wait for the gap: its fsync starts at once', async () => {
      const h = harness(10);
      h.commit();
      h.pending.shift()!.resolve();
      await h.tick();
      h.commit(); // within the gap: waits
      expect(h.pending).toHaveLength(0);
      const waited = h.settled(h.wal.durable());
      expect(h.pending).toHaveLength(1); // started by the waiter, no time passed
      h.pending.shift()!.resolve();
      await h.tick();
      expect(waited.done).toBe(true);
      h.clock.increment(10); // the gap's timer finds nothing left to sync
      expect(h.pending).toHaveLength(0);
    });

    it('a waiter during a running fsync gets the next one right after it, not after the gap', async () => {
      const h = harness(10);
      h.commit();
      h.commit(); // after the running fsync started
      const waited = h.settled(h.wal.durable());
      h.pending.shift()!.resolve();
      await h.tick();
      expect(h.pending).toHaveLength(1); // at once, for the waiter
      h.pending.shift()!.resolve();
      await h.tick();
      expect(waited.done).toBe(true);
    });

    it('after stop() no fsync starts of its own accord, gap or not; a waiter still gets one', async () => {
      const h = harness(0);
      h.commit();
      h.commit(); // after the running fsync started: it would be followed by another
      h.wal.stop();
      h.pending.shift()!.resolve();
      await h.tick();
      expect(h.pending).toHaveLength(0);
      const waited = h.settled(h.wal.durable());
      expect(h.pending).toHaveLength(1);
      h.pending.shift()!.resolve();
      await h.tick();
      expect(waited.done).toBe(true);
    });

    it('after stop() the gap starts no fsync of its own accord; a waiter still gets one', async () => {
      const h = harness(10);
      h.commit();
      h.pending.shift()!.resolve();
      await h.tick();
      h.commit();
      h.wal.stop();
      h.clock.increment(50);
      expect(h.pending).toHaveLength(0);
      const waited = h.settled(h.wal.durable());
      expect(h.pending).toHaveLength(1);
      h.pending.shift()!.resolve();
      await h.tick();
      expect(waited.done).toBe(true);
    });
  });
});
