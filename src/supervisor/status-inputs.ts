/**
 * What an account's status is built from, compared cheaply (issue 15, idle CPU): the status tick
 * asks every account for its status each second, and an idle account's status is the same as the
 * last one unless one of its inputs moved. The runtime keeps the last status it built with the
 * inputs it was built from, and builds again only when sameInputs() says they differ.
 */
import type { AccountCounters } from './account-counters.js';

/** The inputs of one build: values and references that are replaced (never changed in place) when they change. */
export interface StatusInputs {
  /** Primitives and references, compared with ===. */
  readonly items: readonly unknown[];
  /** The counters as they were (a copy: the live object changes in place). */
  readonly counters: AccountCounters;
  /** Chats the echo-loop breaker holds paused. */
  readonly pausedChats: readonly string[];
  /** The open time windows of the health (healthWindows). */
  readonly windows: number;
}

export function sameInputs(a: StatusInputs, b: StatusInputs): boolean {
  return a.windows === b.windows && sameItems(a.items, b.items) && sameCounters(a.counters, b.counters) && sameItems(a.pausedChats, b.pausedChats);
}

export function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every counter, including each drop reason, has the same value. */
export function sameCounters(a: AccountCounters, b: AccountCounters): boolean {
  for (const key of Object.keys(a) as Array<keyof AccountCounters>) {
    if (key === 'dropped') continue;
    if (a[key] !== b[key]) return false;
  }
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  const da = a.dropped;
  const db = b.dropped;
  const reasons = Object.keys(da);
  if (reasons.length !== Object.keys(db).length) return false;
  for (const reason of reasons) if (da[reason] !== db[reason]) return false;
  return true;
}

/** A copy of the counters that later increments do not reach. */
export function copyCounters(c: AccountCounters): AccountCounters {
  return { ...c, dropped: { ...c.dropped } };
}
