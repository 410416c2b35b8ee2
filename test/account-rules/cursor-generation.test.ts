/** chat.db generations: the pure decisions (issue 12, item 5; imsg-rpc-current.md §2.4, §6.7). */
import { describe, expect, test } from 'vitest';
import {
  confirmedWhileRunning,
  type GenerationObservation,
  type GenerationVerdict,
  judgeGeneration,
  resumeRowidOf,
  REWIND_MARGIN_MS,
  rewindSince,
} from '../../src/account-rules/cursor-generation.js';

const base: GenerationObservation = {
  cursor: 120,
  recordedIdentity: '64:1001',
  identity: '64:1001',
  newest: { rowid: 120, id: 120, guid: 'G-120' },
  newestJournalRowid: 120,
  anchorGuid: null,
  reopened: false,
};

describe('judgeGeneration', () => {
  test.each<[string, Partial<GenerationObservation>, GenerationVerdict['changed'], string | undefined]>([
    ['the same file, the newest row is the cursor', {}, false, undefined],
    ['newer rows than the cursor (the watch is about to deliver them)', { newest: { rowid: 130, id: 130, guid: 'G-130' }, newestJournalRowid: undefined }, false, undefined],
    ['no cursor yet: the first start anchors it', { cursor: undefined, newest: null, identity: '64:9' }, false, undefined],
    ['another file at the path (dev, inode)', { identity: '64:2002' }, true, 'file-replaced'],
    ['another file, rows even higher than the cursor', { identity: '64:2002', newest: { rowid: 900, id: 900, guid: 'X' } }, true, 'file-replaced'],
    ['the path cannot be examined: no verdict from identity', { identity: undefined }, false, undefined],
    ['the path is empty right now: no verdict from identity', { identity: null }, false, undefined],
    ['identity not recorded yet (upgraded store): recorded, not judged', { recordedIdentity: null, identity: '64:5' }, false, undefined],
    ['reopened after -32002, identity unchanged: the same file', { reopened: true }, false, undefined],
    ['reopened after -32002, the path cannot be examined', { reopened: true, identity: undefined }, true, 'database-reopened'],
    ['reopened after -32002, no identity recorded yet', { reopened: true, recordedIdentity: null }, true, 'database-reopened'],
    ['reopened, same identity, but rows below the cursor never seen', { reopened: true, newest: { rowid: 2, id: 2, guid: 'N' }, newestJournalRowid: undefined }, true, 'rows-below-cursor'],
    ['no message at all while a cursor exists', { newest: null, newestJournalRowid: undefined }, true, 'database-emptied'],
    ['no message and cursor 0 (an empty database from the start)', { cursor: 0, newest: null, newestJournalRowid: undefined }, false, undefined],
    ['history unreadable: no verdict from rows', { newest: undefined, newestJournalRowid: undefined }, false, undefined],
    ['rows restart low: newest 3 never seen, cursor 120', { newest: { rowid: 3, id: 3, guid: 'NEW-3' }, newestJournalRowid: undefined }, true, 'rows-below-cursor'],
    ['restored copy: a known guid back at another row id', { newest: { rowid: 90, id: 90, guid: 'G-100' }, newestJournalRowid: 100 }, true, 'rows-below-cursor'],
    ['cursor past rows history hides (reactions): newest seen at that very id', { newest: { rowid: 117, id: 117, guid: 'G-117' }, newestJournalRowid: 117 }, false, undefined],
    ['the new generation anchor: its newest row is known', { newest: { rowid: 3, id: 3, guid: 'A-3' }, newestJournalRowid: undefined, anchorGuid: 'A-3' }, false, undefined],
    ['url_preview row counts: physical 121 ≥ cursor 120', { newest: { rowid: 121, id: 119, guid: 'P' }, newestJournalRowid: undefined }, false, undefined],
    ['seen by message id although its preview row is higher', { cursor: 125, newest: { rowid: 121, id: 119, guid: 'P' }, newestJournalRowid: 119 }, false, undefined],
  ])('%s', (_name, change, changed, reason) => {
    const verdict = judgeGeneration({ ...base, ...change });
    expect(verdict.changed).toBe(changed);
    if (verdict.changed) {
      expect(verdict.reason).toBe(reason);
      expect(verdict.detail.length).toBeGreaterThan(10);
    }
  });

  test('an identity seen for the first time is handed back for recording', () => {
    expect(judgeGeneration({ ...base, recordedIdentity: null, identity: '64:5' })).toEqual({ changed: false, recordIdentity: '64:5' });
  });

  test('identity wins over every other sign', () => {
    const v = judgeGeneration({ ...base, identity: '1:2', reopened: true, newest: null });
    expect(v).toMatchObject({ changed: true, reason: 'file-replaced' });
  });
});

describe('rewindSince', () => {
  test.each<[string, number | undefined, number, number]>([
    ['the newest journalled message less the margin', 1_000_000_000, 2_000_000_000, 1_000_000_000 - REWIND_MARGIN_MS],
    ['a date in the future is capped at now', 3_000_000_000, 2_000_000_000, 2_000_000_000 - REWIND_MARGIN_MS],
    ['nothing journalled: the margin before now', undefined, 2_000_000_000, 2_000_000_000 - REWIND_MARGIN_MS],
    ['a zero date (unparsable created_at) counts as none', 0, 2_000_000_000, 2_000_000_000 - REWIND_MARGIN_MS],
  ])('%s', (_name, lastSeen, now, expected) => {
    expect(rewindSince(lastSeen, now)).toBe(expected);
  });
});

describe('confirmedWhileRunning', () => {
  const rows: GenerationVerdict = { changed: true, reason: 'rows-below-cursor', detail: 'd' };
  const file: GenerationVerdict = { changed: true, reason: 'file-replaced', detail: 'd' };
  const same: GenerationVerdict = { changed: false };
  test.each<[string, GenerationVerdict | undefined, GenerationVerdict, boolean]>([
    ['rows below the cursor once: wait for a second look', undefined, rows, false],
    ['rows below the cursor twice in a row: restart', rows, rows, true],
    ['rows below after a clean look: wait', same, rows, false],
    ['a replaced file needs no second look', undefined, file, true],
    ['nothing changed', rows, same, false],
  ])('%s', (_name, previous, current, expected) => {
    expect(confirmedWhileRunning(previous, current)).toBe(expected);
  });
});

describe('resumeRowidOf (§6.7)', () => {
  test.each<[string, Parameters<typeof resumeRowidOf>[0], number]>([
    ['the row id when there is nothing else', { id: 40 }, 40],
    ['the folded URL-preview row when it is higher', { id: 40, url_preview: { id: 41 } }, 41],
    ['imsg cursor wins over the id (covers every row emitted so far)', { id: 40, cursor: 44 }, 44],
    ['an early out-of-order row repeats the previous cursor: never past a row not yet seen', { id: 45, cursor: 43 }, 43],
    ['cursor wins over the preview too', { id: 40, url_preview: { id: 47 }, cursor: 46 }, 46],
  ])('%s', (_name, message, expected) => {
    expect(resumeRowidOf(message)).toBe(expected);
  });
});
