/**
 * Which file a path names, as (device, inode). node:sqlite keeps reading and writing the file it
 * opened even after that file is deleted or another one is moved over its path: everything
 * written from then on goes to a file no one will ever open again. Comparing the path's identity
 * with the one recorded at open tells the two apart.
 */
import { statSync } from 'node:fs';

export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The identity of the file at `path`, or undefined when nothing is there. */
export function fileIdentity(path: string): FileIdentity | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** What happened to the opened file: undefined while the path still names it. */
export function identityProblem(opened: FileIdentity, now: FileIdentity | undefined): 'deleted' | 'replaced' | undefined {
  if (now === undefined) return 'deleted';
  return now.dev === opened.dev && now.ino === opened.ino ? undefined : 'replaced';
}
