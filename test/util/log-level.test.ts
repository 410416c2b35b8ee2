import { describe, expect, it } from 'vitest';
import { effectiveLogLevel, LogLevelError } from '../../src/util/log-level.js';
import { errorText } from '../../src/util/typed-error.js';

describe('effectiveLogLevel', () => {
  it('LOG_LEVEL overrides gateway.logLevel, in any case; unset or blank leaves the config, then info', () => {
    expect(effectiveLogLevel('debug', 'warn')).toBe('debug');
    expect(effectiveLogLevel(' DEBUG ', 'warn')).toBe('debug');
    expect(effectiveLogLevel(undefined, 'warn')).toBe('warn');
    expect(effectiveLogLevel('', 'error')).toBe('error');
    expect(effectiveLogLevel(undefined, undefined)).toBe('info');
  });

  it('refuses a value that is not a level, naming the levels and the fix', () => {
    expect(() => effectiveLogLevel('verbose', 'info')).toThrow(LogLevelError);
    try {
      effectiveLogLevel('verbose', 'info');
    } catch (err) {
      expect(errorText(err, 'lines')).toContain('LOG_LEVEL="verbose" is not a log level');
      expect((err as LogLevelError).remediation).toBe(
        'set LOG_LEVEL to one of fatal, error, warn, info, debug, trace, or unset it to use gateway.logLevel (default info)',
      );
    }
  });
});
