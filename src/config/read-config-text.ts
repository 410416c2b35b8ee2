/**
 * Reads the config file's bytes safely (issue 11, item 10): it must be a regular file of at most
 * MAX_CONFIG_BYTES. Checking with stat and then reading races, and reading blindly is worse
 * (`/dev/zero` grew to 7 GB in 20 s, a FIFO hung start forever). So the file is opened
 * non-blocking (opening a FIFO returns at once), the DESCRIPTOR is fstat'ed, and at most
 * MAX_CONFIG_BYTES + 1 bytes are read from it: a file that grows past the limit after the fstat is
 * refused too. A symlink to a regular file is fine (dotfile managers use them).
 */
import fs from 'node:fs';

/** 1 MiB: a real config is a few KB. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Why the path cannot be read as a config file; the message names the path, what it is, the fix. */
export class ConfigFileProblem extends Error {
  constructor(
    readonly path: string,
    readonly code: 'missing' | 'not-a-file' | 'too-large' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'ConfigFileProblem';
  }
}

const FIX = 'point --config (or $IMESSAGE_GATEWAY_HOME/config.json5) at a regular JSON5 file';

export function readConfigText(path: string, maxBytes: number = MAX_CONFIG_BYTES): string {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (err) {
    throw openProblem(path, err as NodeJS.ErrnoException);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      throw new ConfigFileProblem(path, 'not-a-file', `${path} is ${kindOf(st)}, not a regular file; ${FIX}`);
    }
    if (st.size > maxBytes) throw tooLarge(path, maxBytes, st.size);
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(path, maxBytes);
    }
    return buf.toString('utf8', 0, total);
  } catch (err) {
    if (err instanceof ConfigFileProblem) throw err;
    throw new ConfigFileProblem(path, 'unreadable', `cannot read ${path}: ${(err as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

function tooLarge(path: string, maxBytes: number, size?: number): ConfigFileProblem {
  const what = size === undefined ? `grew past ${maxBytes} bytes while it was read` : `is ${size} bytes`;
  return new ConfigFileProblem(
    path,
    'too-large',
    `${path} ${what}, over the ${maxBytes}-byte limit for a config file (a real one is a few KB); ${FIX}`,
  );
}

function openProblem(path: string, err: NodeJS.ErrnoException): ConfigFileProblem {
  if (err.code === 'ENOENT') return new ConfigFileProblem(path, 'missing', `no config file at ${path}`);
  // open(2) of a unix socket fails with ENXIO; say what it is rather than "No such device".
  if (err.code === 'ENXIO' || err.code === 'EOPNOTSUPP') {
    const kind = describePath(path);
    if (kind) return new ConfigFileProblem(path, 'not-a-file', `${path} is ${kind}, not a regular file; ${FIX}`);
  }
  return new ConfigFileProblem(path, 'unreadable', `cannot read ${path}: ${err.message}`);
}

/** For the message only (the decision was already made on open): what the path names. */
function describePath(path: string): string | undefined {
  try {
    return kindOf(fs.statSync(path));
  } catch {
    return undefined;
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
