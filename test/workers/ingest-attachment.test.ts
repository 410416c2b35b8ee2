import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestedFields } from '../../src/workers/envelope-fields.js';
import { ingestAttachment } from '../../src/workers/ingest-attachment.js';
import { isRoot, jpegBytes, pdfBytes, pngBytes, tempDir, writeFile } from './fixtures.js';

const MB = 1024 * 1024;

let tmp: { dir: string; cleanup: () => void };
let root: string;
let outside: string;
let mediaDir: string;

beforeEach(() => {
  tmp = tempDir();
  root = join(tmp.dir, 'Attachments');
  outside = join(tmp.dir, 'elsewhere');
  mediaDir = join(tmp.dir, 'media');
  mkdirSync(join(root, 'ab', '12'), { recursive: true });
  mkdirSync(outside);
});
afterEach(() => tmp.cleanup());

function ingest(path: string, maxBytes = 16 * MB) {
  return ingestAttachment({ path, mediaDir, maxBytes, roots: [root] });
}

function storedFiles(): string[] {
  try {
    return readdirSync(mediaDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(mediaDir, join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

describe('ingestAttachment: types are sniffed from content', () => {
  it.each([
    { name: 'photo.png', bytes: pngBytes(), mimeType: 'image/png', ext: 'png' },
    { name: 'IMG_0001.jpeg', bytes: jpegBytes(), mimeType: 'image/jpeg', ext: 'jpg' },
    { name: 'doc.pdf', bytes: pdfBytes(), mimeType: 'application/pdf', ext: 'pdf' },
    { name: 'note.txt', bytes: Buffer.from('plain text, héllo 👋\nsecond line\n'), mimeType: 'text/plain', ext: 'txt' },
    { name: 'blob.dat', bytes: Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff, 0x00, 0x10]), mimeType: 'application/octet-stream', ext: 'bin' },
    // Disguised: the name says text, the bytes say PNG.
    { name: 'disguised.txt', bytes: pngBytes(7), mimeType: 'image/png', ext: 'png' },
    { name: 'no-extension', bytes: jpegBytes(), mimeType: 'image/jpeg', ext: 'jpg' },
  ])('$name is $mimeType', async ({ name, bytes, mimeType, ext }) => {
    const path = writeFile(join(root, 'ab', '12', name), bytes);
    const result = await ingest(path);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(result).toEqual({
      ok: true,
      storedPath: join(mediaDir, sha256.slice(0, 2), `${sha256}.${ext}`),
      mimeType,
      ext,
      sizeBytes: bytes.length,
      sha256,
    });
    if (!result.ok) return;
    expect(readFileSync(result.storedPath)).toEqual(bytes);
    expect(statSync(result.storedPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(mediaDir, sha256.slice(0, 2))).mode & 0o777).toBe(0o700);
    expect(statSync(mediaDir).mode & 0o777).toBe(0o700);
  });

  it('stores identical content once', async () => {
    const a = writeFile(join(root, 'a.png'), pngBytes(1));
    const b = writeFile(join(root, 'ab', 'copy of a.png'), pngBytes(1));
    const c = writeFile(join(root, 'c.png'), pngBytes(2));
    const [ra, rb, rc] = await Promise.all([ingest(a), ingest(b), ingest(c)]);
    expect(ra!.ok && rb!.ok && rc!.ok).toBe(true);
    if (!ra!.ok || !rb!.ok || !rc!.ok) return;
    expect(rb!.storedPath).toBe(ra!.storedPath);
    expect(rc!.storedPath).not.toBe(ra!.storedPath);
    expect(storedFiles()).toHaveLength(2); // no temp files left behind either
  });

  it('streams a 16 MB file and hashes all of it', async () => {
    const big = Buffer.alloc(16 * MB, 0x61);
    big.write('%PDF-1.7\n', 0, 'latin1');
    const path = writeFile(join(root, 'big.bin'), big);
    const result = await ingest(path, 16 * MB);
    expect(result).toMatchObject({ ok: true, mimeType: 'application/pdf', sizeBytes: 16 * MB, sha256: createHash('sha256').update(big).digest('hex') });
  });
});

describe('ingestAttachment: refusals', () => {
  it('refuses a file over the cap before reading it', async () => {
    // 1 GB sparse file; the cap is 16 MB. Unreadable too (when not root): the size check must come first.
    const path = writeFile(join(root, 'huge.mov'), '');
    truncateSync(path, 1024 * MB);
    if (!isRoot()) chmodSync(path, 0o000);
    const result = await ingest(path, 16 * MB);
    expect(result).toEqual({ ok: false, kind: 'too-large', problem: expect.stringContaining('over the 16.0 MB limit') });
    expect(storedFiles()).toEqual([]);
  });

  it('refuses a file one byte over the cap', async () => {
    const path = writeFile(join(root, 'x.bin'), Buffer.alloc(1025));
    expect(await ingest(path, 1024)).toMatchObject({ ok: false, kind: 'too-large' });
    expect(await ingest(writeFile(join(root, 'y.bin'), Buffer.alloc(1024)), 1024)).toMatchObject({ ok: true, sizeBytes: 1024 });
  });

  it('reports a missing file', async () => {
    const result = await ingest(join(root, 'ab', 'gone.heic'));
    expect(result).toEqual({ ok: false, kind: 'missing', problem: expect.stringContaining('does not exist') });
    expect(ingestedFields(result)).toEqual({ ingested: false, missing: true, problem: expect.stringContaining('gone.heic') });
  });

  it('refuses a path outside the roots, also via ..', async () => {
    const path = writeFile(join(outside, 'secret.txt'), 'secret');
    expect(await ingest(path)).toMatchObject({ ok: false, kind: 'outside-roots' });
    expect(await ingest(join(root, '..', 'elsewhere', 'secret.txt'))).toMatchObject({ ok: false, kind: 'outside-roots' });
    expect(await ingest(root)).toMatchObject({ ok: false, kind: 'outside-roots' });
    expect(await ingestAttachment({ path, mediaDir, maxBytes: MB, roots: [] })).toMatchObject({ ok: false, kind: 'outside-roots' });
  });

  it('refuses a symlink that escapes the roots', async () => {
    writeFile(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'innocent.txt'));
    symlinkSync(outside, join(root, 'ab', 'dirlink'));
    expect(await ingest(join(root, 'innocent.txt'))).toEqual({
      ok: false,
      kind: 'symlink-escape',
      problem: expect.stringContaining('symlinks may not leave them'),
    });
    expect(await ingest(join(root, 'ab', 'dirlink', 'secret.txt'))).toMatchObject({ ok: false, kind: 'symlink-escape' });
    expect(storedFiles()).toEqual([]);
  });

  it('follows a symlink that stays inside the roots', async () => {
    writeFile(join(root, 'ab', 'real.png'), pngBytes());
    symlinkSync(join(root, 'ab', 'real.png'), join(root, 'link.png'));
    expect(await ingest(join(root, 'link.png'))).toMatchObject({ ok: true, mimeType: 'image/png' });
  });

  it('accepts roots that are themselves symlinks', async () => {
    const linkedRoot = join(tmp.dir, 'linked-root');
    symlinkSync(root, linkedRoot);
    const path = writeFile(join(root, 'a.pdf'), pdfBytes());
    const result = await ingestAttachment({ path: join(linkedRoot, 'a.pdf'), mediaDir, maxBytes: MB, roots: [linkedRoot] });
    expect(result).toMatchObject({ ok: true, mimeType: 'application/pdf' });
    expect(path).toBeTruthy();
  });

  it('refuses a broken symlink as missing and a directory as not-a-file', async () => {
    symlinkSync(join(root, 'nowhere'), join(root, 'broken.png'));
    expect(await ingest(join(root, 'broken.png'))).toMatchObject({ ok: false, kind: 'missing' });
    expect(await ingest(join(root, 'ab'))).toMatchObject({ ok: false, kind: 'not-a-file', problem: expect.stringContaining('a directory') });
  });

  it.skipIf(isRoot())('reports an unreadable file', async () => {
    const path = writeFile(join(root, 'locked.png'), pngBytes());
    chmodSync(path, 0o000);
    expect(await ingest(path)).toMatchObject({ ok: false, kind: 'unreadable' });
  });

  it('expands ~ in the path and the roots', async () => {
    const result = await ingestAttachment({ path: '~/definitely-not-here-igw.png', mediaDir, maxBytes: MB, roots: ['~'] });
    expect(result).toEqual({ ok: false, kind: 'missing', problem: expect.stringContaining(join(homedir(), 'definitely-not-here-igw.png')) });
  });
});

describe('ingestedFields', () => {
  it('fills the envelope entry from a success, a refusal and a task error', async () => {
    const bytes = pngBytes();
    const ok = await ingest(writeFile(join(root, 'p.png'), bytes));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(ingestedFields(ok)).toEqual({
      path: join(mediaDir, sha256.slice(0, 2), `${sha256}.png`),
      mimeType: 'image/png',
      sizeBytes: bytes.length,
      sha256,
      ingested: true,
    });
    writeFileSync(join(root, 'big'), Buffer.alloc(2048));
    expect(ingestedFields(await ingest(join(root, 'big'), 1024))).toEqual({ ingested: false, problem: expect.stringContaining('over the') });
    expect(ingestedFields(new Error('worker task failed'))).toEqual({ ingested: false, problem: 'worker task failed' });
  });
});
