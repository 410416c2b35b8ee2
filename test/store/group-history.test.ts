import { afterEach, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';
import { tempHome } from './store-helpers.js';

const entry = (n: number, extra: { guid?: string } = {}) => ({
  sender: `+1555000${String(n).padStart(4, '0')}`,
  text: `message ${n}`,
  at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  ...extra,
});

describe('group history', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('keeps at most `limit` messages per chat, returns them oldest first, then clears the chat', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    for (let n = 1; n <= 5; n++) store.appendGroupHistory('acct', 42, entry(n), 3);
    expect(store.groupHistorySize('acct', 42)).toBe(3);
    expect(store.takeGroupHistory('acct', 42)).toEqual([3, 4, 5].map((n) => entry(n)));
    expect(store.takeGroupHistory('acct', 42)).toEqual([]);
    expect(store.groupHistorySize('acct', 42)).toBe(0);
    store.close();
  });

  test.each([
    [1, [5]],
    [2, [4, 5]],
    [10, [1, 2, 3, 4, 5]],
  ])('limit %i keeps %j', (limit, kept) => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    for (let n = 1; n <= 5; n++) store.appendGroupHistory('acct', 42, entry(n), limit);
    expect(store.takeGroupHistory('acct', 42).map((e) => e.text)).toEqual(kept.map((n) => `message ${n}`));
    store.close();
  });

  test('limit 0 disables it', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    expect(store.appendGroupHistory('acct', 42, entry(1), 0)).toBe(false);
    expect(store.takeGroupHistory('acct', 42)).toEqual([]);
    store.close();
  });

  test('chats and accounts are separate; taking one chat leaves the others', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.appendGroupHistory('acct', 42, entry(1), 5);
    store.appendGroupHistory('acct', 43, entry(2), 5);
    store.appendGroupHistory('other', 42, entry(3), 5);
    expect(store.takeGroupHistory('acct', 42)).toEqual([entry(1)]);
    expect(store.takeGroupHistory('acct', 43)).toEqual([entry(2)]);
    expect(store.takeGroupHistory('other', 42)).toEqual([entry(3)]);
    store.close();
  });

  test('a message appended twice (same guid, a replay) is kept once', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    expect(store.appendGroupHistory('acct', 42, entry(1, { guid: 'G1' }), 5)).toBe(true);
    expect(store.appendGroupHistory('acct', 42, entry(1, { guid: 'G1' }), 5)).toBe(false);
    expect(store.appendGroupHistory('acct', 42, entry(2), 5)).toBe(true);
    expect(store.appendGroupHistory('acct', 42, entry(2), 5)).toBe(true); // no guid: no dedupe
    expect(store.takeGroupHistory('acct', 42)).toHaveLength(3);
    store.close();
  });

  test('survives a restart', () => {
    home = tempHome();
    const first = GatewayStore.open(home.dbPath);
    first.appendGroupHistory('acct', 42, entry(1), 5);
    first.appendGroupHistory('acct', 42, entry(2), 5);
    first.close();
    const second = GatewayStore.open(home.dbPath);
    expect(second.takeGroupHistory('acct', 42)).toEqual([entry(1), entry(2)]);
    second.close();
  });
});
