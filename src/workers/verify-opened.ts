/**
 * Confirms that an open descriptor is the file at an in-root path (issue 11, item 6). Checking a
 * path and then opening it races with a directory on that path being exchanged for a symlink to
 * the outside: the check sees the real directory, the open follows the symlink. So the descriptor
 * is checked after it is open, and content is read only from that descriptor:
 *
 *  1. Linux: the kernel's own name for the descriptor (`/proc/self/fd/N`, the path the open really
 *     resolved) must lie inside the root. No swap after the open can change it.
 *  2. Everywhere: a component-by-component `lstat` walk of the in-root path, from the root down.
 *     The root and every directory below it must be a real directory (never a symlink); the last
 *     component must be a regular file with the descriptor's (device, inode). The directories are
 *     then walked again and must still be the same (device, inode).
 *
 * The walk alone narrows the window without closing it (a directory can be swapped out and back
 * between two lstat calls), which is why the open itself is also made symlink-proof where the
 * platform allows it: `O_NOFOLLOW_ANY` on macOS (see openFlags), the kernel name on Linux.
 */
import { constants as fsConstants, type Stats } from 'node:fs';
import { lstat, readlink, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isInside } from './paths.js';

/** macOS 11+: fail with ELOOP if any component of the path is a symlink (sys/fcntl.h). */
const DARWIN_O_NOFOLLOW_ANY = 0x20000000;

/**
 * Flags to open an attachment: read only, no symlink as the last component (none anywhere on
 * macOS), non-blocking so a FIFO swapped in cannot hang the worker, and never a controlling tty.
 */
export function openFlags(platform: NodeJS.Platform = process.platform): number {
  const base = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY;
  if (platform !== 'darwin') return base;
  const any = (fsConstants as Record<string, number | undefined>).O_NOFOLLOW_ANY ?? DARWIN_O_NOFOLLOW_ANY;
  return base | any;
}

/** The flags without the macOS-only bit (an older kernel answers EINVAL to it). */
export function portableOpenFlags(): number {
  return openFlags('linux');
}

export interface VerifyOptions {
  /** Ask the kernel for the descriptor's path (Linux /proc). Default: on Linux. */
  kernelPath?: boolean;
}

/**
 * Undefined when `handle` (already open, `opened` its fstat) is the regular file at `path`, which
 * lies inside `root` (both real paths: no symlinks); otherwise why it is not.
 */
export async function verifyOpened(
  handle: FileHandle,
  opened: Stats,
  path: string,
  root: string,
  options: VerifyOptions = {},
): Promise<string | undefined> {
  if (!isInside(root, path)) return `${path} is not inside ${root}`;

  if (options.kernelPath ?? process.platform === 'linux') {
    const named = await kernelName(handle.fd);
    if (named !== undefined && !isInside(root, named)) return `the opened file is ${named}`;
  }

  const dirs = directoryChain(root, path);
  const first = await walk(dirs);
  if (typeof first === 'string') return first;
  let leaf: Stats;
  try {
    leaf = await lstat(path);
  } catch (err) {
    return `${path} vanished after it was opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (leaf.isSymbolicLink() || !leaf.isFile()) return `${path} is no longer a regular file`;
  if (!sameFile(leaf, opened)) return `${path} is not the file that was opened`;
  const second = await walk(dirs);
  if (typeof second === 'string') return second;
  for (let i = 0; i < dirs.length; i++) {
    if (!sameFile(first[i]!, second[i]!)) return `${dirs[i]} was replaced while the file was opened`;
  }
  return undefined;
}

/** The root, then each directory between it and `path` (exclusive). */
function directoryChain(root: string, path: string): string[] {
  const parts = relative(root, path).split(sep);
  const dirs = [root];
  for (let i = 0; i < parts.length - 1; i++) dirs.push(join(dirs[i]!, parts[i]!));
  return dirs;
}

async function walk(dirs: readonly string[]): Promise<Stats[] | string> {
  const seen: Stats[] = [];
  for (const dir of dirs) {
    let st: Stats;
    try {
      st = await lstat(dir);
    } catch (err) {
      return `${dir} vanished after the file was opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    }
    if (st.isSymbolicLink()) return `${dir} is a symlink`;
    if (!st.isDirectory()) return `${dir} is not a directory`;
    seen.push(st);
  }
  return seen;
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** `/proc/self/fd/N` on Linux; undefined where there is no procfs. */
async function kernelName(fd: number): Promise<string | undefined> {
  try {
    const name = await readlink(`/proc/self/fd/${fd}`);
    // An unlinked file reads "<path> (deleted)"; its directory is what matters.
    return name.endsWith(' (deleted)') ? name.slice(0, -' (deleted)'.length) : name;
  } catch {
    return undefined;
  }
}
