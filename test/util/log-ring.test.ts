/** The dashboard's log ring: info and above from the real logger, bounded, in order, without text or secrets. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LOG_SLOT_BYTES, LogRing, type LogRecord } from '../../src/util/log-ring.js';
import { createLogger } from '../../src/util/logger.js';

const sink = (lines: string[]) => new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
const line = (n: number, level = 30) => JSON.stringify({ level, time: n, msg: `m${n}`, n });

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
      { seq: 1, time: expect.any(Number), level: 'info', msg: 'reply queued', account: 'bot', fields: { outboxId: 7, chars: 12 } },
      { seq: 2, time: expect.any(Number), level: 'warn', msg: 'imsg failed; restarting', account: 'bot', fields: { restarts: 2 } },
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
    expect(ring.recent()).toEqual([{ seq: 3, time: 1, level: 'info', msg: 'ok', fields: { long: `${'x'.repeat(200)}…` } }]);
  });

  it('is bounded and oldest-first across many wrap-arounds, at every fill level', () => {
    const size = 7;
    const ring = new LogRing(size);
    expect(ring.recent()).toEqual([]);
    for (let n = 1; n <= 40; n++) {
      ring.pushLine(line(n));
      const expected = Array.from({ length: Math.min(n, size) }, (_, i) => n - Math.min(n, size) + 1 + i);
      // read now and then only: lines never read are parsed lazily, those read stay parsed
      if (n % 3 === 0 || n > 30) {
        expect(ring.recent().map((r) => r.time), `after ${n}`).toEqual(expected);
        expect(ring.recent().map((r) => r.seq)).toEqual(expected);
        expect(ring.recent(2).map((r) => r.time)).toEqual(expected.slice(-2));
        expect(ring.recent(1000)).toHaveLength(Math.min(n, size));
        expect(ring.recent(0)).toEqual([]);
      }
    }
  });

  it('counts a line that is not a record against the bound, and limit finds the newest records past it', () => {
    const ring = new LogRing(4);
    ring.pushLine(line(1));
    ring.pushLine(line(2));
    ring.pushLine('garbage');
    ring.pushLine(line(3, 20));
    expect(ring.recent(2).map((r) => r.msg)).toEqual(['m1', 'm2']);
    ring.pushLine(line(4));
    expect(ring.recent().map((r) => r.msg)).toEqual(['m2', 'm4']);
  });

  it('hands new records to listeners, parsed once, in order; a throwing listener is removed', () => {
    const ring = new LogRing(2);
    ring.pushLine(line(1));
    const seen: LogRecord[] = [];
    const stop = ring.subscribe((r) => seen.push(r));
    let throws = 0;
    ring.subscribe(() => {
      throws++;
      throw new Error('gone');
    });
    ring.pushLine(line(2));
    ring.pushLine('not json');
    ring.pushLine(line(3));
    expect(seen.map((r) => [r.seq, r.msg])).toEqual([
      [2, 'm2'],
      [4, 'm3'],
    ]);
    expect(throws).toBe(1);
    expect(ring.recent()).toEqual([seen[1]]); // size 2: 'not json' and m3
    expect(ring.recent()[0]).toBe(seen[1]); // the same parsed object, not a second parse
    stop();
    ring.pushLine(line(5));
    expect(seen).toHaveLength(2);
    expect(ring.recent().map((r) => r.msg)).toEqual(['m3', 'm5']);
  });

  it('reassembles lines split across writes, and takes several lines in one write', () => {
    const ring = new LogRing();
    const s = ring.sink();
    const [a, b] = [line(1), line(2)];
    s.write(a.slice(0, 10));
    s.write(`${a.slice(10)}\n${b}\n`);
    s.write(`${line(3)}\n`);
    expect(ring.recent().map((r) => r.msg)).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps lines whole whatever their length and characters: within a slot as bytes, longer ones as text', () => {
    const ring = new LogRing(4);
    const record = (msg: string) => JSON.stringify({ level: 30, time: 1, msg });
    const head = record('').length; // the JSON around an empty message (the last 2 bytes after it)
    // 'é' is 2 bytes, '🙂' 4 (two UTF-16 units): lines that end right at, just past and far past a slot.
    const msgs = [
      'é'.repeat((LOG_SLOT_BYTES - 4 - head) / 2),
      `${'a'.repeat(LOG_SLOT_BYTES - 4 - head - 3)}🙂`,
      // The emoji starts 3 bytes before the slot's end: the cut leaves LOG_SLOT_BYTES - 3 written,
      // which must not be taken for the whole line.
      `${'a'.repeat(LOG_SLOT_BYTES - 3 - (head - 2))}🙂`,
      `${'🙂'.repeat(400)} and on`,
    ];
    for (const m of msgs) ring.pushLine(record(m));
    expect(ring.recent().map((r) => r.msg)).toEqual(msgs.map((m) => (m.length > 2000 ? `${m.slice(0, 2000)}…` : m)));
    // A short line now takes a slot that held a long one.
    ring.pushLine(record('after'));
    expect(ring.recent().map((r) => r.msg).at(-1)).toBe('after');
    expect(ring.recent()).toHaveLength(4);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new LogRing(0)).toThrow(/positive integer/);
  });
});
