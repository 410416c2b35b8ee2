/**
 * The gateway's stdout, asynchronous and guarded.
 *
 * Asynchronous: log lines are written by an AsyncFdWriter (async-fd-writer.ts): one `fs.write` in
 * flight at a time and at most one started every LOG_WRITE_GAP_MS, the lines of a burst gathered
 * into the next one, so the hot path makes no
 * synchronous write(2) per line (issue 15, item 3). The buffered tail is written synchronously
 * (`flushSync`) when the process exits: a normal exit, a signal, a `process.exit` on the fatal
 * path. Only a kill -9 can lose it (docs/operations.md).
 *
 * Guarded: when the reader goes away (EPIPE: `start | tee` and tee died; EIO: the terminal was
 * closed), writes are dropped instead of raising an error per log line (which, through
 * uncaughtException and the next log line, spun at 100% CPU), and the listeners hear of it once,
 * so the gateway can stop in order instead of running on orphaned.
 */
import { Writable } from 'node:stream';
import { AsyncFdWriter, LOG_WRITE_GAP_MS } from './async-fd-writer.js';

/** Error codes that mean nobody reads this stream any more. */
const CLOSED_CODES = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Past this many characters waiting for a reader that does not read, further lines are dropped (and counted). */
export const MAX_BUFFERED_LOG_CHARS = 32 * 1024 * 1024;

export function isClosedOutputError(err: unknown): boolean {
  return CLOSED_CODES.has((err as { code?: string } | null)?.code ?? '');
}

function reasonOf(err: unknown): string {
  return isClosedOutputError(err) ? String((err as { code: string }).code) : String((err as Error).message);
}

export class GuardedOutput extends Writable {
  private closedReason: string | undefined;
  private readonly closedListeners = new Set<(reason: string) => void>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly writer: AsyncFdWriter;

  /** `fd`: where the lines go (1: stdout). */
  constructor(fd: number) {
    super({ decodeStrings: false });
    this.writer = new AsyncFdWriter({
      fd,
      maxBufferedChars: MAX_BUFFERED_LOG_CHARS,
      // Any error, not only a closed reader, ends the output: a log line must never crash the gateway.
      onError: (err) => this.markClosed(reasonOf(err)),
      onIdle: () => this.wakeIdleWaiters(),
      minGapMs: LOG_WRITE_GAP_MS,
    });
  }

  /** Why output stopped (an error code), or undefined while it is read. */
  get readerGone(): string | undefined {
    return this.closedReason;
  }

  /** Lines dropped because the reader did not keep up (over MAX_BUFFERED_LOG_CHARS buffered). */
  get dropped(): number {
    return this.writer.dropped;
  }

  /** Called once, when the reader goes away (at once when it already has). */
  onClosed(listener: (reason: string) => void): void {
    if (this.closedReason !== undefined) listener(this.closedReason);
    else this.closedListeners.add(listener);
  }

  /** Writes a line for the operator; dropped when nobody reads any more. */
  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Resolves once everything written so far has reached the file descriptor (or it closed, or `timeoutMs` passed). */
  drained(timeoutMs = 2000): Promise<void> {
    if (this.writer.idle || this.closedReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  /** Writes the buffered tail synchronously (process exit); gives up on any error but a brief EAGAIN. */
  flushSync(): void {
    if (this.closedReason === undefined) this.writer.flushSync();
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.closedReason === undefined) this.writer.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    // Never report an error onwards: a pipe into pino-pretty would end with it.
    done();
  }

  private wakeIdleWaiters(): void {
    for (const w of [...this.idleWaiters]) w();
  }

  private markClosed(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.wakeIdleWaiters();
    for (const l of this.closedListeners) l(reason);
    this.closedListeners.clear();
  }
}

let guardedStdout: GuardedOutput | undefined;

/**
 * The process's one guarded, asynchronous stdout (created on first use; stderr errors are
 * swallowed from then on). Its buffered tail is written synchronously when the process exits.
 * It never touches `process.stdout` (which would put a pipe's fd 1 in non-blocking mode).
 */
export function stdoutGuard(): GuardedOutput {
  if (!guardedStdout) {
    const output = new GuardedOutput(1);
    guardedStdout = output;
    process.stderr.on('error', () => undefined);
    process.on('exit', () => output.flushSync());
  }
  return guardedStdout;
}

/**
 * For the short-lived commands (`status | head -1`): when the reader of stdout goes away, exit 0
 * at once, quietly, as `git log | head` does; no stack trace.
 */
export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err) => {
    if (!isClosedOutputError(err)) process.stderr.write(`stdout: ${(err as Error).message}\n`);
    process.exit(isClosedOutputError(err) ? 0 : 1);
  });
}
