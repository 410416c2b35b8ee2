/** Issue 11, item 2: "a row id near 2^53 lifted the cursor for good". The cursor-jump rule. */
import { describe, expect, it } from 'vitest';
import { judgeRowid, RowidJumpGuard } from '../../src/supervisor/rowid-jump.js';

const rule = { window: 1000, confirmations: 3 };

describe('judgeRowid (pure)', () => {
  it('accepts row ids up to the window past the baseline, and any below it (replays)', () => {
    expect(judgeRowid(1, 500, [], rule)).toEqual({ verdict: 'ok' });
    expect(judgeRowid(1500, 500, [], rule)).toEqual({ verdict: 'ok' });
  });

  it('a row id near 2^53 is a jump (row-id-near-2^53 finding)', () => {
    expect(judgeRowid(2 ** 53 - 1, 500, [], rule)).toEqual({ verdict: 'jump', baseline: 500, distance: 2 ** 53 - 1 - 500 });
    expect(judgeRowid(1501, 500, [], rule).verdict).toBe('jump');
  });

  it('a jump is confirmed only by enough distinct suspects close to each other', () => {
    expect(judgeRowid(50_002, 500, [50_001], rule).verdict).toBe('jump');
    expect(judgeRowid(50_003, 500, [50_001, 50_002], rule).verdict).toBe('confirmed');
    // The same row again is no confirmation; far-apart suspects are none either.
    expect(judgeRowid(50_001, 500, [50_001, 50_001], rule).verdict).toBe('jump');
    expect(judgeRowid(90_000, 500, [50_001, 2 ** 53 - 1], rule).verdict).toBe('jump');
  });
});

describe('RowidJumpGuard', () => {
  it('never lets a single implausible row raise the baseline; the next real row still passes', () => {
    let stored = 100;
    const guard = new RowidJumpGuard(rule, () => stored);
    expect(guard.check(2 ** 53 - 1).verdict).toBe('jump');
    expect(guard.check(101).verdict).toBe('ok');
    stored = 101;
    expect(guard.check(2 ** 53 - 1).verdict).toBe('jump');
    expect(guard.check(102).verdict).toBe('ok');
  });

  it('follows accepted rows past the stored cursor (a batch not yet written)', () => {
    const guard = new RowidJumpGuard(rule, () => 0);
    for (let r = 1; r <= 5000; r += 900) expect(guard.check(r).verdict).toBe('ok');
  });

  it('accepts a real jump from its third row on, and the rows after it', () => {
    const guard = new RowidJumpGuard(rule, () => 10);
    expect(guard.check(500_000).verdict).toBe('jump');
    expect(guard.check(500_001).verdict).toBe('jump');
    expect(guard.check(500_002).verdict).toBe('confirmed');
    expect(guard.check(500_003).verdict).toBe('ok');
  });

  it('judges nothing while the stored cursor cannot be read and nothing was seen', () => {
    const guard = new RowidJumpGuard(rule, () => undefined);
    expect(guard.check(2 ** 53 - 1).verdict).toBe('ok');
  });
});
