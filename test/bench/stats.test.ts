/** The bench's pure helpers: which round a median-judged figure comes from. */
import { describe, expect, it } from 'vitest';
import { medianIndex } from '../../bench/lib/stats.js';

describe('medianIndex', () => {
  it.each([
    [[2.3, 1.4, 4.2], 0],
    [[1.4, 2.3, 4.2], 1],
    [[4.2, 1.4, 2.3], 2],
    [[3], 0],
    [[5, 1], 1],
    [[1, 2, 3, 4], 1],
    [[], -1],
  ])('%j → %i', (values, index) => {
    expect(medianIndex(values)).toBe(index);
  });
});
