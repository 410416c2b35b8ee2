import { describe, expect, it } from 'vitest';
import { durationText, relativeTime } from '../../src/cli/duration-text.js';

describe('durationText', () => {
  it.each([
    [0, '0s'],
    [999, '0s'],
    [40_000, '40s'],
    [192_000, '3m 12s'],
    [180_000, '3m'],
    [3_600_000 + 5 * 60_000 + 7000, '1h 5m'],
    [3_600_000 + 7000, '1h'],
    [3 * 86_400_000 + 4 * 3_600_000 + 59_000, '3d 4h'],
    [-5000, '0s'],
  ])('%d ms is %s', (ms, text) => expect(durationText(ms)).toBe(text));
});

describe('relativeTime', () => {
  const now = Date.parse('2026-01-01T12:00:00.000Z');
  it('past, future, now and not a timestamp', () => {
    expect(relativeTime('2026-01-01T11:56:48.000Z', now)).toBe('3m 12s ago');
    expect(relativeTime('2026-01-01T12:00:40.000Z', now)).toBe('in 40s');
    expect(relativeTime('2026-01-01T12:00:00.500Z', now)).toBe('now');
    expect(relativeTime('', now)).toBe('');
  });
});
