import { encodeJson } from './json-line.js';

const GARBAGE: (string | Buffer)[] = [
  '12:34: execution error: Messages got an error: AppleEvent timed out. (-1712)',
  '{"jsonrpc"',
  Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x80, 0x1b, 0x5b, 0x30, 0x6d, 0x6a, 0x75, 0x6e, 0x6b, 0xc3]),
  'osascript: OpenScripting.framework - scripting addition "/Library/ScriptingAdditions/Adobe Unit Types.osax" cannot be used with the current version of AppleScript.',
  '{"jsonrpc":"2.0","id":',
  'imsg: warning: Messages.app is not running',
];

export interface OutputFaults {
  garbageEvery?: number | undefined;
  exitAfterNotifications?: number | undefined;
}

/**
 * The single stdout writer: one JSON object per line, notifications written as one batch per
 * poll. Also the place where output-level faults act (garbage lines, exit after N
 * notifications, silence after a hang).
 */
export class Output {
  private lines = 0;
  private garbageIndex = 0;
  private notificationCount = 0;
  /** No more output: hung or exiting. */
  stopped = false;

  constructor(
    private readonly faults: OutputFaults,
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** The garbage line written at startup when --garbage-every is on. */
  startupGarbage(): void {
    if (this.faults.garbageEvery) this.stream.write(this.toBuffer([this.nextGarbage()]));
  }

  /** Stop writing anything, for good (hang emulation). */
  hang(): void {
    this.stopped = true;
  }

  response(obj: unknown): void {
    if (this.stopped) return;
    const parts: (string | Buffer)[] = [];
    this.push(parts, encodeJson(obj));
    this.flush(parts);
  }

  /** Whether stdout has more queued than its high-water mark (the reader is not keeping up). */
  backedUp(): boolean {
    return (this.stream as { writableNeedDrain?: boolean }).writableNeedDrain === true;
  }

  /** `onFlushed` runs once the batch has left the process (v1 watch buffer accounting). */
  notifications(objs: unknown[], onFlushed?: () => void): void {
    if (this.stopped || objs.length === 0) return;
    const parts: (string | Buffer)[] = [];
    const limit = this.faults.exitAfterNotifications;
    let exitAfter = false;
    for (const obj of objs) {
      this.push(parts, encodeJson(obj));
      this.notificationCount++;
      if (limit !== undefined && this.notificationCount >= limit) {
        exitAfter = true;
        break;
      }
    }
    if (exitAfter) {
      this.stopped = true;
      this.stream.write(this.toBuffer(parts), () => this.exit(1));
      return;
    }
    this.flush(parts, onFlushed);
  }

  private push(parts: (string | Buffer)[], line: string): void {
    this.lines++;
    const every = this.faults.garbageEvery;
    if (every && this.lines % every === 0) parts.push(this.nextGarbage());
    parts.push(`${line}\n`);
  }

  private nextGarbage(): string | Buffer {
    const g = GARBAGE[this.garbageIndex++ % GARBAGE.length]!;
    return typeof g === 'string' ? `${g}\n` : Buffer.concat([g, Buffer.from('\n')]);
  }

  private flush(parts: (string | Buffer)[], done?: () => void): void {
    if (done) this.stream.write(this.toBuffer(parts), () => done());
    else this.stream.write(this.toBuffer(parts));
  }

  private toBuffer(parts: (string | Buffer)[]): string | Buffer {
    if (parts.every((p) => typeof p === 'string')) return (parts as string[]).join('');
    return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  }
}
