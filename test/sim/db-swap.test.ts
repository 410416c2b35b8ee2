/** imsg-sim snapshot / swap: replacing or restoring chat.db for generation tests (docs/imsg-sim.md). */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initSimDb, injectMessage, maxRowid, readMessages, snapshotDb, swapDb } from '../../src/sim/index.js';
import { tempDir } from '../helpers/sim-db.js';

describe('imsg-sim snapshot and swap', () => {
  it('a snapshot keeps rows and row ids; a swap puts a new inode at the path and moves the old trio aside', () => {
    const dir = tempDir();
    const db = join(dir, 'chat.db');
    initSimDb(db);
    for (let i = 0; i < 3; i++) injectMessage(db, { from: '+15550000001', text: `m${i}` });
    const backup = join(dir, 'backup.db');
    snapshotDb(db, backup);
    expect(() => snapshotDb(db, backup)).toThrow(/already exists/);
    expect(readMessages(backup).map((m) => [m.id, m.text])).toEqual(readMessages(db).map((m) => [m.id, m.text]));

    const fresh = join(dir, 'fresh.db');
    initSimDb(fresh);
    const before = statSync(db).ino;
    writeFileSync(`${db}-wal`, ''); // a sidecar of the old file must not stay at the path
    const aside = swapDb(db, fresh);
    expect(aside).toBe(`${db}.replaced-1`);
    expect(statSync(db).ino).not.toBe(before);
    expect(statSync(aside).ino).toBe(before);
    expect(existsSync(`${aside}-wal`)).toBe(true);
    expect(existsSync(fresh)).toBe(false);
    expect(maxRowid(db)).toBe(0);
    expect(injectMessage(db, { from: '+15550000002', text: 'new' }).id).toBe(1);

    expect(swapDb(db, backup)).toBe(`${db}.replaced-2`);
    expect(maxRowid(db)).toBe(3);
    expect(() => swapDb(db, join(dir, 'missing.db'))).toThrow(/does not exist/);
  });
});
