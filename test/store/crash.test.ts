/**
 * kill -9 at a random instant, several times: the next open must succeed and find every batch of
 * the journal either fully present or fully absent, the cursor at the last recorded batch, and
 * every dispatched message with exactly one queued reply (dispatch + outbox in one transaction).
 *
 * The writer runs in a child process on the store compiled from src/store (transpiled into a temp
 * folder here, so the test never depends on a stale or half-rebuilt dist/).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SqliteDatabase as Database } from '../../src/sqlite/index.js';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GatewayStore } from '../../src/store/index.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const ACCOUNT = 'acct';

const WRITER = `
import { GatewayStore } from './store/index.js';
const store = GatewayStore.open(process.argv[2]);
let cursor = store.getCursor('${ACCOUNT}') ?? 0;
process.stdout.write('ready\\n');
for (;;) {
  const size = 1 + Math.floor(Math.random() * 25);
  const first = cursor + 1;
  const entries = [];
  for (let rowid = first; rowid < first + size; rowid++) {
    entries.push({
      guid: 'g-' + rowid, rowid, chatId: 1, sender: 'batch:' + first + ':' + size,
      createdAt: Date.now(), state: 'accepted', envelope: JSON.stringify({ id: '${ACCOUNT}:g-' + rowid }),
    });
  }
  // A message seen again under a new row id (iCloud sync): must stay a duplicate.
  if (cursor > 0) entries.push({ guid: 'g-' + cursor, rowid: cursor + 100000, chatId: 1, sender: 'dup',
    createdAt: Date.now(), state: 'accepted', envelope: '{}' });
  store.recordInbound('${ACCOUNT}', entries, first + size - 1);
  cursor = first + size - 1;
  for (const p of store.pendingInbound('${ACCOUNT}').slice(0, 8)) {
    const n = Number(p.guid.slice(2));
    if (n % 7 === 0) { store.dropInbound('${ACCOUNT}', p.guid, 'agent-failed'); continue; }
    const ids = store.completeDispatch('${ACCOUNT}', p.guid, [{
      accountId: '${ACCOUNT}', idempotencyKey: 'reply:' + p.guid, chatKey: 'chat:1',
      target: '{"chatId":1}', text: 'echo ' + p.guid, source: 'reply', envelopeId: '${ACCOUNT}:' + p.guid,
    }]);
    const row = store.getOutbox(ids[0]);
    if (row.state === 'queued' && n % 3 === 0) { store.markSending(row.id); store.markSent(row.id, { rowid: n }); }
  }
}
`;

function transpileStore(outDir: string): void {
  for (const folder of ['store', 'sqlite', 'util']) {
    const srcDir = join(REPO, 'src', folder);
    const folderOut = join(outDir, folder);
    mkdirSync(folderOut, { recursive: true });
    for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
      const { outputText } = ts.transpileModule(readFileSync(join(srcDir, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: file,
      });
      writeFileSync(join(folderOut, file.replace(/\.ts$/, '.js')), outputText);
    }
  }
  writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  writeFileSync(join(outDir, 'writer.mjs'), WRITER);
}

/** Starts the writer and SIGKILLs it `delayMs` after it reported ready (or after spawn when `early`). */
function runAndKill(workDir: string, dbPath: string, delayMs: number, early: boolean): Promise<{ stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(workDir, 'writer.mjs'), dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    };
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => {
      if (!early) kill();
    });
    if (early) kill();
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own (code ${code}): ${stderr}`));
      else resolvePromise({ stderr });
    });
  });
}

interface JournalRow {
  guid: string;
  msg_rowid: number;
  sender: string;
  state: string;
}

function checkConsistent(dbPath: string): number {
  const store = GatewayStore.open(dbPath); // opens fine: quick_check passes, migrations done
  const cursor = store.getCursor(ACCOUNT) ?? 0;
  store.close();

  const raw = new Database(dbPath, { readonly: true });
  try {
    const rows = raw
      .prepare<[string], JournalRow>(
        'SELECT guid, msg_rowid, sender, state FROM inbound_journal WHERE account_id = ? ORDER BY msg_rowid',
      )
      .all(ACCOUNT);
    // Journal rows are exactly 1..cursor: nothing past the cursor, nothing missing before it.
    expect(rows.map((r) => r.msg_rowid)).toEqual(Array.from({ length: cursor }, (_, i) => i + 1));
    // Every batch is complete.
    const perBatch = new Map<string, number>();
    for (const r of rows) perBatch.set(r.sender, (perBatch.get(r.sender) ?? 0) + 1);
    for (const [sender, count] of perBatch) {
      expect(sender).toMatch(/^batch:\d+:\d+$/);
      expect(count).toBe(Number(sender.split(':')[2]));
    }
    // Dispatched ⇔ exactly one reply queued; accepted and dropped rows have none.
    const keys = raw.prepare<[], { idempotency_key: string }>('SELECT idempotency_key FROM outbox').all();
    const replyKeys = keys.map((k) => k.idempotency_key).sort();
    const dispatched = rows.filter((r) => r.state === 'dispatched').map((r) => `reply:${r.guid}`).sort();
    expect(replyKeys).toEqual(dispatched);
    return cursor;
  } finally {
    raw.close();
  }
}

describe('crash safety', () => {
  let workDir: string;
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'gw-store-crash-'));
    transpileStore(workDir);
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  test('kill -9 at random moments leaves every batch fully present or fully absent', { timeout: 120_000 }, async () => {
    const dbPath = join(workDir, 'home', 'state.db');
    const cursors: number[] = [];
    const delays: number[] = [];
    for (let round = 0; round < 8; round++) {
      // The first rounds may land while the database is being created or migrated.
      const early = round < 2;
      const delay = early ? 40 + Math.floor(Math.random() * 120) : 20 + Math.floor(Math.random() * 250);
      delays.push(delay);
      await runAndKill(workDir, dbPath, delay, early);
      try {
        cursors.push(checkConsistent(dbPath));
      } catch (err) {
        throw new Error(`round ${round} (kill delays ${delays.join(', ')} ms): ${(err as Error).message}`);
      }
    }
    for (let i = 1; i < cursors.length; i++) expect(cursors[i]).toBeGreaterThanOrEqual(cursors[i - 1]!);
    expect(cursors.at(-1)).toBeGreaterThan(0);
  });
});
