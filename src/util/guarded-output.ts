/**
 * The gateway's stdout, guarded: when the reader goes away (EPIPE: `start | tee` and tee died;
 * EIO: the terminal was closed), writes are dropped instead of raising an error per log line
 * (which, through uncaughtException and the next log line, spun at 100% CPU), and the listeners
 * hear of it once, so the gateway can stop in order instead of running on orphaned.
 */
import { Writable } from 'node:stream';

/** Error codes that mean nobody reads this stream any more. */
const CLOSED_CODES = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export function isClosedOutputError(err: unknown): boolean {
  return CLOSED_CODES.has((err as { code?: string } | null)?.code ?? '');
}

function reasonOf(err: unknown): string {
  return isClosedOutputError(err) ? String((err as { code: string }).code) : String((err as Error).message);
}

export class GuardedOutput extends Writable {
  private closedReason: string | undefined;
  private readonly closedListeners = new Set<(reason: string) => void>();

  constructor(private readonly target: NodeJS.WriteStream) {
    super({ decodeStrings: false });
    target.on('error', (err) => {
      // Anything but a closed reader is still swallowed here: a log line must never crash the gateway.
      this.markClosed(reasonOf(err));
    });
  }

  /** Why output stopped (an error code), or undefined while it is read. */
  get readerGone(): string | undefined {
    return this.closedReason;
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

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.closedReason !== undefined || this.target.destroyed) {
      done();
      return;
    }
    try {
      this.target.write(chunk, (err) => {
        if (err) this.markClosed(reasonOf(err));
      });
    } catch (err) {
      this.markClosed(reasonOf(err));
    }
    // Never report the error onwards: a pipe into pino-pretty would end with it.
    done();
  }

  private markClosed(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const l of this.closedListeners) l(reason);
    this.closedListeners.clear();
  }
}

let guardedStdout: GuardedOutput | undefined;

/** The process's one guarded stdout (created on first use; stderr errors are swallowed from then on). */
export function stdoutGuard(): GuardedOutput {
  if (!guardedStdout) {
    guardedStdout = new GuardedOutput(process.stdout);
    process.stderr.on('error', () => undefined);
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
