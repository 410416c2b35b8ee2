/** Issue 15, idle CPU: what decides that an account's status must be built again (status-inputs.ts, healthWindows). */
import { describe, expect, it } from 'vitest';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { healthWindows, QUARANTINE_DEGRADED_MS } from '../../src/supervisor/account-health.js';
import { copyCounters, sameCounters, sameInputs, type StatusInputs } from '../../src/supervisor/status-inputs.js';

const inputs = (over: Partial<StatusInputs> = {}): StatusInputs => ({
  items: ['streaming', 1, null],
  counters: newCounters(),
  pausedChats: [],
  windows: 0,
  ...over,
});

describe('status inputs', () => {
  it('equal inputs are the same; any item, counter, drop reason, paused chat or window makes them differ', () => {
    expect(sameInputs(inputs(), inputs())).toBe(true);
    expect(sameInputs(inputs(), inputs({ items: ['streaming', 2, null] }))).toBe(false);
    expect(sameInputs(inputs(), inputs({ items: ['streaming', 1] }))).toBe(false);
    expect(sameInputs(inputs(), inputs({ counters: { ...newCounters(), received: 1 } }))).toBe(false);
    expect(sameInputs(inputs(), inputs({ counters: { ...newCounters(), dropped: { policy: 1 } } }))).toBe(false);
    expect(sameInputs(inputs(), inputs({ pausedChats: ['chat:1'] }))).toBe(false);
    expect(sameInputs(inputs(), inputs({ windows: 1 }))).toBe(false);
  });

  it('a copy of the counters does not follow later increments', () => {
    const live = newCounters();
    const copy = copyCounters(live);
    expect(sameCounters(live, copy)).toBe(true);
    live.dropped['policy'] = 1;
    expect(sameCounters(live, copy)).toBe(false);
    expect(copy.dropped).toEqual({});
  });

  it('healthWindows moves when a quarantine leaves its hour, with nothing else changed', () => {
    const facts = { heldMessages: 0, quarantined: 1, pausedChats: [], lastQuarantine: { at: 1_000, reason: 'bad', rowid: 5 } };
    expect(healthWindows({ ...facts, now: 1_000 + QUARANTINE_DEGRADED_MS - 1 })).toBe(1);
    expect(healthWindows({ ...facts, now: 1_000 + QUARANTINE_DEGRADED_MS })).toBe(0);
    expect(healthWindows({ ...facts, now: 0, internalError: { at: 0, error: 'x' } })).toBe(3);
  });
});
