import { describe, expect, it } from 'vitest';
import { useColour } from '../../src/util/colour.js';

describe('useColour', () => {
  it('NO_COLOR wins, FORCE_COLOR forces, else only on a TTY', () => {
    expect(useColour({}, true)).toBe(true);
    expect(useColour({}, false)).toBe(false);
    expect(useColour({ NO_COLOR: '1' }, true)).toBe(false);
    expect(useColour({ NO_COLOR: '' }, true)).toBe(true);
    expect(useColour({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(useColour({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(useColour({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(useColour({ FORCE_COLOR: 'false' }, true)).toBe(false);
  });
});
