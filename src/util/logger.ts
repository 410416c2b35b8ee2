/**
 * pino logger: JSON lines for machines, pino-pretty on a terminal. Info level never carries
 * message text or secrets; text appears at debug only.
 */
import type { Writable } from 'node:stream';
import { isatty } from 'node:tty';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { useColour } from './colour.js';
import type { LogRing } from './log-ring.js';
import { effectiveLogLevel } from './log-level.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Pretty-print (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Colour in pretty output (default: NO_COLOR / FORCE_COLOR, else when stdout is a TTY). */
  colour?: boolean;
  destination?: NodeJS.WritableStream | Writable;
  /** Also keep info-and-above records in this ring (the dashboard's log panel). */
  ring?: LogRing;
}

/** What pino writes in place of a redacted value (its own default). */
export const CENSOR = '[Redacted]';

/**
 * A `token` one level down (`*.token`), censored in a copy of the record. pino's own wildcard path
 * did this by running every field of every record through its slow redactor: about 3 µs and 1 KB
 * of garbage per line, two lines per message in a burst. Here a record without such a key is
 * returned as it is, untouched and not copied. The top-level `token` and `headers.authorization`
 * stay with pino's `redact` (exact paths cost only the keys they name).
 */
export function redactNestedToken(record: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in record) {
    const value = record[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, 'token')) continue;
    out ??= { ...record };
    out[key] = { ...(value as Record<string, unknown>), token: CENSOR };
  }
  return out ?? record;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = effectiveLogLevel(process.env.LOG_LEVEL, options.level);
  // isatty(1), not process.stdout.isTTY: creating process.stdout would put a pipe's fd 1 in
  // non-blocking mode under the asynchronous destination (guarded-output.ts).
  const stdoutIsTty = isatty(1);
  const usePretty = options.pretty ?? stdoutIsTty;
  const base = {
    level,
    base: { pid: process.pid },
    redact: ['token', 'headers.authorization'],
    formatters: { log: redactNestedToken },
  };
  const main: pino.DestinationStream = usePretty
    ? pretty({
        colorize: options.colour ?? useColour(process.env, stdoutIsTty),
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname',
        sync: true,
        destination: options.destination ?? process.stdout,
      } as pretty.PrettyOptions)
    : ((options.destination ?? process.stdout) as pino.DestinationStream);
  const value = pino.levels.values[level];
  if (!options.ring || value === undefined) return pino(base, main);
  // The ring takes info and above whatever the level; the main destination keeps the logger's level.
  return pino(
    { ...base, level: value < 30 ? level : 'info' },
    pino.multistream([
      { level: level as pino.Level, stream: main },
      { level: 'info', stream: options.ring.sink() },
    ]),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
