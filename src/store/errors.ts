/**
 * Typed errors of the state store, in the shared vocabulary (src/util/typed-error.ts). Every
 * failure of the database file comes out as a StoreError with the path, the fix (`remediation`)
 * and whether the caller waits it out (`recovery`):
 *
 * | kind         | from                                              | recovery |
 * |--------------|---------------------------------------------------|----------|
 * | corrupt      | SQLITE_CORRUPT*, SQLITE_NOTADB, failed quick_check | fatal    |
 * | unreadable   | EACCES/EPERM/EROFS, SQLITE_CANTOPEN*, SQLITE_READONLY*, SQLITE_PERM, SQLITE_AUTH | fatal |
 * | newer-schema | user_version above what this build knows          | fatal    |
 * | locked       | SQLITE_BUSY*, SQLITE_LOCKED*                      | retry    |
 * | disk-full    | SQLITE_FULL, ENOSPC, EDQUOT                       | retry    |
 * | io           | SQLITE_IOERR*, EIO, anything else from the disk   | fatal    |
 * | vanished     | the file was deleted or replaced while open       | fatal    |
 */
import { sqliteErrorName } from '../sqlite/index.js';
import type { Recovery, TypedError } from '../util/typed-error.js';
import { remediationFor } from './remediations.js';

export type StoreErrorKind = 'corrupt' | 'unreadable' | 'newer-schema' | 'locked' | 'disk-full' | 'io' | 'vanished';

const RECOVERY: Record<StoreErrorKind, Extract<Recovery, 'fatal' | 'retry'>> = {
  corrupt: 'fatal',
  unreadable: 'fatal',
  'newer-schema': 'fatal',
  locked: 'retry',
  'disk-full': 'retry',
  io: 'fatal',
  vanished: 'fatal',
};

const WHAT: Record<StoreErrorKind, string> = {
  corrupt: 'is corrupt or not a database',
  unreadable: 'cannot be read or written',
  'newer-schema': 'was written by a newer imessage-gateway',
  locked: 'is locked by another connection',
  'disk-full': 'cannot grow: the disk is full',
  io: 'hit an I/O error',
  vanished: 'is gone: the file the gateway opened was deleted or replaced while it ran',
};

export class StoreError extends Error implements TypedError {
  readonly kind: StoreErrorKind;
  readonly path: string;
  readonly remediation: string;
  readonly recovery: Extract<Recovery, 'fatal' | 'retry'>;
  /** The underlying code (SQLITE_BUSY, EACCES, ...) when there is one. */
  readonly code: string | undefined;

  constructor(kind: StoreErrorKind, path: string, detail: string, options: { cause?: unknown; code?: string } = {}) {
    super(`state database ${path} ${WHAT[kind]}: ${detail}`, { cause: options.cause });
    this.name = 'StoreError';
    this.kind = kind;
    this.path = path;
    this.remediation = remediationFor(kind, path);
    this.recovery = RECOVERY[kind];
    this.code = options.code;
  }
}

/** The kind an error code maps to, or undefined when the code is not a storage failure (e.g. a constraint). */
export function kindOfCode(code: string): StoreErrorKind | undefined {
  if (code.startsWith('SQLITE_')) {
    const base = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
    switch (base) {
      case 'SQLITE_CORRUPT':
      case 'SQLITE_NOTADB':
        return 'corrupt';
      case 'SQLITE_BUSY':
      case 'SQLITE_LOCKED':
        return 'locked';
      case 'SQLITE_FULL':
        return 'disk-full';
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_READONLY':
      case 'SQLITE_PERM':
      case 'SQLITE_AUTH':
        return 'unreadable';
      case 'SQLITE_IOERR':
      case 'SQLITE_NOLFS':
      case 'SQLITE_PROTOCOL':
        return 'io';
      default:
        return undefined;
    }
  }
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'ENOTDIR':
    case 'EISDIR':
    case 'ENOENT':
    case 'ELOOP':
      return 'unreadable';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'disk-full';
    case 'EIO':
    case 'EMFILE':
    case 'ENFILE':
    case 'EBUSY':
      return 'io';
    default:
      return undefined;
  }
}

function codeOf(err: unknown): string | undefined {
  const sqlite = sqliteErrorName(err);
  if (sqlite !== undefined) return sqlite;
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** True when `err` is a failure of the database file or its disk (as opposed to a programming error). */
export function isStorageFailure(err: unknown): boolean {
  if (err instanceof StoreError) return true;
  const code = codeOf(err);
  return code !== undefined && kindOfCode(code) !== undefined;
}

/** Maps a node:sqlite error (by its SQLite result code) or an fs error to a StoreError; anything unrecognised becomes `io`. */
export function toStoreError(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = codeOf(err);
  const kind = (code !== undefined ? kindOfCode(code) : undefined) ?? 'io';
  const message = err instanceof Error ? err.message : String(err);
  const detail = code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
  return new StoreError(kind, path, detail, code !== undefined ? { cause: err, code } : { cause: err });
}
