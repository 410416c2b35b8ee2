/**
 * Seeded chaos for the end-to-end suites: what a chaos test randomises (kill pauses, senders,
 * injection pacing) is drawn from fast-check's generator with one seed, so a failing run can be
 * replayed with CHAOS_SEED=<seed> (tests print the seed with their failure messages).
 */
import fc from 'fast-check';

/** CHAOS_SEED from the environment, or a fixed default. */
export const CHAOS_SEED = Number(process.env['CHAOS_SEED'] ?? 1313);

/** `count` integers in [min, max], the same for the same seed. */
export function seededInts(seed: number, count: number, min: number, max: number): number[] {
  return fc.sample(fc.integer({ min, max }), { seed, numRuns: count });
}
