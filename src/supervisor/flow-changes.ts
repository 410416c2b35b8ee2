/**
 * Which flow entries changed since the dashboard's live feed last looked (live-feed.ts): new
 * messages, a decision settled, a reply's outcome moved. Pure: the entries seen last time (by
 * account and guid, with a signature of their content) against the newest ones now.
 */
import type { FlowEntry } from '../store/flow-queries.js';

/** Account and guid: one flow entry (guids are unique per account). */
export function flowKey(entry: Pick<FlowEntry, 'accountId' | 'guid' | 'rowid'>): string {
  return `${entry.accountId}\u0000${entry.guid === '' ? `rowid-${entry.rowid}` : entry.guid}`;
}

export interface FlowChanges {
  /** New or changed entries, newest first (as given). */
  changed: FlowEntry[];
  /** What to compare with next time: the entries given now. */
  seen: Map<string, string>;
}

export function flowChanges(seen: ReadonlyMap<string, string>, entries: readonly FlowEntry[]): FlowChanges {
  const next = new Map<string, string>();
  const changed: FlowEntry[] = [];
  for (const entry of entries) {
    const key = flowKey(entry);
    const signature = JSON.stringify(entry);
    next.set(key, signature);
    if (seen.get(key) !== signature) changed.push(entry);
  }
  return { changed, seen: next };
}
