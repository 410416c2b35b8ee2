/**
 * chat.db generations (imsg-rpc-current.md §2.4, §6.5, §6.7, §9.3): pure decisions.
 *
 * A ROWID cursor belongs to one database file. When chat.db is replaced or restored, its row ids
 * start over (or go back), and a cursor above every new row id makes the watch deaf for good. imsg
 * exposes no generation id, so the gateway keeps its own per account and judges from what it can
 * see: the file's identity (dev, inode) when the path can be examined, the newest rows imsg shows,
 * the journal (which guids were seen, at which row id), and imsg 0.14+ reopening the database.
 *
 * Rewinding is safe because the inbound journal dedupes by guid, whatever the row id: a message
 * answered in the old generation that comes back with another row id is a duplicate, not news.
 */
import type { GenerationReason } from '../store/generation-queries.js';

/** The newest message imsg shows: its physical row id (max of id and url_preview.id), its id and guid. */
export interface NewestRow {
  rowid: number;
  id: number;
  guid: string;
}

export interface GenerationObservation {
  /** The stored cursor of the current generation; undefined before the account's first cursor. */
  cursor: number | undefined;
  /** `dev:ino` recorded for the current generation; null when not recorded yet. */
  recordedIdentity: string | null;
  /** `dev:ino` of the path now; null when no file is there; undefined when it cannot be examined. */
  identity: string | null | undefined;
  /** The newest message; null when the database holds none; undefined when it could not be read. */
  newest: NewestRow | null | undefined;
  /** The row id the journal holds for `newest.guid`; undefined when it was never journalled. */
  newestJournalRowid: number | undefined;
  /** The newest message's guid when the current generation started (it is known, not news). */
  anchorGuid: string | null;
  /** imsg 0.14+ said the database was unavailable and now opens it again (§2.4, first heuristic). */
  reopened: boolean;
}

export type GenerationVerdict =
  | { changed: false; recordIdentity?: string }
  | { changed: true; reason: Exclude<GenerationReason, 'first-start' | 'upgraded'>; detail: string };

/**
 * Is this still the database the cursor belongs to? In order:
 * - no cursor yet: nothing to judge (the first start anchors it);
 * - the path names another file than the one recorded: replaced (or restored from a copy);
 * - imsg reopened the database after it was unavailable: it may be another file (§2.4), unless
 *   the file's identity is known and unchanged;
 * - no message at all while a cursor exists: a new, empty database;
 * - the newest row is below the cursor and is not a row already seen at that row id (the journal,
 *   or the generation's anchor): another database whose row ids start lower. A newest row that was
 *   seen at that very row id means the cursor is past rows history does not show (reactions,
 *   suppressed previews): the same database.
 */
export function judgeGeneration(o: GenerationObservation): GenerationVerdict {
  if (o.cursor === undefined) return { changed: false };
  if (typeof o.identity === 'string' && o.recordedIdentity !== null && o.identity !== o.recordedIdentity) {
    return { changed: true, reason: 'file-replaced', detail: `chat.db is another file now (${o.recordedIdentity} → ${o.identity})` };
  }
  // Reopened after -32002 (permission flicker, file briefly missing): the same file when its
  // identity says so; only without one is the reopening itself a sign.
  const sameFile = typeof o.identity === 'string' && o.recordedIdentity !== null && o.identity === o.recordedIdentity;
  if (o.reopened && !sameFile) {
    return { changed: true, reason: 'database-reopened', detail: 'imsg could not open chat.db for a while and opens it again: it may be another file' };
  }
  if (o.newest === null && o.cursor > 0) {
    return { changed: true, reason: 'database-emptied', detail: `chat.db holds no message while the cursor is at row ${o.cursor}` };
  }
  if (o.newest && o.newest.rowid < o.cursor && !seenAt(o)) {
    return {
      changed: true,
      reason: 'rows-below-cursor',
      detail: `the newest row (${o.newest.rowid}) is below the cursor (${o.cursor}) and was never seen there`,
    };
  }
  if (typeof o.identity === 'string' && o.recordedIdentity === null) return { changed: false, recordIdentity: o.identity };
  return { changed: false };
}

function seenAt(o: GenerationObservation): boolean {
  if (!o.newest) return false;
  return o.newestJournalRowid === o.newest.id || (o.anchorGuid !== null && o.anchorGuid === o.newest.guid);
}

/** How far before the last message seen a new generation is read again (clock skew, late rows). */
export const REWIND_MARGIN_MS = 10 * 60_000;

/**
 * From when a new generation is read: the date of the newest message seen (the journal's), less a
 * margin; without one, the margin before now. Messages of the new file dated after this are read
 * (the journal drops those already answered); older ones are history, never answered.
 */
export function rewindSince(lastSeenAt: number | undefined, now: number, marginMs = REWIND_MARGIN_MS): number {
  const base = lastSeenAt !== undefined && Number.isFinite(lastSeenAt) && lastSeenAt > 0 ? Math.min(lastSeenAt, now) : now;
  return base - marginMs;
}

/**
 * Two observations in a row must agree before a running account is restarted on the rows
 * heuristic (a probe that crossed a write, a history read racing the watch). The file identity
 * and a reopened database are certain and need no second look.
 */
export function confirmedWhileRunning(previous: GenerationVerdict | undefined, current: GenerationVerdict): boolean {
  if (!current.changed) return false;
  if (current.reason !== 'rows-below-cursor' && current.reason !== 'database-emptied') return true;
  return previous?.changed === true && previous.reason === current.reason;
}

/**
 * The resume point one live message vouches for (§6.7): imsg's `cursor` when it sends one (it
 * covers every physical row emitted so far, and may repeat while out-of-order rows are pending, so
 * it never runs ahead of a row not yet seen); otherwise the larger of the row id and its folded
 * URL-preview row's id.
 */
export function resumeRowidOf(message: { id: number; cursor?: number | undefined; url_preview?: { id?: number | undefined } | undefined }): number {
  if (message.cursor !== undefined) return message.cursor;
  return Math.max(message.id, message.url_preview?.id ?? 0);
}
