import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionLanes } from '../../src/agents/index.js';

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('SessionLanes', () => {
  it('runs tasks of one key strictly one after another, in submission order', async () => {
    const lanes = new SessionLanes();
    const events: string[] = [];
    let inFlight = 0;
    const delays = [30, 5, 20, 0, 10];
    const results = await Promise.all(
      delays.map((ms, i) =>
        lanes.run('chat-a', async () => {
          inFlight++;
          expect(inFlight).toBe(1);
          events.push(`start ${i}`);
          await tick(ms);
          events.push(`end ${i}`);
          inFlight--;
          return i * 10;
        }),
      ),
    );
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(events).toEqual(delays.flatMap((_, i) => [`start ${i}`, `end ${i}`]));
  });

  it('runs different keys concurrently', async () => {
    const lanes = new SessionLanes();
    const bStarted = deferred();
    const aStarted = deferred();
    // Each task waits for the other to start: only possible if they overlap.
    const a = lanes.run('chat-a', async () => {
      aStarted.resolve();
      await bStarted.promise;
      return 'a';
    });
    const b = lanes.run('chat-b', async () => {
      bStarted.resolve();
      await aStarted.promise;
      return 'b';
    });
    expect(lanes.running).toBe(2);
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
  });

  it('a failing task rejects its own promise and does not block the next', async () => {
    const lanes = new SessionLanes();
    const order: string[] = [];
    const first = lanes.run('chat-a', async () => {
      order.push('first');
      throw new Error('agent blew up');
    });
    const sync = lanes.run('chat-a', () => {
      order.push('sync-throw');
      throw new Error('synchronous');
    });
    const second = lanes.run('chat-a', async () => {
      order.push('second');
      return 'still runs';
    });
    await expect(first).rejects.toThrow('agent blew up');
    await expect(sync).rejects.toThrow('synchronous');
    await expect(second).resolves.toBe('still runs');
    expect(order).toEqual(['first', 'sync-throw', 'second']);
  });

  it('removes empty lanes, so many sessions do not grow memory', async () => {
    const lanes = new SessionLanes({ maxConcurrent: 8 });
    const gate = deferred();
    const all = Array.from({ length: 2_000 }, (_, i) => lanes.run(`session-${i % 500}`, async () => {
      await gate.promise;
      return i;
    }));
    expect(lanes.activeSessions).toBe(500);
    expect(lanes.running).toBe(8);
    expect(lanes.pending).toBe(2_000 - 8);
    gate.resolve();
    await Promise.all(all);
    expect(lanes.activeSessions).toBe(0);
    expect(lanes.pending).toBe(0);
    expect(lanes.running).toBe(0);
    // Lanes are also dropped one by one, not just at the end.
    await lanes.run('solo', async () => {
      expect(lanes.activeSessions).toBe(1);
    });
    expect(lanes.activeSessions).toBe(0);
  });

  it('honours maxConcurrent, the rest waiting FIFO', async () => {
    const lanes = new SessionLanes({ maxConcurrent: 3 });
    const gates = Array.from({ length: 8 }, () => deferred());
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const all = gates.map((gate, i) =>
      lanes.run(`chat-${i}`, async () => {
        started.push(i);
        inFlight++;
        peak = Math.max(peak, inFlight);
        await gate.promise;
        inFlight--;
      }),
    );
    expect(started).toEqual([0, 1, 2]);
    expect(lanes.pending).toBe(5);
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.resolve();
    await Promise.all(all);
    expect(peak).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a busy session goes to the back of the queue and cannot starve others', async () => {
    const lanes = new SessionLanes({ maxConcurrent: 1 });
    const started: string[] = [];
    const task = (name: string) => async () => {
      started.push(name);
      await tick();
    };
    const all = [
      lanes.run('busy', task('busy-1')),
      lanes.run('busy', task('busy-2')),
      lanes.run('other', task('other-1')),
      lanes.run('busy', task('busy-3')),
    ];
    await Promise.all(all);
    expect(started).toEqual(['busy-1', 'other-1', 'busy-2', 'busy-3']);
  });

  it('idle() resolves once everything has run', async () => {
    const lanes = new SessionLanes();
    await lanes.idle(); // already idle
    let done = 0;
    for (let i = 0; i < 10; i++) {
      void lanes.run(`k${i % 3}`, async () => {
        await tick(i);
        done++;
      });
    }
    await lanes.idle();
    expect(done).toBe(10);
    expect(lanes.activeSessions).toBe(0);
  });

  it('rejects an invalid maxConcurrent', () => {
    expect(() => new SessionLanes({ maxConcurrent: 0 })).toThrow(RangeError);
    expect(() => new SessionLanes({ maxConcurrent: 1.5 })).toThrow(RangeError);
  });

  it('property: per-key order and the concurrency bound hold for any schedule', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        async (jobs, max) => {
          const lanes = new SessionLanes({ maxConcurrent: max });
          const runningKeys = new Set<string>();
          const seen = new Map<string, number[]>();
          let peak = 0;
          await Promise.all(
            jobs.map(([key, delay], i) =>
              lanes.run(key, async () => {
                expect(runningKeys.has(key)).toBe(false);
                runningKeys.add(key);
                peak = Math.max(peak, runningKeys.size);
                seen.set(key, [...(seen.get(key) ?? []), i]);
                await tick(delay);
                runningKeys.delete(key);
                if (delay === 0) throw new Error('failing task');
              }).catch(() => undefined),
            ),
          );
          expect(peak).toBeLessThanOrEqual(max);
          for (const [key, indices] of seen) {
            const submitted = jobs.flatMap(([k], i) => (k === key ? [i] : []));
            expect(indices).toEqual(submitted);
          }
          expect(lanes.activeSessions).toBe(0);
          expect(lanes.pending).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
