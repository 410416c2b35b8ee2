/**
 * The wire protocol between the gateway's event loop and the pool's worker threads: every task
 * a worker accepts and what it answers. Tasks and results cross the thread boundary by structured
 * clone, so they are plain data (no classes, no functions).
 */

/** Ingest one inbound attachment into the media store (see ingest-attachment.ts). */
export interface IngestRequest {
  /** The file as imsg reported it (`original_path`, or `filename`; `~` is expanded). */
  path: string;
  /** The gateway's media store; files land in `<mediaDir>/<sha256[0..2]>/<sha256>.<ext>`. */
  mediaDir: string;
  /** Files larger than this are refused before a byte is read. */
  maxBytes: number;
  /** Only files under these directories (lexically and after resolving symlinks) are read. */
  roots: string[];
}

export type IngestFailureKind = 'missing' | 'too-large' | 'outside-roots' | 'symlink-escape' | 'not-a-file' | 'unreadable';

export type IngestResult =
  | { ok: true; storedPath: string; mimeType: string; ext: string; sizeBytes: number; sha256: string }
  | { ok: false; kind: IngestFailureKind; problem: string };

/** Test-only task kinds; a worker accepts them only when the pool was built with `allowTestTasks`. */
export type TestTask = { kind: 'sleep'; ms: number } | { kind: 'throw'; message: string };

export type WorkerTask = { kind: 'chunk'; text: string; limit: number } | { kind: 'ingest'; req: IngestRequest } | TestTask;

export type TaskKind = WorkerTask['kind'];

/** What each task kind resolves to. */
export interface TaskResults {
  chunk: string[];
  ingest: IngestResult;
  sleep: { sleptMs: number };
  throw: never;
}

export type TaskResult<K extends TaskKind> = TaskResults[K];

/** `workerData` the pool hands each worker thread. */
export interface WorkerInit {
  allowTestTasks: boolean;
}
