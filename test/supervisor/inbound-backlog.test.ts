import { describe, expect, it } from 'vitest';
import { holdsReading, INBOUND_BACKLOG } from '../../src/supervisor/inbound-backlog.js';

describe('holdsReading (inbound backpressure, with hysteresis)', () => {
  const limits = { holdAt: 10, readOnAt: 4 };
  it.each([
    // held now, backlog, held next
    [false, 0, false],
    [false, 9, false],
    [false, 10, true],
    [false, 50, true],
    [true, 10, true],
    [true, 5, true],
    [true, 4, false],
    [true, 0, false],
  ] as const)('held=%s, backlog %i → %s', (held, backlog, next) => {
    expect(holdsReading(held, backlog, limits)).toBe(next);
  });

  it('the gateway default holds well past one catch-up page and reads on well before empty', () => {
    expect(INBOUND_BACKLOG.holdAt).toBeGreaterThan(INBOUND_BACKLOG.readOnAt);
    expect(INBOUND_BACKLOG.readOnAt).toBeGreaterThan(0);
  });
});
