/**
 * Splits a byte stream into lines. imsg writes one JSON object per line, but pipes deliver
 * arbitrary chunks: a line may arrive in pieces, several lines in one chunk, and a multi-byte
 * UTF-8 character may straddle two chunks. Splitting on the 0x0A byte is safe in UTF-8, and each
 * line is decoded only once it is complete. `\r\n` endings are accepted; blank lines are skipped.
 *
 * A line longer than `maxLineBytes` is discarded (reported through `onOverflow`) rather than
 * buffered without bound: a peer that never sends a newline cannot exhaust memory.
 */
export interface LineFramerOptions {
  maxLineBytes?: number;
  onOverflow?: (discardedBytes: number) => void;
}

const NEWLINE = 0x0a;
const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export class LineFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  private readonly maxLineBytes: number;
  private readonly onOverflow: ((discardedBytes: number) => void) | undefined;

  constructor(options: LineFramerOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.onOverflow = options.onOverflow;
  }

  /** Feeds a chunk; returns the complete lines it finished, in order. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      if (this.discarding) {
        this.discarding = false;
        this.onOverflow?.(this.pendingBytes + piece.length);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        const line = this.take(piece);
        if (line !== undefined) lines.push(line);
      }
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
    return lines;
  }

  /** Whatever is buffered without a final newline (imsg always ends lines; this is for EOF). */
  flush(): string[] {
    if (this.discarding) this.onOverflow?.(this.pendingBytes);
    if (this.discarding || this.pendingBytes === 0) {
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = false;
      return [];
    }
    const line = this.take(Buffer.alloc(0));
    return line === undefined ? [] : [line];
  }

  private keep(piece: Buffer): void {
    if (this.discarding) {
      this.pendingBytes += piece.length;
      return;
    }
    // Copy: the caller's chunk buffer may be reused by the stream.
    this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.discarding = true;
      this.pending = [];
    }
  }

  private take(tail: Buffer): string | undefined {
    let bytes: Buffer;
    if (this.pending.length === 0) {
      bytes = tail;
    } else {
      this.pending.push(tail);
      bytes = Buffer.concat(this.pending, this.pendingBytes + tail.length);
      this.pending = [];
    }
    this.pendingBytes = 0;
    if (bytes.length > this.maxLineBytes) {
      this.onOverflow?.(bytes.length);
      return undefined;
    }
    const line = bytes.toString('utf8').trim();
    return line.length === 0 ? undefined : line;
  }
}
