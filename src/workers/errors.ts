/**
 * Every error and problem text of src/workers comes from here (piscina style: one factory module),
 * so wording stays consistent between the pool, the ingester, remote fetches and outbound staging.
 *
 * Two error classes:
 * - WorkerTaskError: one pool task failed (threw, overran its deadline, was aborted, or the pool
 *   was closed). It fails that task only; the pool and the account carry on.
 * - MediaStoreError: the gateway's own media store or staging directory could not be written.
 *   That is an operator problem, not a property of the attachment.
 * Problems with an attachment itself are data (`{ ok: false, kind, problem }`), never thrown.
 */
import type { TypedError } from '../util/typed-error.js';
import type { IngestFailureKind, TaskKind } from './protocol.js';

export type WorkerTaskErrorKind = 'failed' | 'timeout' | 'aborted' | 'closed' | 'not-allowed';

const TASK_REMEDIATION: Record<WorkerTaskErrorKind, string> = {
  failed: 'none needed for the gateway: that task alone failed (its cause is in the message) and is not run again.',
  timeout: 'none needed for the gateway: the task was stopped and its worker thread replaced; a large attachment may need a higher deadline.',
  aborted: 'none: the work it was for was cancelled (the gateway stopped or the message was dropped).',
  closed: 'none: the gateway was stopping.',
  'not-allowed': 'build the pool with allowTestTasks (tests only).',
};

/** One pool task failed; that task is not run again (`fatal` for it), the pool and the account carry on. */
export class WorkerTaskError extends Error implements TypedError {
  readonly recovery = 'fatal';
  constructor(
    readonly kind: WorkerTaskErrorKind,
    readonly task: TaskKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WorkerTaskError';
  }
  get remediation(): string {
    return TASK_REMEDIATION[this.kind];
  }
}

/** The gateway's own media store cannot be written: the operator's setup, not the attachment. */
export class MediaStoreError extends Error implements TypedError {
  readonly kind = 'media-store';
  readonly recovery = 'operator';
  constructor(
    readonly dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaStoreError';
  }
  get remediation(): string {
    return `make ${this.dir} writable by the user running the gateway (chmod 700, owned by that user) and free space on its volume.`;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function mb(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export const WorkerErrors = {
  taskFailed: (task: TaskKind, cause: unknown) =>
    new WorkerTaskError('failed', task, `worker task '${task}' failed: ${describe(cause)}`, { cause }),
  taskTimedOut: (task: TaskKind, ms: number) =>
    new WorkerTaskError(
      'timeout',
      task,
      `worker task '${task}' overran its ${ms} ms deadline and was stopped (its worker thread was replaced)`,
    ),
  taskAborted: (task: TaskKind, reason: unknown) =>
    new WorkerTaskError('aborted', task, `worker task '${task}' was aborted: ${describe(reason)}`),
  poolClosed: (task: TaskKind) =>
    new WorkerTaskError('closed', task, `worker task '${task}' refused: the worker pool is closed`),
  testTaskNotAllowed: (task: TaskKind) =>
    new WorkerTaskError('not-allowed', task, `worker task '${task}' is test-only; build the pool with allowTestTasks`),
  unknownTask: (kind: string) => new Error(`unknown worker task kind '${kind}'`),
  mediaStore: (dir: string, cause: unknown) =>
    new MediaStoreError(dir, `cannot write to the media store ${dir}: ${describe(cause)}`, { cause }),
};

/** The `problem` text of each ingestion failure kind (shown to the agent in the envelope). */
export const IngestProblems = {
  missing: (path: string) => `attachment ${path} does not exist (Messages may not have downloaded it yet)`,
  tooLarge: (path: string, size: number, max: number) =>
    `attachment ${path} is ${mb(size)}, over the ${mb(max)} limit (mediaMaxMb); it was not read`,
  grewTooLarge: (path: string, max: number) =>
    `attachment ${path} grew past the ${mb(max)} limit (mediaMaxMb) while it was read; it was discarded`,
  outsideRoots: (path: string, roots: readonly string[]) =>
    `attachment ${path} is outside the allowed attachment roots (${roots.join(', ') || 'none configured'})`,
  symlinkEscape: (path: string, real: string) =>
    `attachment ${path} resolves to ${real}, outside the allowed attachment roots; symlinks may not leave them`,
  swappedWhileOpened: (path: string, detail: string) =>
    `attachment ${path} changed while it was opened (${detail}); a directory on its path may have been swapped for a symlink out of the allowed attachment roots, so it was not read`,
  notAFile: (path: string, what: string) => `attachment ${path} is not a regular file (${what})`,
  unreadable: (path: string, cause: unknown) => `attachment ${path} cannot be read: ${describe(cause)}`,
} satisfies Record<string, (...args: never[]) => string>;

export function ingestFailure(kind: IngestFailureKind, problem: string): { ok: false; kind: IngestFailureKind; problem: string } {
  return { ok: false, kind, problem };
}

/** Problems of remote fetches (ssh) and outbound staging. */
export const TransferProblems = {
  remoteFailed: (host: string, path: string, attempts: number, detail: string) =>
    `could not copy ${path} from ${host} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`,
  remoteTimedOut: (ms: number) => `ssh did not finish within ${ms} ms and was killed`,
  remoteTooLarge: (host: string, path: string, max: number) =>
    `${path} on ${host} is over the ${mb(max)} limit (mediaMaxMb); the copy was stopped`,
  remoteShort: (got: number, expected: number) =>
    `received ${got} of ${expected} bytes (the file may still be being written)`,
  sshExit: (code: number | null, signal: string | null, stderr: string) =>
    `ssh exited with ${code !== null ? `code ${code}` : `signal ${signal ?? 'unknown'}`}${stderr ? `: ${stderr}` : ''}`,
  sshSpawn: (sshPath: string, cause: unknown) => `cannot run ${sshPath}: ${describe(cause)}`,
  stageMissing: (file: string) => `file ${file} does not exist`,
  stageNotAFile: (file: string) => `${file} is not a regular file`,
  stageTooLarge: (file: string, size: number, max: number) =>
    `file ${file} is ${mb(size)}, over the ${mb(max)} limit (mediaMaxMb)`,
  stageUnreadable: (file: string, cause: unknown) => `file ${file} cannot be read: ${describe(cause)}`,
  stageCopyFailed: (file: string, dest: string, cause: unknown) =>
    `could not stage ${file} into ${dest}: ${describe(cause)}`,
  stageRemoteFailed: (file: string, host: string, detail: string) =>
    `could not stage ${file} on ${host}: ${detail}`,
} satisfies Record<string, (...args: never[]) => string>;
