/**
 * A bounded ring of the gateway's recent log records at info level and above, for the dashboard's
 * log panel. It is fed the JSON lines pino writes (createLogger's `ring`); each record keeps its
 * time, level, message and a few scalar fields, never anything that could be message text or a
 * secret (info never carries those, and keys that look like them are left out anyway).
 *
 * Cheap on the logging hot path: a line is copied as UTF-8 bytes into a fixed slot of one buffer
 * outside the JS heap (a head index, no shifting), and parsed only when someone reads it — the log
 * panel asking for the recent records, or a live listener (an open dashboard) — and then once,
 * kept parsed. Kept as strings, the lines of a burst (two per message) lived just long enough in
 * the ring to be promoted to the old generation, and were most of what a burst left there for a
 * mark-compact to collect (docs/performance.md). A line longer than a slot is kept as its string.
 */
export interface LogRecord {
  /** Position in this gateway's log ring, 1 upwards: tells a record already seen from a new one. */
  seq: number;
  /** ms since the epoch. */
  time: number;
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg: string;
  /** The account the record is about, when it names one. */
  account?: string;
  /** Other scalar fields (numbers, booleans, short strings). */
  fields: Record<string, string | number | boolean>;
}

export const LOG_RING_SIZE = 300;

const LEVELS: Record<number, LogRecord['level']> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SKIPPED = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'v', 'account', 'accountId']);
const SECRET_KEY = /(text|body|token|secret|password|authorization|cookie|apikey|env|headers)$/i;
const MAX_FIELD_CHARS = 200;
const MAX_MSG_CHARS = 2000;
/** A partial line longer than this is dropped (no newline in sight: not a pino record). */
const MAX_PARTIAL_CHARS = 1024 * 1024;
/** Bytes of one slot: a line up to this long (UTF-8, less 4) is kept as bytes, a longer one as its string. */
export const LOG_SLOT_BYTES = 1024;

/** One JSON log line as a record (without its seq); undefined for anything else or below info. */
export function parseLogLine(line: string): Omit<LogRecord, 'seq'> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const obj = raw as Record<string, unknown>;
  const level = typeof obj.level === 'number' ? LEVELS[obj.level] : undefined;
  if (level === undefined || (obj.level as number) < 30) return undefined;
  const fields: LogRecord['fields'] = {};
  for (const key in obj) {
    if (SKIPPED.has(key) || SECRET_KEY.test(key)) continue;
    const value = obj[key];
    if (typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
    else if (typeof value === 'string') fields[key] = value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value;
  }
  const account = typeof obj.account === 'string' ? obj.account : typeof obj.accountId === 'string' ? obj.accountId : undefined;
  const msg = typeof obj.msg === 'string' ? obj.msg : '';
  return {
    time: typeof obj.time === 'number' ? obj.time : 0,
    level,
    msg: msg.length > MAX_MSG_CHARS ? `${msg.slice(0, MAX_MSG_CHARS)}…` : msg,
    ...(account !== undefined ? { account } : {}),
    fields,
  };
}

export class LogRing {
  /** Slot i's line as UTF-8 at i × LOG_SLOT_BYTES, `lengths[i]` bytes long (-1: in `texts`). */
  private readonly bytes: Buffer;
  private readonly lengths: Int32Array;
  private readonly seqs: Float64Array;
  /** A line too long for its slot; dropped once parsed. */
  private readonly texts: Array<string | undefined>;
  /** Slot i's record once parsed (null: not a record; undefined: not parsed yet). */
  private readonly records: Array<LogRecord | null | undefined>;
  /** Where the next line goes; the oldest slot once the ring is full. */
  private head = 0;
  private count = 0;
  private seq = 0;
  private partial = '';
  private readonly listeners = new Set<(record: LogRecord) => void>();

  constructor(private readonly size = LOG_RING_SIZE) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`log ring size must be a positive integer, got ${size}`);
    this.bytes = Buffer.alloc(size * LOG_SLOT_BYTES);
    this.lengths = new Int32Array(size);
    this.seqs = new Float64Array(size);
    this.texts = new Array<string | undefined>(size).fill(undefined);
    this.records = new Array<LogRecord | null | undefined>(size).fill(undefined);
  }

  /** The recent records, oldest first; `limit` newest at most. Parses the lines not read before. */
  recent(limit = this.size): LogRecord[] {
    const records: LogRecord[] = [];
    const want = Math.max(0, Math.min(limit, this.size));
    // Newest first, stopping once `want` records are found, then reversed: oldest first.
    for (let i = 1; i <= this.count && records.length < want; i++) {
      const record = this.parsed((this.head - i + this.size) % this.size);
      if (record) records.push(record);
    }
    return records.reverse();
  }

  /**
   * Calls `listener` with every new record from now on (parsed as it arrives, only while someone
   * listens). A throwing listener is removed. Returns the unsubscribe.
   */
  subscribe(listener: (record: LogRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One JSON log line (pino's format); other lines are ignored when read. */
  pushLine(line: string): void {
    const slot = this.head;
    this.seqs[slot] = ++this.seq;
    this.records[slot] = undefined;
    // Written whole when it takes at most LOG_SLOT_BYTES - 4 bytes: a line cut at the slot's end
    // fills it to within 3 bytes (the longest UTF-8 character that did not fit is 4).
    const written = this.bytes.write(line, slot * LOG_SLOT_BYTES, LOG_SLOT_BYTES, 'utf8');
    if (written <= LOG_SLOT_BYTES - 4) {
      this.lengths[slot] = written;
      this.texts[slot] = undefined;
    } else {
      this.lengths[slot] = -1;
      this.texts[slot] = line;
    }
    this.head = (this.head + 1) % this.size;
    if (this.count < this.size) this.count++;
    if (this.listeners.size === 0) return;
    const record = this.parsed(slot);
    if (!record) return;
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** A destination for pino.multistream: each write is one or more whole JSON lines. */
  sink(): { write(chunk: string): void } {
    return {
      write: (chunk: string) => {
        // pino writes one whole line per call: the common case needs no split.
        const newline = chunk.indexOf('\n');
        if (this.partial === '' && newline === chunk.length - 1) {
          if (newline > 0) this.pushLine(chunk.slice(0, newline));
          return;
        }
        const lines = (this.partial + chunk).split('\n');
        this.partial = lines.pop() ?? '';
        if (this.partial.length > MAX_PARTIAL_CHARS) this.partial = '';
        for (const line of lines) if (line.length > 0) this.pushLine(line);
      },
    };
  }

  private parsed(slot: number): LogRecord | null {
    let record = this.records[slot];
    if (record === undefined) {
      const length = this.lengths[slot]!;
      const start = slot * LOG_SLOT_BYTES;
      const line = length < 0 ? (this.texts[slot] ?? '') : this.bytes.toString('utf8', start, start + length);
      const parsed = parseLogLine(line);
      record = parsed ? { seq: this.seqs[slot]!, ...parsed } : null;
      this.records[slot] = record;
      this.texts[slot] = undefined; // parsed once: the text is not needed any more
    }
    return record;
  }
}
