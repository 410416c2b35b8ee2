/** The quarantine table (schema v5): rows set aside with the reason, listed newest first, bounded. */
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayStore, MAX_QUARANTINE_PAYLOAD_BYTES } from '../../src/store/index.js';
import { tempHome } from './store-helpers.js';

const homes: Array<{ cleanup(): void }> = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.cleanup();
});

function open() {
  const home = tempHome();
  homes.push(home);
  let now = 1_000;
  return { store: GatewayStore.open(home.dbPath, { now: () => now++ }) };
}

describe('quarantine', () => {
  it('stores metadata and payload, lists newest first per account, and counts', () => {
    const { store } = open();
    store.quarantine({ accountId: 'a', stage: 'validation', reason: 'invalid message field id (too_big)', payload: '{"id":1e300}' });
    store.quarantine({ accountId: 'b', stage: 'cursor-jump', reason: 'jump', rowid: 2 ** 53 - 1, guid: 'G', chatId: 4 });
    store.quarantine({ accountId: 'a', stage: 'journal', reason: 'refused', rowid: 2 ** 63, chatId: 1e300 });
    const a = store.listQuarantine('a');
    expect(a.map((r) => r.stage)).toEqual(['journal', 'validation']);
    // Numbers that cannot be held exactly are never stored.
    expect(a[0]).toMatchObject({ rowid: null, chatId: null, payload: null, payloadBytes: 0 });
    expect(a[1]).toMatchObject({ payload: '{"id":1e300}', payloadBytes: 12 });
    expect(store.listQuarantine().map((r) => r.accountId)).toEqual(['a', 'b', 'a']);
    expect(store.listQuarantine('b')[0]).toMatchObject({ rowid: 2 ** 53 - 1, guid: 'G', chatId: 4 });
    expect(store.quarantineCount('a')).toBe(2);
    expect(store.listQuarantine(undefined, 1)).toHaveLength(1);
    store.close();
  });

  it('cuts a large payload, keeping its full size', () => {
    const { store } = open();
    const big = 'é'.repeat(MAX_QUARANTINE_PAYLOAD_BYTES);
    store.quarantine({ accountId: 'a', stage: 'handling', reason: 'r', payload: big });
    const [row] = store.listQuarantine('a');
    expect(row?.payloadBytes).toBe(Buffer.byteLength(big));
    expect(Buffer.byteLength(row?.payload ?? '')).toBeLessThanOrEqual(MAX_QUARANTINE_PAYLOAD_BYTES);
    expect(row?.payload?.endsWith('é')).toBe(true);
    store.close();
  });
});
