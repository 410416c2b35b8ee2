/**
 * Issue 15 (deferred durability): the outbox hands a row to imsg only once its `sending` mark is
 * on disk. A real store (a SQLite file) whose durable() is held by the test, and a stand-in imsg
 * client recording requests (the sender's logic is what is tested here; the e2e suites drive the
 * real gateway, whose store is deferred, against imsg-sim).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { GatewayStore } from '../../src/store/gateway-store.js';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { LoopBreaker } from '../../src/supervisor/loop-breaker.js';
import { OutboxSender } from '../../src/supervisor/outbox-sender.js';
import { systemClock } from '../../src/util/clock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the outbox waits for the sending mark to be durable', () => {
  for (const kind of ['reply', 'tapback'] as const) {
    it(`${kind}: marked sending, then nothing goes to imsg until durable() resolves`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'igw-barrier-'));
      dirs.push(dir);
      const store = GatewayStore.open(join(dir, 'state.db'));
      let release!: () => void;
      let asked = 0;
      store.durable = () => {
        asked++;
        return new Promise<void>((resolve) => (release = resolve));
      };
      const requests: string[] = [];
      const client = {
        isRunning: true,
        server: { protocol: 'v1', version: '0.15.10', methods: ['send', 'tapback'], supportedMethods: ['send', 'tapback'], database: null, features: {} },
        request: async (method: string) => {
          requests.push(method);
          return { id: 7, guid: 'sent-guid' };
        },
      } as unknown as ImsgRpcClient;
      const { id } = store.enqueueOutbox({
        accountId: 'bot',
        idempotencyKey: `k-${kind}`,
        chatKey: 'chat:1',
        target: JSON.stringify({ to: '+15555550100', chatId: 1, chatGuid: 'iMessage;-;+15555550100' }),
        text: kind === 'reply' ? 'hello' : '',
        source: 'cli',
        ...(kind === 'tapback' ? { action: JSON.stringify({ kind: 'tapback', chatId: 1, target: 'msg-1', reaction: { kind: 'like' } }) } : {}),
      });
      const sender = new OutboxSender({
        accountId: 'bot',
        store,
        region: 'US',
        service: 'auto',
        sendTimeoutMs: 5000,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        counters: newCounters(),
        breaker: new LoopBreaker(100, () => Date.now()),
      });
      try {
        sender.attach(client);
        await until(() => asked === 1, 'the sender to ask for durability');
        expect(store.getOutbox(id)?.state).toBe('sending');
        await new Promise((r) => setTimeout(r, 50));
        expect(requests).toEqual([]);
        release();
        await until(() => store.getOutbox(id)?.state === 'sent', 'the row to be sent');
        expect(requests).toEqual([kind === 'reply' ? 'send' : 'tapback']);
      } finally {
        sender.stop();
        store.close();
      }
    });
  }
});
