/**
 * Log lines to a file descriptor without a synchronous write per line: at most one `fs.write`
 * is in flight (on the thread pool); lines written meanwhile are gathered and taken by the next one,
 * so a burst costs a few writes off the event loop, and an idle line is written at once.
 *
 * A write starts at most every `minGapMs` (the gateway's stdout: LOG_WRITE_GAP_MS), so a burst's
 * lines share fewer, larger writes: each `fs.write` costs the event loop its hand-over to the
 * thread pool (about 20 µs on the bench machine), and back to back a burst started one per turn
 * of the loop. An idle line is still written at once.
 *
 * Why not sonic-boom (pino.destination({ sync: false })), which works the same way: its
 * `flushSync` retries every write error, not only EAGAIN, forever, so a process exiting onto a
 * hung-up terminal (EIO) or a closed pipe (EPIPE) spins in its exit handler and never exits.
 * Here any error but EAGAIN ends the writer (`onError`), and `flushSync` gives up after a bounded
 * number of EAGAIN retries.
 */
import fs from 'node:fs';
import { type Clock, systemClock } from './clock.js';

export interface AsyncFdWriterOptions {
  fd: number;
  /** Past this many characters waiting for a reader that does not read, lines are dropped (counted). */
  maxBufferedChars: number;
  /** A write failed (any error but EAGAIN): nothing is written any more. */
  onError: (err: NodeJS.ErrnoException) => void;
  /** Everything handed over so far has been written. */
  onIdle: () => void;
  /** Least time between the starts of two writes (default 0: back to back); past 64 KiB waiting, no wait. */
  minGapMs?: number;
  clock?: Clock;
}

/** The gateway's stdout: at most 500 writes a second in a burst, each line out within about 2 ms. */
export const LOG_WRITE_GAP_MS = 2;
/** Waiting lines past this size are written without waiting for the gap. */
const GAP_SKIP_CHARS = 64 * 1024;

const EAGAIN_RETRY_MS = 10;
/** flushSync on a non-blocking descriptor whose reader is stuck: at most this long, then the rest is lost. */
const FLUSH_SYNC_EAGAIN_RETRIES = 100;

/** The first size of the buffer lines are encoded into; it grows (doubling) as a burst needs. */
const INITIAL_BUFFER_BYTES = 16 * 1024;
/** A buffer grown past this is not kept for reuse after its write. */
const KEPT_BUFFER_BYTES = 256 * 1024;

/**
 * A buffer of its own, never a slice of Node's shared pool (Buffer.poolSize is 64 KiB on Node 24:
 * a 16 KiB allocUnsafe comes from the pool): it is written into again after its write, so no
 * other Buffer may share its memory.
 */
function newBuffer(bytes: number): Buffer {
  return Buffer.allocUnsafeSlow(bytes);
}

export class AsyncFdWriter {
  /**
   * Lines waiting, encoded as they come into `buf` (its first `used` bytes): no string per line
   * kept and no joined copy of them (at two lines a message in a burst, that was most of what
   * logging allocated). While a write is in flight its buffer is its own; the next lines go into
   * another, and the written one is kept (`spare`) for the turn after.
   */
  private buf: Buffer = newBuffer(INITIAL_BUFFER_BYTES);
  private used = 0;
  private spare: Buffer | undefined;
  private pendingChars = 0;
  private writing = false;
  private failed = false;
  private droppedLines = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private gapTimer: unknown;
  private readonly clock: Clock;

  constructor(private readonly o: AsyncFdWriterOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return !this.writing && this.used === 0;
  }

  /** A write is on the thread pool now (lines held for the gap are not in flight). */
  get inFlight(): boolean {
    return this.writing && this.gapTimer === undefined;
  }

  get dropped(): number {
    return this.droppedLines;
  }

  write(chunk: string): void {
    if (this.failed) return;
    if (this.pendingChars + chunk.length > this.o.maxBufferedChars) {
      this.droppedLines++;
      return;
    }
    // At most 3 bytes of UTF-8 per UTF-16 unit (a surrogate pair is 4 bytes for 2 units).
    const room = chunk.length * 3;
    if (this.used + room > this.buf.length) this.grow(this.used + room);
    this.used += this.buf.write(chunk, this.used, 'utf8');
    this.pendingChars += chunk.length;
    if (!this.writing) this.next();
  }

  private grow(bytes: number): void {
    let size = this.buf.length * 2;
    while (size < bytes) size *= 2;
    const bigger = newBuffer(size);
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }

  /**
   * Writes what is waiting, synchronously (process exit). A write already in flight on the thread
   * pool is not repeated: it completes on its own (its bytes may land after these).
   */
  flushSync(): void {
    if (this.failed || this.used === 0) return;
    // A write waiting for the gap has nothing of its own: what it would take is written here.
    if (this.gapTimer !== undefined) {
      this.clock.clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      this.writing = false;
    }
    const { buf, end } = this.take();
    let offset = 0;
    let retries = 0;
    while (offset < end) {
      try {
        offset += fs.writeSync(this.o.fd, buf, offset, end - offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && retries++ < FLUSH_SYNC_EAGAIN_RETRIES) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, EAGAIN_RETRY_MS);
          continue;
        }
        this.fail(err as NodeJS.ErrnoException);
        return;
      }
    }
  }

  /** What waits: its buffer and the end of its bytes; the next lines go into the spare buffer (or a new one). */
  private take(): { buf: Buffer; end: number } {
    const out = { buf: this.buf, end: this.used };
    this.buf = this.spare ?? newBuffer(INITIAL_BUFFER_BYTES);
    this.spare = undefined;
    this.used = 0;
    this.pendingChars = 0;
    return out;
  }

  /** A written buffer, kept for the lines after the next write unless it grew large. */
  private release(written: Buffer): void {
    if (this.spare === undefined && written.length <= KEPT_BUFFER_BYTES) this.spare = written;
  }

  /** After a write (or the first line): the next write now, or once the gap has passed; idle when nothing waits. */
  private next(): void {
    if (this.failed) return;
    const wait = this.lastStart + (this.o.minGapMs ?? 0) - this.clock.now();
    if (this.used > 0 && wait > 0 && this.pendingChars < GAP_SKIP_CHARS) {
      this.writing = true;
      this.gapTimer = this.clock.setTimeout(() => {
        this.gapTimer = undefined;
        this.start();
      }, wait);
      return;
    }
    this.start();
  }

  /** One write of everything waiting; idle when nothing waits. */
  private start(): void {
    if (this.failed) return;
    if (this.used === 0) {
      this.writing = false;
      this.o.onIdle();
      return;
    }
    this.writing = true;
    this.lastStart = this.clock.now();
    const { buf, end } = this.take();
    this.writeFrom(buf, 0, end);
  }

  private writeFrom(buf: Buffer, offset: number, end: number): void {
    fs.write(this.o.fd, buf, offset, end - offset, null, (err, written) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.writeFrom(buf, offset, end), EAGAIN_RETRY_MS);
          return;
        }
        this.writing = false;
        this.fail(err);
        return;
      }
      if (offset + written < end) {
        this.writeFrom(buf, offset + written, end);
        return;
      }
      this.release(buf);
      this.next();
    });
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (this.failed) return;
    this.failed = true;
    if (this.gapTimer !== undefined) this.clock.clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.used = 0;
    this.pendingChars = 0;
    this.o.onError(err);
  }
}
