/**
 * The cursor-jump rule (issue 11, item 2). The cursor is `since_rowid` for every resubscribe: once
 * it is past a row, imsg never sends that row again. chat.db row ids grow one by one, so a message
 * whose row id is far beyond the highest row seen (a row id near 2^53 from a corrupt or hostile
 * source) must not move the cursor: every real message after it would be skipped for good.
 *
 * - A row id within `window` of the baseline (the highest row id recorded or accepted) is normal.
 * - One beyond it is a suspect: quarantined, the cursor untouched.
 * - When `confirmations` distinct suspects lie within `window` of each other, the jump is real
 *   (Messages did skip ahead, for example after many rows were deleted): that row and the ones
 *   after it are accepted. A single implausible row never is.
 *
 * Pure: `judgeRowid` decides; `RowidJumpGuard` keeps the baseline and the suspects of one account.
 */

export const DEFAULT_MAX_ROWID_JUMP = 1_000_000;
export const DEFAULT_JUMP_CONFIRMATIONS = 3;
/** Suspects kept at most (the oldest are forgotten). */
const MAX_SUSPECTS = 64;

export type RowidVerdict = { verdict: 'ok' } | { verdict: 'jump'; baseline: number; distance: number } | { verdict: 'confirmed' };

export interface JumpRule {
  window: number;
  confirmations: number;
}

export function judgeRowid(rowid: number, baseline: number, suspects: readonly number[], rule: JumpRule): RowidVerdict {
  if (rowid <= baseline + rule.window) return { verdict: 'ok' };
  const near = new Set(suspects.filter((s) => s !== rowid && Math.abs(s - rowid) <= rule.window));
  if (near.size + 1 >= rule.confirmations) return { verdict: 'confirmed' };
  return { verdict: 'jump', baseline, distance: rowid - baseline };
}

export class RowidJumpGuard {
  private highest: number | undefined;
  private suspects: number[] = [];

  /** `stored` reads the durable cursor (undefined when unknown or the store cannot be read). */
  constructor(
    private readonly rule: JumpRule,
    private readonly stored: () => number | undefined,
  ) {}

  /**
   * Judges a row id; an `ok` or `confirmed` one raises the baseline, a `jump` is remembered as a
   * suspect. The durable cursor is read only until a row has been accepted: from then on the
   * cursor only moves with rows that passed here, so `highest` is never below it (no store read
   * per message).
   */
  check(rowid: number): RowidVerdict {
    const baseline = this.highest ?? this.stored() ?? Number.NEGATIVE_INFINITY;
    // No baseline yet (a store that cannot be read): nothing to judge against; the journal holds it.
    if (!Number.isFinite(baseline)) return { verdict: 'ok' };
    const verdict = judgeRowid(rowid, baseline, this.suspects, this.rule);
    if (verdict.verdict === 'jump') {
      if (!this.suspects.includes(rowid)) this.suspects.push(rowid);
      if (this.suspects.length > MAX_SUSPECTS) this.suspects.shift();
      return verdict;
    }
    this.highest = Math.max(this.highest ?? rowid, rowid);
    if (verdict.verdict === 'confirmed') this.suspects = this.suspects.filter((s) => s > this.highest!);
    return verdict;
  }
}
