/** Test helpers around imsg-sim databases: create, inject as Messages.app would, read what was sent. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import { initSimDb, injectMessage, type InjectOptions } from '../../src/sim/index.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const SIM_BIN = join(REPO, 'bin', 'imsg-sim.js');

export function tempDir(prefix = 'gw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function createSimDb(dir: string, name = 'chat.db'): string {
  const path = join(dir, name);
  initSimDb(path);
  return path;
}

export function inject(db: string, opts: InjectOptions): { id: number; guid: string; chat_id: number } {
  return injectMessage(db, opts);
}

export interface SentRow {
  id: number;
  text: string;
  chatId: number;
}

/** Outgoing (is_from_me) rows, oldest first: what the gateway sent through imsg. */
export function sentRows(db: string): SentRow[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn
      .prepare(
        `SELECT m.ROWID AS id, m.text AS text, IFNULL(j.chat_id, 0) AS chatId
         FROM message m LEFT JOIN chat_message_join j ON j.message_id = m.ROWID
         WHERE m.is_from_me = 1 ORDER BY m.ROWID`,
      )
      .all() as SentRow[];
  } finally {
    conn.close();
  }
}

/**
 * A `#!/bin/sh` wrapper that sets imsg-sim fault switches and execs the simulator, the way an
 * operator's SSH wrapper would sit in cliPath. With exec=false the sim runs as a child of sh.
 */
export function simWrapper(dir: string, name: string, env: Record<string, string>, exec = true): string {
  const path = join(dir, name);
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join('\n');
  const run = `"${process.execPath}" "${SIM_BIN}" "$@"`;
  writeFileSync(path, `#!/bin/sh\n${exports}\n${exec ? `exec ${run}` : run}\n`);
  chmodSync(path, 0o755);
  return path;
}

export async function waitUntil<T>(
  probe: () => T | undefined | false,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
