/**
 * A bounded ring of the gateway's recent log records at info level and above, for the dashboard's
 * log panel. It is fed the JSON lines pino writes (createLogger's `ring`); each record keeps its
 * time, level, message and a few scalar fields, never anything that could be message text or a
 * secret (info never carries those, and keys that look like them are left out anyway).
 */
export interface LogRecord {
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

export class LogRing {
  private readonly records: LogRecord[] = [];
  private partial = '';

  constructor(private readonly size = LOG_RING_SIZE) {}

  /** The recent records, oldest first; `limit` newest at most. */
  recent(limit = this.size): LogRecord[] {
    return this.records.slice(-Math.max(0, limit));
  }

  /** One JSON log line (pino's format); other lines are ignored. */
  pushLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof raw !== 'object' || raw === null) return;
    const obj = raw as Record<string, unknown>;
    const level = typeof obj.level === 'number' ? LEVELS[obj.level] : undefined;
    if (level === undefined || (obj.level as number) < 30) return;
    const fields: LogRecord['fields'] = {};
    for (const [key, value] of Object.entries(obj)) {
      if (SKIPPED.has(key) || SECRET_KEY.test(key)) continue;
      if (typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
      else if (typeof value === 'string') fields[key] = value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value;
    }
    const account = typeof obj.account === 'string' ? obj.account : typeof obj.accountId === 'string' ? obj.accountId : undefined;
    const msg = typeof obj.msg === 'string' ? obj.msg : '';
    this.records.push({
      time: typeof obj.time === 'number' ? obj.time : 0,
      level,
      msg: msg.length > MAX_MSG_CHARS ? `${msg.slice(0, MAX_MSG_CHARS)}…` : msg,
      ...(account !== undefined ? { account } : {}),
      fields,
    });
    if (this.records.length > this.size) this.records.splice(0, this.records.length - this.size);
  }

  /** A destination for pino.multistream: each write is one or more whole JSON lines. */
  sink(): { write(chunk: string): void } {
    return {
      write: (chunk: string) => {
        const text = this.partial + chunk;
        const lines = text.split('\n');
        this.partial = lines.pop() ?? '';
        if (this.partial.length > 1024 * 1024) this.partial = '';
        for (const line of lines) if (line.length > 0) this.pushLine(line);
      },
    };
  }
}
