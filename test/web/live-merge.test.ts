/** The web client's merge of pushed flow entries and log records into what the page holds (pure). */
import { describe, expect, it } from 'vitest';
import { MAX_FLOW_ENTRIES, MAX_LOG_RECORDS, mergeFlow, mergeLog } from '../../src/web/client/live-merge.js';
import type { FlowEntry, LogRecord } from '../../src/web/client/types.js';

const entry = (accountId: string, guid: string, recordedAt: number, extra: Partial<FlowEntry> = {}): FlowEntry => ({
  accountId,
  guid,
  rowid: recordedAt,
  chatId: 1,
  sender: '+15550001111',
  createdAt: recordedAt,
  recordedAt,
  decision: 'accepted',
  reason: null,
  reply: null,
  ...extra,
});
const record = (seq: number): LogRecord => ({ seq, time: seq, level: 'info', msg: `m${seq}`, fields: {} });

describe('mergeFlow', () => {
  it('replaces an entry by account and guid, adds new ones, newest first, bounded', () => {
    const held = { flow: [entry('a', 'g2', 20), entry('a', 'g1', 10)], showText: false };
    const merged = mergeFlow(held, [entry('a', 'g1', 10, { decision: 'dispatched' }), entry('b', 'g1', 30)], false, null);
    expect(merged.flow.map((e) => `${e.accountId}:${e.guid}:${e.decision}`)).toEqual(['b:g1:accepted', 'a:g2:accepted', 'a:g1:dispatched']);
    const many = Array.from({ length: MAX_FLOW_ENTRIES + 5 }, (_, i) => entry('a', `n${i}`, 100 + i));
    const bounded = mergeFlow(merged, many, false, null);
    expect(bounded.flow).toHaveLength(MAX_FLOW_ENTRIES);
    expect(bounded.flow[0]!.guid).toBe(`n${MAX_FLOW_ENTRIES + 4}`);
  });

  it('keeps to the selected account, and drops every text once showText is off', () => {
    const scoped = mergeFlow(undefined, [entry('a', 'g1', 1, { text: 'hi' }), entry('b', 'g2', 2)], true, 'a');
    expect(scoped).toEqual({ flow: [entry('a', 'g1', 1, { text: 'hi' })], showText: true });
    const off = mergeFlow(scoped, [], false, 'a');
    expect(off.showText).toBe(false);
    expect(off.flow[0]).not.toHaveProperty('text');
  });
});

describe('mergeLog', () => {
  it('joins by seq, oldest first, without duplicates, at most MAX_LOG_RECORDS', () => {
    expect(mergeLog([record(1), record(2)], [record(2), record(3)]).map((r) => r.seq)).toEqual([1, 2, 3]);
    const many = Array.from({ length: MAX_LOG_RECORDS + 10 }, (_, i) => record(i + 1));
    const merged = mergeLog([], many);
    expect(merged).toHaveLength(MAX_LOG_RECORDS);
    expect(merged[0]!.seq).toBe(11);
  });
});
