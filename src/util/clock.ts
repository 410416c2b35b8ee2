/**
 * Time source for everything that waits or timestamps. Production code takes a Clock instead of
 * calling Date.now/setTimeout directly, so tests can drive time without sleeping. The shape is a
 * superset of XState's Clock, so the same object is handed to createActor({ clock }).
 * xstate's SimulatedClock (now/increment/setTimeout/clearTimeout) satisfies it in tests.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
