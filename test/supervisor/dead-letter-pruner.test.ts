/** The gateway drops dead letters past their retention, on the injected clock; unknown sends stay. */
import { afterEach, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { DeadLetterPruner } from '../../src/supervisor/dead-letter-pruner.js';
import { silentLogger } from '../../src/util/logger.js';
import { manualClock, reply, tempHome } from '../store/store-helpers.js';

const homes: Array<{ cleanup(): void }> = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.cleanup();
});

test('prunes at once, then only when due; keeps unknown sends and dead letters within the retention', () => {
  const home = tempHome();
  homes.push(home);
  const clock = manualClock(1_000_000);
  const store = GatewayStore.open(home.dbPath, { now: clock.now });
  const fail = (key: string) => {
    const { id } = store.enqueueOutbox(reply(key));
    store.markSending(id);
    store.markFailed(id, 'invalid target');
    return id;
  };
  const old = fail('old');
  const unknown = store.enqueueOutbox(reply('u')).id;
  store.markSending(unknown);
  store.markUnknown(unknown, '-32001');
  clock.advance(50_000);
  const recent = fail('recent');
  let retention = 10_000;
  const pruner = new DeadLetterPruner({
    store,
    clock: { now: clock.now, setTimeout: () => undefined, clearTimeout: () => undefined },
    logger: silentLogger,
    retentionMs: () => retention,
    everyMs: 60_000,
  });
  pruner.tick();
  expect(store.getOutbox(old)).toBeUndefined();
  expect(store.getOutbox(recent)?.state).toBe('failed');
  expect(store.getOutbox(unknown)?.state).toBe('unknown');
  clock.advance(20_000);
  pruner.tick(); // not due yet
  expect(store.getOutbox(recent)?.state).toBe('failed');
  retention = 30_000; // a reload lengthened it
  clock.advance(40_000);
  pruner.tick();
  expect(store.getOutbox(recent)).toBeUndefined();
  expect(store.getOutbox(unknown)?.state).toBe('unknown');
  store.close();
});
