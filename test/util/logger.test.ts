/**
 * The logger keeps tokens out of its records: at the top level, one level down and in an
 * `authorization` header, written as pino writes a redacted value. A record without any of them
 * goes through as it is (no copy on the hot path).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CENSOR, createLogger, redactNestedToken } from '../../src/util/logger.js';

function linesOf(log: (logger: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({ level: 'info', pretty: false, destination: out });
  log(logger);
  return chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the logger and tokens', () => {
  it('censors token at the top, one level down (in a copy), and headers.authorization', () => {
    const config = { url: 'http://x', token: 'SECRET-1' };
    const [line] = linesOf((l) =>
      l.child({ account: 'a' }).info({ token: 'SECRET-0', config, headers: { authorization: 'Bearer SECRET-2', accept: 'x' } }, 'm'),
    );
    expect(line).toMatchObject({ token: CENSOR, config: { url: 'http://x', token: CENSOR }, headers: { authorization: CENSOR, accept: 'x' } });
    expect(JSON.stringify(line)).not.toMatch(/SECRET/);
    expect(config.token).toBe('SECRET-1'); // the caller's object is left alone
  });

  it('passes a record without tokens through untouched, not copied', () => {
    const record = { envelopeId: 'e', rowid: 1, list: [{ token: 'not one level down' }], nested: { a: { token: 'two levels' } } };
    expect(redactNestedToken(record)).toBe(record);
    expect(linesOf((l) => l.info(record, 'm'))[0]).toMatchObject({ envelopeId: 'e', rowid: 1 });
  });
});
