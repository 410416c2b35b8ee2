/** The pure parts of the messages.after catch-up: page-loop decisions and progress (simulated clock). */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { afterPage, describeProgress, pageParams, parseAfterResult, progressOf, startCatchUp } from '../../src/account-rules/catch-up.js';

const msgs = (...ids: number[]) => ids.map((id) => ({ id, guid: `g${id}` }));
const page = (ids: number[], next: number, more: boolean) => parseAfterResult({ messages: msgs(...ids), next_rowid: next, has_more: more });

describe('parseAfterResult', () => {
  it('reads messages, next_rowid and has_more', () => {
    expect(parseAfterResult({ messages: [], next_rowid: 999, has_more: false })).toEqual({ ok: true, page: { messages: [], nextRowid: 999, hasMore: false } });
  });
  it('names what an unusable answer lacks', () => {
    expect(parseAfterResult(null)).toMatchObject({ ok: false, problem: expect.stringContaining('messages list') });
    expect(parseAfterResult({ messages: [], has_more: true })).toMatchObject({ ok: false, problem: expect.stringContaining('next_rowid') });
    expect(parseAfterResult({ messages: [], next_rowid: '5', has_more: true })).toMatchObject({ ok: false, problem: expect.stringContaining('next_rowid') });
    expect(parseAfterResult({ messages: [], next_rowid: 5 })).toMatchObject({ ok: false, problem: expect.stringContaining('has_more') });
  });
});

describe('the page loop', () => {
  it('asks from max(cursor, 0), 500 at a time, with the watch attachments setting', () => {
    expect(pageParams(startCatchUp(-1, null, 0), 500, false)).toEqual({ since_rowid: 0, limit: 500, attachments: false });
    expect(pageParams(startCatchUp(42, null, 0), 500, true)).toEqual({ since_rowid: 42, limit: 500, attachments: true });
  });

  it('moves the cursor to next_rowid and pages on while has_more (the spec example: 502 rows)', () => {
    let s = startCatchUp(0, 502, 0);
    const first = afterPage(s, page(Array.from({ length: 500 }, (_, i) => i + 1), 500, true));
    expect(first.decision).toEqual({ next: 'page' });
    s = first.state;
    expect(s).toMatchObject({ cursor: 500, rows: 500, pages: 1 });
    const second = afterPage(s, page([501, 502], 502, false));
    expect(second.decision).toEqual({ next: 'subscribe', why: 'caught-up' });
    expect(second.state).toMatchObject({ cursor: 502, rows: 502, pages: 2 });
  });

  it('an empty page with has_more and a cursor that moved (suppressed preview rows) pages on', () => {
    const r = afterPage(startCatchUp(10, 50, 0), page([], 14, true));
    expect(r.decision).toEqual({ next: 'page' });
    expect(r.state.cursor).toBe(14);
  });

  it('done is has_more:false, whatever the count or the last id', () => {
    const r = afterPage(startCatchUp(10, 50, 0), page([], 10, false));
    expect(r.decision).toEqual({ next: 'subscribe', why: 'caught-up' });
    expect(r.state).toMatchObject({ cursor: 10, pages: 1 });
  });

  it('next_rowid beyond the last id (a coalesced preview) is the cursor', () => {
    expect(afterPage(startCatchUp(0, null, 0), page([1, 2], 3, true)).state.cursor).toBe(3);
  });

  it('never moves the cursor backwards; has_more without progress stops paging (the watch takes over)', () => {
    const r = afterPage(startCatchUp(100, 200, 0), page([], 90, true));
    expect(r.state.cursor).toBe(100);
    expect(r.decision).toEqual({ next: 'subscribe', why: 'stalled' });
  });

  it('an unreadable answer stops paging without touching the cursor', () => {
    const s = startCatchUp(100, 200, 0);
    const r = afterPage(s, parseAfterResult({ rows: [] }));
    expect(r.decision).toEqual({ next: 'subscribe', why: 'malformed' });
    expect(r.state).toEqual(s);
  });

  it('raises the known head when a page shows newer rows', () => {
    const r = afterPage(startCatchUp(0, 10, 0), page([11, 12], 12, true));
    expect(r.state.head).toBe(12);
  });
});

describe('progress', () => {
  it('behind by (head − cursor) rows, rows per second and the time left, on the simulated clock', () => {
    const clock = new SimulatedClock();
    clock.set(1_000_000);
    let s = startCatchUp(1000, 6000, clock.now());
    expect(progressOf(s, clock.now())).toMatchObject({ active: true, behindBy: 5000, rows: 0, rowsPerSecond: null, etaMs: null, elapsedMs: 0 });
    clock.increment(250);
    s = afterPage(s, page(Array.from({ length: 500 }, (_, i) => 1001 + i), 1500, true)).state;
    const p = progressOf(s, clock.now());
    expect(p).toMatchObject({ active: true, behindBy: 4500, rows: 500, pages: 1, elapsedMs: 250, rowsPerSecond: 2000, etaMs: 2250 });
    expect(describeProgress(p)).toBe('behind by 4500 rows, 2000 rows/s (500 rows in 1 pages so far)');
  });

  it('is 0 behind once caught up, and says how it ended', () => {
    const s = afterPage(startCatchUp(0, 3, 0), page([1, 2, 3], 3, false)).state;
    expect(progressOf(s, 1000, 'caught-up')).toMatchObject({ active: false, behindBy: 0, etaMs: 0, rowsPerSecond: 3, stoppedBy: 'caught-up' });
  });

  it('an unknown head is an unknown distance, never a made-up one', () => {
    const p = progressOf(startCatchUp(5, null, 0), 10);
    expect(p.behindBy).toBeNull();
    expect(p.etaMs).toBeNull();
    expect(describeProgress(p)).toContain('unknown number of rows');
  });

  it('a head estimate below the cursor is no negative distance', () => {
    expect(progressOf(startCatchUp(100, 40, 0), 0).behindBy).toBe(0);
  });
});
