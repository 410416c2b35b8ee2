/**
 * The log level a process runs at: `LOG_LEVEL` from the environment (any case, surrounding blanks
 * ignored, empty means unset) over the configured `gateway.logLevel`, over `info`. A value that is
 * not a level is refused with the list, instead of pino's "must be included in custom levels".
 */
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from '../config/defaults.js';
import type { LogLevel } from '../config/types.js';
import type { TypedError } from './typed-error.js';

export class LogLevelError extends Error implements TypedError {
  readonly kind = 'invalid-log-level';
  readonly recovery = 'operator';
  readonly remediation: string;
  constructor(readonly value: string) {
    super(`LOG_LEVEL=${JSON.stringify(value)} is not a log level`);
    this.name = 'LogLevelError';
    this.remediation = `set LOG_LEVEL to one of ${LOG_LEVELS.join(', ')}, or unset it to use gateway.logLevel (default ${DEFAULT_LOG_LEVEL})`;
  }
}

export function effectiveLogLevel(env: string | undefined, configured: string | undefined): LogLevel {
  const fromEnv = env?.trim().toLowerCase();
  if (fromEnv) {
    if (!(LOG_LEVELS as readonly string[]).includes(fromEnv)) throw new LogLevelError(env ?? '');
    return fromEnv as LogLevel;
  }
  return (configured as LogLevel | undefined) ?? DEFAULT_LOG_LEVEL;
}
