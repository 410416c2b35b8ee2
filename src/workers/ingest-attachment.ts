/**
 * Copies one inbound attachment into the gateway's media store (field reports A1, A5). Runs in a
 * worker thread (worker-entry.ts) but is plain async code, so it also runs inline.
 *
 * Checks, in order, each refusing with its own kind before anything is read:
 *   1. `~` expanded, path normalised; it must lie inside one of `roots`        -> outside-roots
 *   2. lstat                                                                     -> missing / unreadable
 *   3. realpath: it must still lie inside a root (roots resolved the same way)   -> symlink-escape
 *   4. stat of the target: a regular file                                         -> not-a-file
 *   5. size <= maxBytes (before a byte is read; checked again on the open fd)     -> too-large
 *   6. open (no symlinks followed, non-blocking), then the DESCRIPTOR is verified: fstat says a
 *      regular file within maxBytes, and verify-opened.ts proves it is the in-root file (the
 *      kernel's name for it on Linux, a no-follow (dev, ino) walk everywhere)  -> symlink-escape
 * Steps 1-5 only refuse early; a directory swapped for a symlink between them and the open is
 * caught by step 6, and content is read from that descriptor only.
 * Then the file is streamed once, in 1 MiB blocks: hashed (sha256), written to a private temp file
 * in the store, and its first bytes sniffed with file-type (content, never the name). The temp file
 * is renamed to `<mediaDir>/<sha256[0..2]>/<sha256>.<ext>` (files 0600, directories 0700); identical
 * content is stored once. A file that grows past maxBytes while it is read is discarded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdir, open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { IngestProblems, WorkerErrors, ingestFailure } from './errors.js';
import { absolutePath, isInside } from './paths.js';
import type { IngestRequest, IngestResult } from './protocol.js';
import { openFlags, portableOpenFlags, verifyOpened } from './verify-opened.js';

export type { IngestRequest, IngestResult, IngestFailureKind } from './protocol.js';

/** imsg's attachment directory: the built-in root when `imessage.attachmentRoots` is unset. */
export const DEFAULT_ATTACHMENT_ROOTS: readonly string[] = ['~/Library/Messages/Attachments'];

const BLOCK_BYTES = 1024 * 1024;
/** How much of the head file-type (and the text check) look at. */
const SNIFF_BYTES = 64 * 1024;

export const OCTET_STREAM = 'application/octet-stream';

export async function ingestAttachment(req: IngestRequest): Promise<IngestResult> {
  const path = absolutePath(req.path);
  const roots = req.roots.map(absolutePath);

  // 1. Lexically inside a root.
  if (!roots.some((root) => isInside(root, path))) {
    return ingestFailure('outside-roots', IngestProblems.outsideRoots(path, req.roots));
  }

  // 2. The path itself.
  try {
    await lstat(path);
  } catch (err) {
    return sourceFailure(path, err);
  }

  // 3. Still inside a root once every symlink is resolved.
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    return sourceFailure(path, err);
  }
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => root)));
  const realRoot = realRoots.find((root) => isInside(root, real));
  if (realRoot === undefined) {
    return ingestFailure('symlink-escape', IngestProblems.symlinkEscape(path, real));
  }

  // 4 + 5. A regular file, small enough (before reading).
  try {
    const st = await stat(real);
    if (!st.isFile()) return ingestFailure('not-a-file', IngestProblems.notAFile(path, fileKind(st)));
    if (st.size > req.maxBytes) return ingestFailure('too-large', IngestProblems.tooLarge(path, st.size, req.maxBytes));
  } catch (err) {
    return sourceFailure(path, err);
  }

  let input: FileHandle;
  try {
    input = await openNoFollow(real);
  } catch (err) {
    return sourceFailure(path, err);
  }
  try {
    // 6. From here on only the descriptor counts: what was opened, not what the path names now.
    const st = await input.stat();
    if (!st.isFile()) return ingestFailure('not-a-file', IngestProblems.notAFile(path, fileKind(st)));
    if (st.size > req.maxBytes) return ingestFailure('too-large', IngestProblems.tooLarge(path, st.size, req.maxBytes));
    const mismatch = await verifyOpened(input, st, real, realRoot);
    if (mismatch !== undefined) return ingestFailure('symlink-escape', IngestProblems.swappedWhileOpened(path, mismatch));
    return await copyIntoStore(input, path, req);
  } finally {
    await input.close().catch(() => undefined);
  }
}

async function copyIntoStore(input: FileHandle, path: string, req: IngestRequest): Promise<IngestResult> {
  const mediaDir = absolutePath(req.mediaDir);
  const tmp = join(mediaDir, `.ingest-${randomUUID()}.tmp`);
  let output: FileHandle;
  try {
    await mkdir(mediaDir, { recursive: true, mode: 0o700 });
    output = await open(tmp, 'wx', 0o600);
  } catch (err) {
    throw WorkerErrors.mediaStore(mediaDir, err);
  }

  let kept = false;
  try {
    const hash = createHash('sha256');
    const block = Buffer.allocUnsafe(BLOCK_BYTES);
    const headParts: Buffer[] = [];
    let headBytes = 0;
    let total = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await input.read(block, 0, BLOCK_BYTES, null));
      } catch (err) {
        return ingestFailure('unreadable', IngestProblems.unreadable(path, err));
      }
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > req.maxBytes) return ingestFailure('too-large', IngestProblems.grewTooLarge(path, req.maxBytes));
      const data = block.subarray(0, bytesRead);
      hash.update(data);
      if (headBytes < SNIFF_BYTES) {
        const part = Buffer.from(data.subarray(0, SNIFF_BYTES - headBytes));
        headParts.push(part);
        headBytes += part.length;
      }
      try {
        await output.write(data, 0, bytesRead);
      } catch (err) {
        throw WorkerErrors.mediaStore(mediaDir, err);
      }
    }
    try {
      await output.close();
    } catch (err) {
      throw WorkerErrors.mediaStore(mediaDir, err);
    }

    const sha256 = hash.digest('hex');
    const head = Buffer.concat(headParts);
    const { mimeType, ext } = await sniffType(head, total);
    const dir = join(mediaDir, sha256.slice(0, 2));
    const storedPath = join(dir, `${sha256}.${ext}`);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (await exists(storedPath)) {
        await unlink(tmp);
      } else {
        await rename(tmp, storedPath);
      }
      kept = true;
    } catch (err) {
      throw WorkerErrors.mediaStore(mediaDir, err);
    }
    return { ok: true, storedPath, mimeType, ext, sizeBytes: total, sha256 };
  } finally {
    await output.close().catch(() => undefined);
    if (!kept) await unlink(tmp).catch(() => undefined);
  }
}

/**
 * MIME type and extension from the first bytes: file-type first; then UTF-8 text without binary
 * control characters is text/plain (.txt); anything else is application/octet-stream (.bin).
 */
export async function sniffType(head: Uint8Array, totalBytes: number): Promise<{ mimeType: string; ext: string }> {
  const detected = head.length > 0 ? await fileTypeFromBuffer(head) : undefined;
  if (detected) return { mimeType: detected.mime, ext: detected.ext };
  if (head.length > 0 && looksLikeText(head, head.length < totalBytes)) return { mimeType: 'text/plain', ext: 'txt' };
  return { mimeType: OCTET_STREAM, ext: 'bin' };
}

function looksLikeText(head: Uint8Array, truncated: boolean): boolean {
  for (const byte of head) {
    // NUL and C0 controls other than \t \n \v \f \r and ESC mark binary data.
    if (byte < 0x20 && !(byte >= 0x09 && byte <= 0x0d) && byte !== 0x1b) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

/** `real` has no symlinks; if one was swapped in since realpath, the open fails (ELOOP) or step 6 refuses. */
async function openNoFollow(real: string): Promise<FileHandle> {
  try {
    return await open(real, openFlags());
  } catch (err) {
    // A macOS older than 11 rejects O_NOFOLLOW_ANY; the descriptor checks still apply.
    if ((err as NodeJS.ErrnoException).code === 'EINVAL' && process.platform === 'darwin') return await open(real, portableOpenFlags());
    throw err;
  }
}

function sourceFailure(path: string, err: unknown): IngestResult {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return ingestFailure('missing', IngestProblems.missing(path));
  if (code === 'ELOOP') return ingestFailure('symlink-escape', IngestProblems.symlinkEscape(path, '(a symlink loop)'));
  return ingestFailure('unreadable', IngestProblems.unreadable(path, err));
}

function fileKind(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
