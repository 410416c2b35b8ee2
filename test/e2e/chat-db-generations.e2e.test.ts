/**
 * Scenario (issue 12, item 5): chat.db replaced while running, the account keeps receiving. A real
 * gateway on real imsg-sim children, both profiles. Messages are answered in the first file; then
 * a new, empty chat.db (row ids start over, far below the cursor) is swapped in, and later a copy
 * of the first file is restored. Every message written after each swap is answered exactly once;
 * none answered before is answered again, although the restore brings their guids back and the
 * gateway deliberately reads them again (the journal drops them by guid). On 0.9 the running child
 * keeps reading the old file (§2.1), so the gateway restarts it; on 0.15 new requests see the new
 * file but subscriptions stay on the old generation (§2.4), so the same child unsubscribes and
 * subscribes again: no restart, the same process.
 */
import { readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, ONE_TURN_PER_MESSAGE, openAccount, runCli, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { SIM_PROFILES, type SimProfile } from '../helpers/sim-profiles.js';
import { snapshotDb, swapDb } from '../../src/sim/index.js';

const running: GatewayProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

const echoes = (db: string) => sentRows(db).map((r) => r.text);
const replacedLines = (g: GatewayProcess) =>
  g.records((r) => typeof r.msg === 'string' && r.msg.startsWith('chat.db was replaced or restored'));

/** Waits until the file holds exactly `expected` replies (as a multiset) and the outbox is empty. */
async function repliesSettle(g: GatewayProcess, db: string, expected: string[], what: string): Promise<void> {
  await waitUntil(() => {
    const a = g.account('default');
    return echoes(db).length >= expected.length && a?.outbox.depth === 0 && a.journalLag === 0;
  }, what, 30_000);
  expect([...echoes(db)].sort()).toEqual([...expected].sort());
}

describe.each(SIM_PROFILES)('imsg-sim %s: chat.db replaced while running', (profile: SimProfile) => {
  it('keeps receiving after a new file and after a restore; each message answered exactly once', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const g = startGateway({ imessage: openAccount(SIM_BIN, db), messages: ONE_TURN_PER_MESSAGE }, undefined, { simProfile: profile });
    running.push(g);
    await g.waitForState('default', 'streaming');

    // Generation 1: answered in the first file.
    const old = Array.from({ length: 6 }, (_, i) => `old ${i}`);
    for (const text of old.slice(0, 3)) inject(db, { from: '+15553000001', text });
    await repliesSettle(g, db, old.slice(0, 3).map((t) => `echo: ${t}`), 'the first three answered');
    const backup = join(dir, 'backup.db');
    snapshotDb(db, backup); // holds old 0..2 and their answers
    for (const text of old.slice(3)) inject(db, { from: '+15553000001', text });
    await repliesSettle(g, db, old.map((t) => `echo: ${t}`), 'all six answered');
    // 6 messages and 6 answers: the watch has seen every row (status is written every second).
    const cursorBefore = await waitUntil(() => {
      const c = g.account('default')?.cursor;
      return typeof c === 'number' && c >= 12 ? c : undefined;
    }, 'the cursor past the answers');
    expect(g.account('default')!.generation).toMatchObject({ number: 1, reason: 'first-start' });
    const firstChild = g.account('default')!.childPid;
    expect(firstChild).toEqual(expect.any(Number));

    // Generation 2: a new, empty chat.db. Its row ids start at 1, far below the cursor.
    const fresh = createSimDb(dir, 'fresh.db');
    const firstFile = swapDb(db, fresh);
    const renewed = Array.from({ length: 4 }, (_, i) => `new ${i}`);
    for (const text of renewed) inject(db, { from: '+15553000002', text });
    await repliesSettle(g, db, renewed.map((t) => `echo: ${t}`), 'the new file answered');
    expect(Math.max(...sentRows(db).map((r) => r.id))).toBeLessThan(cursorBefore);
    const second = await waitUntil(() => {
      const a = g.account('default');
      return a?.state === 'streaming' && a.generation?.number === 2 ? a : undefined;
    }, 'generation 2 in status');
    expect(second.generation).toMatchObject({ number: 2, reason: 'file-replaced' });
    // The first file got nothing more: the old messages were answered once, there.
    expect([...echoes(firstFile)].sort()).toEqual(old.map((t) => `echo: ${t}`).sort());

    // Generation 3: the copy taken after old 0..2 is restored (their guids and row ids come back).
    swapDb(db, backup);
    const restored = Array.from({ length: 3 }, (_, i) => `restored ${i}`);
    for (const text of restored) inject(db, { from: '+15553000003', text });
    await repliesSettle(
      g,
      db,
      [...old.slice(0, 3), ...restored].map((t) => `echo: ${t}`),
      'the restored file answered, its old messages not again',
    );
    const third = await waitUntil(() => {
      const a = g.account('default');
      return a?.state === 'streaming' && a.generation?.number === 3 ? a : undefined;
    }, 'generation 3 in status');
    expect(third.generation).toMatchObject({ number: 3, reason: 'file-replaced' });
    expect(runCli(['status'], g.home).stdout).toMatch(/chat\.db generation 3 \(since [^,]+, file-replaced\)/);

    // Settle a little longer: a late duplicate would show up now. Then count everything once more.
    await new Promise((r) => setTimeout(r, 1500));
    expect([...echoes(db)].sort()).toEqual([...old.slice(0, 3), ...restored].map((t) => `echo: ${t}`).sort());
    const a = g.account('default')!;
    expect(a.counters.accepted).toBe(old.length + renewed.length + restored.length);
    expect(a.outbox.failed).toBe(0);
    if (profile === '0.15') {
      // Moved in place: the same imsg process throughout, never a restart.
      expect(a).toMatchObject({ restarts: 0, childPid: firstChild });
      expect(a.transitions.filter((t) => t.from === 'streaming' && t.to === 'regenerating')).toHaveLength(2);
    } else {
      expect(a.restarts).toBeGreaterThanOrEqual(2);
      expect(a.childPid).not.toBe(firstChild);
    }

    // Logged once per replacement, as a warning with the old cursor and the new starting point.
    const lines = replacedLines(g);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 40, reason: 'file-replaced' });
      expect(typeof line.previousCursor).toBe('number');
      expect(typeof line.startRowid).toBe('number');
    }
    expect(lines[0]).toMatchObject({ generation: 2, previousCursor: cursorBefore, startRowid: 0 });
    expect(lines[1]).toMatchObject({ generation: 3 });
    expect(lines[1]!.startRowid as number).toBeLessThan(lines[1]!.previousCursor as number);
    // The restored messages' guids were read again and dropped as duplicates.
    await g.waitForRecords((r) => r.msg === 'message dropped: duplicate (already in the journal)', 'three duplicate drops', 3);
  }, 120_000);

  it('replaced in place while the gateway was stopped (same inode): the rows below the cursor give it away', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const config = { imessage: openAccount(SIM_BIN, db), messages: ONE_TURN_PER_MESSAGE };
    const first = startGateway(config, undefined, { simProfile: profile });
    running.push(first);
    await first.waitForState('default', 'streaming');
    const old = Array.from({ length: 5 }, (_, i) => `before ${i}`);
    for (const text of old) inject(db, { from: '+15553100001', text });
    await repliesSettle(first, db, old.map((t) => `echo: ${t}`), 'the first five answered');
    const cursorBefore = await waitUntil(() => {
      const c = first.account('default')?.cursor;
      return typeof c === 'number' && c >= 10 ? c : undefined;
    }, 'the cursor past the answers');
    expect((await first.stop()).code).toBe(0);

    // Another database, written while the gateway was away, copied over the same inode.
    const fresh = createSimDb(dir, 'fresh.db');
    const away = ['while away 0', 'while away 1'];
    for (const text of away) inject(fresh, { from: '+15553100002', text });
    const inode = statSync(db).ino;
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    writeFileSync(db, readFileSync(fresh));
    expect(statSync(db).ino).toBe(inode);

    const second = startGateway(config, first.home, { simProfile: profile });
    running.push(second);
    await second.waitForState('default', 'streaming');
    await repliesSettle(second, db, away.map((t) => `echo: ${t}`), 'the messages written while away answered');
    const later = ['after 0', 'after 1'];
    for (const text of later) inject(db, { from: '+15553100002', text });
    await repliesSettle(second, db, [...away, ...later].map((t) => `echo: ${t}`), 'later messages answered');
    const a = await waitUntil(() => {
      const s = second.account('default');
      return s?.generation?.number === 2 ? s : undefined;
    }, 'generation 2 in status');
    expect(a.generation).toMatchObject({ number: 2, reason: 'rows-below-cursor' });
    expect(a.cursor!).toBeLessThan(cursorBefore);
    const lines = replacedLines(second);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, reason: 'rows-below-cursor', previousCursor: cursorBefore, startRowid: 0 });
  }, 120_000);
});

describe('imsg-sim 0.15: the database unavailable for a while (§2.4 reopened)', () => {
  it('the same file again (identity unchanged): no new generation, nothing answered twice', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const flag = join(dir, 'fda-denied');
    const cli = simWrapper(dir, 'imsg-flag', { IMSG_SIM_PERMISSION_FLAG: flag });
    const g = startGateway({ imessage: openAccount(cli, db), messages: ONE_TURN_PER_MESSAGE }, undefined, { simProfile: '0.15' });
    running.push(g);
    await g.waitForState('default', 'streaming');
    inject(db, { from: '+15553200001', text: 'first' });
    await repliesSettle(g, db, ['echo: first'], 'the first answered');
    writeFileSync(flag, '');
    await g.waitForState('default', 'awaiting-permissions');
    inject(db, { from: '+15553200001', text: 'while unavailable' });
    unlinkSync(flag);
    await g.waitForState('default', 'streaming');
    await repliesSettle(g, db, ['echo: first', 'echo: while unavailable'], 'the message written meanwhile answered once');
    expect(g.account('default')!.generation).toMatchObject({ number: 1, reason: 'first-start' });
    expect(replacedLines(g)).toHaveLength(0);
  }, 60_000);
});
