/** The dashboard's log ring: info and above from the real logger, bounded, without text or secrets. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogRing } from '../../src/util/log-ring.js';
import { createLogger } from '../../src/util/logger.js';

const sink = (lines: string[]) => new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });

describe('LogRing', () => {
  it('keeps info and above from the logger, the main output keeps its own level, no text or secrets', () => {
    const ring = new LogRing(3);
    const out: string[] = [];
    const logger = createLogger({ level: 'warn', pretty: false, destination: sink(out), ring });
    const acct = logger.child({ account: 'bot' });
    acct.debug({ text: 'hello there' }, 'message text');
    acct.info({ outboxId: 7, text: 'secret words', token: 'abc', chars: 12 }, 'reply queued');
    acct.warn({ restarts: 2 }, 'imsg failed; restarting');
    expect(out.join('')).not.toContain('reply queued'); // the main output is at warn
    expect(out.join('')).toContain('imsg failed');
    expect(ring.recent()).toEqual([
      { time: expect.any(Number), level: 'info', msg: 'reply queued', account: 'bot', fields: { outboxId: 7, chars: 12 } },
      { time: expect.any(Number), level: 'warn', msg: 'imsg failed; restarting', account: 'bot', fields: { restarts: 2 } },
    ]);
    for (let i = 0; i < 5; i++) logger.error({ n: i }, `error ${i}`);
    expect(ring.recent().map((r) => r.msg)).toEqual(['error 2', 'error 3', 'error 4']);
    expect(ring.recent(1).map((r) => r.msg)).toEqual(['error 4']);
  });

  it('ignores lines that are not log records, and debug lines', () => {
    const ring = new LogRing();
    ring.pushLine('not json');
    ring.pushLine('{"level":20,"msg":"debug","time":1}');
    ring.pushLine('{"level":30,"msg":"ok","time":1,"nested":{"a":1},"long":"' + 'x'.repeat(500) + '"}');
    expect(ring.recent()).toEqual([{ time: 1, level: 'info', msg: 'ok', fields: { long: `${'x'.repeat(200)}…` } }]);
  });
});
