import { describe, expect, it } from 'vitest';
import { ChatHolds } from '../../src/supervisor/chat-holds.js';

describe('ChatHolds', () => {
  it('holds one chat until its time, the later hold wins, and forgets expired holds', () => {
    const h = new ChatHolds();
    h.hold('a', 1000);
    h.hold('a', 500);
    expect(h.heldUntil('a', 0)).toBe(1000);
    expect(h.heldUntil('b', 0)).toBeUndefined();
    h.hold('a', 2000);
    expect(h.heldUntil('a', 1500)).toBe(2000);
    expect(h.heldUntil('a', 2000)).toBeUndefined();
    expect(h.size).toBe(0);
  });

  it('release and clear end holds early', () => {
    const h = new ChatHolds();
    h.hold('a', 10);
    h.hold('b', 10);
    h.release('a');
    expect(h.heldUntil('a', 0)).toBeUndefined();
    expect(h.heldUntil('b', 0)).toBe(10);
    h.clear();
    expect(h.size).toBe(0);
  });
});
