/** Bad input from imsg is logged once per account, not per occurrence (issue 12, "Bad input"). */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { imsgLineLogHandlers, negotiationNoteLog, OncePerAccount } from '../../src/supervisor/imsg-line-log.js';
import { systemClock } from '../../src/util/clock.js';

function capturedLogger(): { logger: pino.Logger; records: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const UNKNOWN_NOTE = JSON.stringify({ jsonrpc: '2.0', method: 'typing.started', params: { subscription: 1 } });

describe('imsg bad-input log lines', () => {
  it('unknown notifications: every one counted, one warning per account, without the method name', () => {
    const { logger, records } = capturedLogger();
    const counters = newCounters();
    const log = imsgLineLogHandlers(logger, systemClock, counters);
    for (let i = 0; i < 25; i++) log.onUnknownInput({ what: 'notification' }, UNKNOWN_NOTE);
    expect(counters.unknownInput).toBe(25);
    expect(counters.malformed).toBe(0);
    const logged = records();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, line: { method: '(other)' } });
    expect(String(logged[0]!.msg)).toContain('notification method this gateway does not know');
    expect(JSON.stringify(logged)).not.toContain('typing.started');
  });

  it('unknown error codes: one warning per code, naming the request method and the code', () => {
    const { logger, records } = capturedLogger();
    const counters = newCounters();
    const log = imsgLineLogHandlers(logger, systemClock, counters);
    for (let i = 0; i < 5; i++) log.onUnknownInput({ what: 'error-code', method: 'chats.list', code: -32099 }, '{}');
    log.onUnknownInput({ what: 'error-code', method: 'send', code: -32005 }, '{}');
    expect(counters.unknownInput).toBe(6);
    const logged = records();
    expect(logged.map((r) => [r.method, r.code])).toEqual([
      ['chats.list', -32099],
      ['send', -32005],
    ]);
    expect(String(logged[0]!.msg)).toContain('error code -32099, which this gateway does not know');
  });

  it('negotiation notes: each text once per account, however many spawns repeat it', () => {
    const { logger, records } = capturedLogger();
    const noteLog = negotiationNoteLog(logger);
    for (let spawn = 0; spawn < 4; spawn++) {
      noteLog(['imsg claims protocol v1 but rejected status (-32601); falling back to legacy mode'], '0.15.10');
    }
    noteLog(['unknown imsg version "0.99.1"; treating it as the newest known (0.15)'], '0.99.1');
    expect(records().map((r) => r.msg)).toEqual([
      'imsg claims protocol v1 but rejected status (-32601); falling back to legacy mode (logged once per account)',
      'unknown imsg version "0.99.1"; treating it as the newest known (0.15) (logged once per account)',
    ]);
  });

  it('remembers a bounded number of keys, then stays quiet', () => {
    const once = new OncePerAccount();
    const firsts = Array.from({ length: 100 }, (_, i) => once.first(`k${i}`)).filter(Boolean).length;
    expect(firsts).toBe(64);
    expect(once.first('k0')).toBe(false);
  });
});
