/**
 * The worker pool: chunking of long replies and ingestion of inbound attachments run on piscina
 * worker threads, so the gateway's event loop never does the CPU-heavy part (docs/media.md).
 *
 * - Sized for the host: max(1, min(4, availableParallelism() - 1)) threads, started lazily.
 * - Every task has a deadline (default 30 s, counted from submission) enforced with an
 *   AbortSignal: an overrunning task is stopped (piscina terminates its thread and starts a new
 *   one) and fails alone with WorkerTaskError('timeout'); a task that throws fails alone with
 *   WorkerTaskError('failed'). The pool and the other tasks carry on.
 * - Texts shorter than `inlineChunkBelow` are chunked on the calling thread: below that size a
 *   worker round trip costs more than the chunking (measured, see DEFAULT_INLINE_CHUNK_BELOW).
 * - `disabled: true` runs everything inline (used by the benchmark to show what the pool buys).
 * - close() refuses new tasks, waits for the running ones, then destroys the threads.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DEFAULT_TEXT_CHUNK_LIMIT } from './chunk-text.js';
import { WorkerErrors, WorkerTaskError } from './errors.js';
import type { IngestRequest, IngestResult, TaskKind, TaskResults, WorkerInit, WorkerTask } from './protocol.js';
import { runTask } from './run-task.js';

export const DEFAULT_TASK_TIMEOUT_MS = 30_000;

/**
 * Texts shorter than this many UTF-16 code units are chunked inline. From runInlineCrossoverBench
 * (bench/chunking.bench.ts) on the 2-core build host: a worker hop adds 0.15-0.2 ms to a
 * reply; ordinary markdown chunks inline at 0.02 ms per 16 KB (0.24 ms per 256 KB), so it never
 * blocks the loop as long as a hop costs below ~1 MB; the chunker's worst case (a run of flags,
 * every cut a segmenter call) takes 0.6 ms per 4 KB and crosses over at 4 KB. 16 KB keeps
 * everyday replies of up to four chunks inline and bounds the worst-case stall at ~4 ms.
 */
export const DEFAULT_INLINE_CHUNK_BELOW = 16 * 1024;

export interface WorkerPoolOptions {
  /** Worker threads (default: defaultThreadCount()). */
  threads?: number;
  /** Deadline of one task, from submission (default 30000). */
  taskTimeoutMs?: number;
  /** Texts shorter than this are chunked inline (default DEFAULT_INLINE_CHUNK_BELOW). */
  inlineChunkBelow?: number;
  /** The compiled worker module (default: defaultWorkerFilename()). */
  filename?: string;
  /** Run everything on the calling thread, no worker threads at all. */
  disabled?: boolean;
  /** Accept the test-only task kinds ('sleep', 'throw'). */
  allowTestTasks?: boolean;
  /** Idle threads beyond the first exit after this long (default 30000). */
  idleTimeoutMs?: number;
}

export interface TaskOptions {
  /** Overrides the pool's taskTimeoutMs for this task. */
  timeoutMs?: number;
  /** Aborting it fails the task with WorkerTaskError('aborted'). */
  signal?: AbortSignal;
}

export interface PoolStats {
  /** Tasks that finished with a result (inline ones included). */
  completed: number;
  /** Tasks that threw or were aborted (timeouts not included). */
  failed: number;
  timedOut: number;
  /** Tasks waiting for a free thread. */
  queued: number;
  /** Of `completed`, the ones that ran on the calling thread. */
  inline: number;
}

/** max(1, min(4, availableParallelism() - 1)): leave a core to the event loop. */
export function defaultThreadCount(parallelism: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, parallelism - 1));
}

/**
 * The compiled worker next to this module (dist/workers/worker-entry.js). When this module runs
 * from its TypeScript source (vitest), the compiled worker of the same tree's dist/ is used:
 * build first (`npx tsc -p tsconfig.build.json`).
 */
export function defaultWorkerFilename(): string {
  const sibling = fileURLToPath(new URL('./worker-entry.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const here = dirname(fileURLToPath(import.meta.url));
  if (here.endsWith(join('src', 'workers'))) return resolve(here, '..', '..', 'dist', 'workers', 'worker-entry.js');
  return sibling;
}

const TIMEOUT = Symbol('task deadline');

export class WorkerPool {
  readonly threads: number;
  readonly taskTimeoutMs: number;
  readonly inlineChunkBelow: number;
  readonly disabled: boolean;
  private readonly filename: string;
  private readonly allowTestTasks: boolean;
  private readonly idleTimeoutMs: number;
  private piscina: Piscina | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private counts = { completed: 0, failed: 0, timedOut: 0, inline: 0 };

  constructor(opts: WorkerPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? defaultThreadCount()));
    this.taskTimeoutMs = opts.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    this.inlineChunkBelow = opts.inlineChunkBelow ?? DEFAULT_INLINE_CHUNK_BELOW;
    this.disabled = opts.disabled === true;
    this.filename = opts.filename ?? defaultWorkerFilename();
    this.allowTestTasks = opts.allowTestTasks === true;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
  }

  /** chunkText on a worker (inline below inlineChunkBelow, or when the text fits already). */
  chunk(text: string, limit: number = DEFAULT_TEXT_CHUNK_LIMIT, opts?: TaskOptions): Promise<string[]> {
    if (!this.disabled && (text.length <= limit || text.length < this.inlineChunkBelow)) {
      return this.track('chunk', this.inline({ kind: 'chunk', text, limit }));
    }
    return this.runTask({ kind: 'chunk', text, limit }, opts);
  }

  /** ingestAttachment on a worker. Attachment problems are results; only task failures reject. */
  ingest(req: IngestRequest, opts?: TaskOptions): Promise<IngestResult> {
    return this.runTask({ kind: 'ingest', req }, opts);
  }

  /** Any task of the wire protocol (the test-only kinds need allowTestTasks). */
  runTask<K extends TaskKind>(task: Extract<WorkerTask, { kind: K }>, opts: TaskOptions = {}): Promise<TaskResults[K]> {
    if (this.closed) return Promise.reject(WorkerErrors.poolClosed(task.kind));
    if ((task.kind === 'sleep' || task.kind === 'throw') && !this.allowTestTasks) {
      return Promise.reject(WorkerErrors.testTaskNotAllowed(task.kind));
    }
    const timeoutMs = opts.timeoutMs ?? this.taskTimeoutMs;
    const work = this.disabled ? this.runDisabled(task, timeoutMs, opts.signal) : this.runOnWorker(task, timeoutMs, opts.signal);
    return this.track(task.kind, work);
  }

  get stats(): PoolStats {
    return { ...this.counts, queued: this.piscina?.queueSize ?? 0 };
  }

  /** Refuse new tasks, wait for the running ones (each bounded by its deadline), stop the threads. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const piscina = this.piscina;
    this.piscina = undefined;
    if (piscina) await piscina.destroy();
  }

  private pool(): Piscina {
    if (!this.piscina) {
      const workerData: WorkerInit = { allowTestTasks: this.allowTestTasks };
      this.piscina = new Piscina({
        filename: this.filename,
        minThreads: 1,
        maxThreads: this.threads,
        idleTimeout: this.idleTimeoutMs,
        workerData,
      });
    }
    return this.piscina;
  }

  private async inline<K extends TaskKind>(task: Extract<WorkerTask, { kind: K }>): Promise<TaskResults[K]> {
    if (this.closed) throw WorkerErrors.poolClosed(task.kind);
    const result = await runTask(task, this.allowTestTasks, false);
    this.counts.inline++;
    return result;
  }

  private async runOnWorker<K extends TaskKind>(
    task: Extract<WorkerTask, { kind: K }>,
    timeoutMs: number,
    external: AbortSignal | undefined,
  ): Promise<TaskResults[K]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    const onAbort = (): void => controller.abort(external?.reason);
    if (external?.aborted) onAbort();
    else external?.addEventListener('abort', onAbort, { once: true });
    try {
      // Tasks carry a signal, so piscina never puts one on a thread that runs another (its
      // balancer keeps abortable tasks apart): terminating a thread on a deadline stops that task only.
      return (await this.pool().run(task, { signal: controller.signal })) as TaskResults[K];
    } catch (err) {
      throw this.classify(task.kind, err, controller.signal, timeoutMs);
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', onAbort);
    }
  }

  /** Disabled mode: inline, with the same deadline and abort semantics (the work itself cannot be stopped). */
  private async runDisabled<K extends TaskKind>(
    task: Extract<WorkerTask, { kind: K }>,
    timeoutMs: number,
    external: AbortSignal | undefined,
  ): Promise<TaskResults[K]> {
    const controller = new AbortController();
    const onExternalAbort = (): void => controller.abort(external?.reason);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = new Promise<never>((_, reject) => {
      const fail = (): void => reject(this.classify(task.kind, new Error('aborted'), controller.signal, timeoutMs));
      controller.signal.addEventListener('abort', fail, { once: true });
      timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
      if (external?.aborted) controller.abort(external.reason);
      else external?.addEventListener('abort', onExternalAbort, { once: true });
    });
    stopped.catch(() => undefined);
    try {
      const result = await Promise.race([
        runTask(task, this.allowTestTasks, false).catch((err: unknown) => {
          throw WorkerErrors.taskFailed(task.kind, err);
        }),
        stopped,
      ]);
      this.counts.inline++;
      return result;
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', onExternalAbort);
    }
  }

  private classify(kind: TaskKind, err: unknown, signal: AbortSignal, timeoutMs: number): WorkerTaskError {
    if (err instanceof WorkerTaskError) return err;
    if (signal.aborted) {
      return signal.reason === TIMEOUT ? WorkerErrors.taskTimedOut(kind, timeoutMs) : WorkerErrors.taskAborted(kind, signal.reason);
    }
    return WorkerErrors.taskFailed(kind, err);
  }

  private track<T>(kind: TaskKind, work: Promise<T>): Promise<T> {
    const tracked = work.then(
      (value) => {
        this.counts.completed++;
        return value;
      },
      (err: unknown) => {
        const error = err instanceof WorkerTaskError ? err : WorkerErrors.taskFailed(kind, err);
        if (error.kind === 'timeout') this.counts.timedOut++;
        else this.counts.failed++;
        throw error;
      },
    );
    const settled = tracked.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return tracked;
  }
}

export function createPool(opts: WorkerPoolOptions = {}): WorkerPool {
  return new WorkerPool(opts);
}
