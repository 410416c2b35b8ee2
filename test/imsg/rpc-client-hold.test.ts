/**
 * Inbound backpressure at the client (issue 15, inbound-backlog.ts): a real ImsgRpcClient and a
 * fake imsg child. While handlers.holdOutput says so and no request waits, no notification is
 * handed over and the child's output waits in the pipe; a request made meanwhile is still
 * answered (the lines before its answer are read, and the notifications among them set aside:
 * never a deadlock); readOn() hands them over in order and reads on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { FAKE_IMSG, notification } from './fake-imsg.js';
import { systemClock } from '../../src/util/clock.js';
import { waitUntil } from '../helpers/sim-db.js';

const clients: ImsgRpcClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('holding imsg output for the inbound backlog', () => {
  it('holds notifications, answers a request made while held, and reads on in order', { timeout: 30_000 }, async () => {
    const seen: number[] = [];
    let capacity = 10;
    const client = new ImsgRpcClient({
      cliPath: FAKE_IMSG,
      clock: systemClock,
      requestTimeoutMs: 20_000,
      stopTimeoutMs: 1000,
      handlers: {
        onMessage: (_sub, m) => seen.push(m.id),
        holdOutput: () => seen.length >= capacity,
      },
    });
    clients.push(client);
    await client.start();
    expect(await client.subscribe({})).toBe(1);

    // Notifications nobody waits for: the client stops at the consumer's capacity.
    await client.request('emit-later', { lines: range(1, 100).map(notification) });
    await waitUntil(() => client.outputHeld || undefined, 'the output held');
    expect(seen).toEqual(range(1, 10));

    // A request while held: its answer comes after the held lines, so they are read and it is
    // answered, but the notifications among them are set aside, not handed over.
    const answer = await client.request('ping', {});
    expect(answer).toEqual({});
    expect(seen).toEqual(range(1, 10));
    capacity = 100;
    client.readOn();
    await waitUntil(() => seen.length >= 100 || undefined, 'the set-aside notifications handed over');
    expect(seen).toEqual(range(1, 100));

    // Held again on new output, then read on once the consumer has room.
    capacity = 120;
    await client.request('emit-later', { lines: range(101, 50).map(notification) });
    await waitUntil(() => (seen.length >= 120 && client.outputHeld) || undefined, 'held at the new capacity');
    expect(seen).toEqual(range(1, 120));
    capacity = Number.POSITIVE_INFINITY;
    client.readOn();
    await waitUntil(() => seen.length >= 150 || undefined, 'the rest read on');
    expect(seen).toEqual(range(1, 150));
    expect(client.outputHeld).toBe(false);
  });
});
