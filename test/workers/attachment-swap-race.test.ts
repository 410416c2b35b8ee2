/**
 * Issue 11, item 6: exchanging a directory inside an attachment root with a symlink to the
 * outside while ingestion runs must never ingest outside content. A separate process
 * (swap-loop.mjs) swaps `<root>/inbox` with a symlink to `<outside>` for a bounded time while this
 * process ingests `<root>/inbox/sub/photo.txt` over and over, several at a time. The outside file
 * at the same relative path carries a marker; no stored file may contain it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAttachment, type IngestResult } from '../../src/workers/ingest-attachment.js';
import { tempDir, writeFile } from './fixtures.js';

const SWAP_LOOP = fileURLToPath(new URL('./swap-loop.mjs', import.meta.url));
const RACE_MS = 3000;
const CONCURRENCY = 4;
const INSIDE = 'inside the attachment root: an ordinary attachment\n';
const MARKER = 'OUTSIDE-MARKER-7f3a9c: this file lies outside every attachment root';

let tmp: { dir: string; cleanup: () => void };
let root: string;
let outside: string;
let mediaDir: string;

beforeEach(() => {
  tmp = tempDir('igw-swap-race-');
  root = join(tmp.dir, 'Attachments');
  outside = join(tmp.dir, 'outside');
  mediaDir = join(tmp.dir, 'media');
  mkdirSync(join(root, 'inbox', 'sub'), { recursive: true });
  mkdirSync(join(outside, 'sub'), { recursive: true });
  writeFile(join(root, 'inbox', 'sub', 'photo.txt'), INSIDE);
  writeFile(join(outside, 'sub', 'photo.txt'), MARKER);
});
afterEach(() => tmp.cleanup());

/** Runs the swapper for `ms`; resolves with its swap count once it has exited. */
function runSwapper(ms: number): { done: Promise<number>; exited: () => boolean } {
  const child = spawn(process.execPath, [SWAP_LOOP, join(root, 'inbox'), join(root, '.inbox-away'), outside, String(ms)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exited = false;
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      exited = true;
      if (code !== 0) reject(new Error(`swap loop exited ${code}: ${err}`));
      else resolve((JSON.parse(out) as { swaps: number }).swaps);
    });
  });
  return { done, exited: () => exited };
}

function storedContents(): string[] {
  let entries;
  try {
    entries = readdirSync(mediaDir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

describe('attachment swap race (issue 11, item 6)', () => {
  it('a directory swapped with a symlink to the outside never leaks outside content', { timeout: 30_000 }, async () => {
    const path = join(root, 'inbox', 'sub', 'photo.txt');
    const results: IngestResult[] = [];
    const swapper = runSwapper(RACE_MS);

    const ingestUntilSwapperExits = async (): Promise<void> => {
      while (!swapper.exited()) {
        results.push(await ingestAttachment({ path, mediaDir, maxBytes: 1024 * 1024, roots: [root] }));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, ingestUntilSwapperExits));
    const swaps = await swapper.done;

    const leaked = results.filter((r) => r.ok && readFileSync(r.storedPath, 'utf8').includes(MARKER));
    const refused = results.filter((r): r is Extract<IngestResult, { ok: false }> => !r.ok);
    const kinds = new Set(refused.map((r) => r.kind));

    // The race really ran: many swaps, many attempts, and some of them met a swapped path.
    expect(swaps).toBeGreaterThan(100);
    expect(results.length).toBeGreaterThan(100);
    expect(refused.length).toBeGreaterThan(0);
    // 0 leaks, in the results and in the media store.
    expect(leaked).toHaveLength(0);
    expect(storedContents().filter((c) => c.includes(MARKER))).toHaveLength(0);
    // Every refusal is a clean, typed outcome with a reason.
    expect([...kinds].filter((k) => k !== 'missing' && k !== 'symlink-escape')).toEqual([]);
    for (const r of refused) expect(r.problem).toMatch(/^attachment .*photo\.txt /);
    // Whatever succeeded is the inside file, and once the swapping stops the file ingests normally.
    for (const r of results) if (r.ok) expect(readFileSync(r.storedPath, 'utf8')).toBe(INSIDE);
    const after = await ingestAttachment({ path, mediaDir, maxBytes: 1024 * 1024, roots: [root] });
    expect(after.ok && readFileSync(after.storedPath, 'utf8')).toBe(INSIDE);
  });
});
