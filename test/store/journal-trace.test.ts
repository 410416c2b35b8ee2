/** The journal keeps each message's decision: state, reason and the trace of the rules that fired (schema 10). */
import { afterEach, describe, expect, test } from 'vitest';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { GatewayStore, migrate } from '../../src/store/index.js';
import { accepted, dropped, tempHome } from './store-helpers.js';

describe('inbound journal: decision traces', () => {
  let home: ReturnType<typeof tempHome>;
  afterEach(() => home?.cleanup());

  test('a recorded row keeps its trace; the decision is found by guid, on one account or every account', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.recordInbound('bot', [
      accepted('G-1', 1, { trace: ['dm', 'policy:pairing', 'sender:approved', 'dispatch'] }),
      { ...dropped('G-2', 2, 'not-allowlisted'), trace: ['group', 'groupPolicy:allowlist', 'sender-not-listed', 'drop'] },
    ], 2);
    store.recordInbound('personal', [{ ...dropped('G-1', 7, 'pairing-pending'), trace: ['dm', 'policy:pairing', 'sender:pending', 'drop'] }], 7);
    store.close();

    const again = GatewayStore.open(home.dbPath); // a restart: the traces are in the file
    expect(again.inboundDecisions('G-2', 'bot')).toEqual([
      expect.objectContaining({ accountId: 'bot', guid: 'G-2', rowid: 2, state: 'dropped', reason: 'not-allowlisted', trace: ['group', 'groupPolicy:allowlist', 'sender-not-listed', 'drop'] }),
    ]);
    expect(again.inboundDecisions('G-1').map((r) => [r.accountId, r.state, r.trace?.at(-2)])).toEqual([
      ['bot', 'accepted', 'sender:approved'],
      ['personal', 'dropped', 'sender:pending'],
    ]);
    expect(again.inboundDecisions('G-1', 'nobody')).toEqual([]);
    expect(again.inboundDecisions('G-404')).toEqual([]);
    again.close();
  });

  test('a dropped row takes the outcome the store settled on; accepted and unknown rows do not', () => {
    home = tempHome();
    const store = GatewayStore.open(home.dbPath);
    store.recordInbound('bot', [{ ...dropped('G-1', 1, 'pairing-requested'), trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'] }, accepted('G-2', 2)], 2);
    const settled = ['dm', 'policy:pairing', 'sender:stranger', 'store:pairing-cap', 'drop'];
    expect(store.setInboundOutcome('bot', 'G-1', 'pairing-cap', settled)).toBe(true);
    expect(store.inboundDecisions('G-1', 'bot')[0]).toMatchObject({ reason: 'pairing-cap', trace: settled });
    expect(store.setInboundOutcome('bot', 'G-2', 'pairing-cap', settled)).toBe(false);
    expect(store.inboundDecisions('G-2', 'bot')[0]).toMatchObject({ state: 'accepted', reason: null, trace: null });
    expect(store.setInboundOutcome('bot', 'G-3', 'pairing-cap', settled)).toBe(false);
    store.close();
  });

  test('rows journalled before version 10 read with a null trace after the upgrade', () => {
    home = tempHome();
    const raw = new Database(home.dbPath);
    expect(migrate(raw, 9)).toBe(9);
    raw
      .prepare(
        `INSERT INTO inbound_journal (account_id, guid, msg_rowid, chat_id, sender, created_at, state, reason, envelope, recorded_at, updated_at)
         VALUES ('bot', 'G-old', 5, 1, '+1555', 1000, 'dropped', 'no-mention', NULL, 1000, 1000)`,
      )
      .run();
    raw.close();
    const store = GatewayStore.open(home.dbPath);
    expect(store.inboundDecisions('G-old')).toEqual([expect.objectContaining({ reason: 'no-mention', trace: null })]);
    store.close();
  });
});
