import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { LineFramer } from '../../src/imsg/line-framer.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('LineFramer', () => {
  it('joins a line that arrives in several chunks', () => {
    const f = new LineFramer();
    expect(f.push(b('{"a":'))).toEqual([]);
    expect(f.push(b('1,"b"'))).toEqual([]);
    expect(f.push(b(':2}\n'))).toEqual(['{"a":1,"b":2}']);
  });

  it('returns several lines finished by one chunk, in order, and keeps the unfinished tail', () => {
    const f = new LineFramer();
    expect(f.push(b('one\ntwo\nthr'))).toEqual(['one', 'two']);
    expect(f.push(b('ee\nfour\n'))).toEqual(['three', 'four']);
  });

  it('accepts CRLF line endings, also when \\r and \\n are in different chunks', () => {
    const f = new LineFramer();
    expect(f.push(b('alpha\r\nbeta\r'))).toEqual(['alpha']);
    expect(f.push(b('\ngamma\r\n'))).toEqual(['beta', 'gamma']);
  });

  it('skips blank and whitespace-only lines', () => {
    const f = new LineFramer();
    expect(f.push(b('\n\n  \n\t\r\nx\n\n'))).toEqual(['x']);
    expect(f.flush()).toEqual([]);
  });

  it('trims surrounding whitespace of a line', () => {
    const f = new LineFramer();
    expect(f.push(b('  {"id":1}  \n'))).toEqual(['{"id":1}']);
  });

  it('decodes a multi-byte UTF-8 character split between chunks', () => {
    const emoji = b('😀'); // 4 bytes
    const e = b('é'); // 2 bytes
    expect(emoji.length).toBe(4);
    expect(e.length).toBe(2);
    for (let cut = 1; cut < 4; cut++) {
      const f = new LineFramer();
      expect(f.push(Buffer.concat([b('a'), emoji.subarray(0, cut)]))).toEqual([]);
      expect(f.push(Buffer.concat([emoji.subarray(cut), b('z\n')]))).toEqual(['a😀z']);
    }
    const f = new LineFramer();
    expect(f.push(Buffer.concat([b('caf'), e.subarray(0, 1)]))).toEqual([]);
    expect(f.push(Buffer.concat([e.subarray(1), b('\n')]))).toEqual(['café']);
    expect(f.push(b('\n'))).toEqual([]);
  });

  it('decodes a character split byte by byte over several pushes', () => {
    const f = new LineFramer();
    const bytes = b('x😀y\n');
    const out: string[] = [];
    for (const byte of bytes) out.push(...f.push(Buffer.from([byte])));
    expect(out).toEqual(['x😀y']);
  });

  it('flush() returns the unterminated last line at EOF, once', () => {
    const f = new LineFramer();
    expect(f.push(b('done\npartial'))).toEqual(['done']);
    expect(f.flush()).toEqual(['partial']);
    expect(f.flush()).toEqual([]);
  });

  it('flush() with nothing buffered returns nothing', () => {
    const f = new LineFramer();
    expect(f.flush()).toEqual([]);
    f.push(b('a\n'));
    expect(f.flush()).toEqual([]);
  });

  it('flush() ignores a whitespace-only tail', () => {
    const f = new LineFramer();
    f.push(b('  \r'));
    expect(f.flush()).toEqual([]);
  });

  it('does not keep a reference to the caller\'s chunk buffer', () => {
    const f = new LineFramer();
    const chunk = b('abc');
    f.push(chunk);
    chunk.fill(0x21); // the stream reuses its buffer
    expect(f.push(b('\n'))).toEqual(['abc']);
  });

  it('discards only an over-long line that arrives in one chunk, reports its size, and continues', () => {
    const overflows: number[] = [];
    const f = new LineFramer({ maxLineBytes: 10, onOverflow: (n) => overflows.push(n) });
    expect(f.push(b('short\n' + 'x'.repeat(11) + '\nafter\n'))).toEqual(['short', 'after']);
    expect(overflows).toEqual([11]);
  });

  it('accepts a line of exactly maxLineBytes', () => {
    const overflows: number[] = [];
    const f = new LineFramer({ maxLineBytes: 10, onOverflow: (n) => overflows.push(n) });
    expect(f.push(b('y'.repeat(10) + '\n'))).toEqual(['y'.repeat(10)]);
    expect(f.push(b('z'.repeat(5)))).toEqual([]);
    expect(f.push(b('z'.repeat(5) + '\n'))).toEqual(['z'.repeat(10)]);
    expect(overflows).toEqual([]);
  });

  it('discards an over-long line spread over many chunks without buffering it, then frames the next line', () => {
    const overflows: number[] = [];
    const f = new LineFramer({ maxLineBytes: 8, onOverflow: (n) => overflows.push(n) });
    expect(f.push(b('ok\n12345'))).toEqual(['ok']);
    expect(f.push(b('67890'))).toEqual([]); // 10 > 8: now discarding
    expect(f.push(b('abcdefghij'))).toEqual([]);
    expect(f.push(b('kl\nnext\n'))).toEqual(['next']);
    expect(overflows).toEqual([22]);
    expect(f.push(b('again\n'))).toEqual(['again']);
    expect(overflows).toEqual([22]);
  });

  it('drops an over-long unterminated line at flush() without returning it, then frames cleanly', () => {
    const f = new LineFramer({ maxLineBytes: 4 });
    f.push(b('abcdefgh'));
    expect(f.flush()).toEqual([]);
    // framing starts over cleanly after flush
    expect(f.push(b('ab\n'))).toEqual(['ab']);
  });

  it('reports an over-long unterminated line discarded at flush() through onOverflow', () => {
    const overflows: number[] = [];
    const f = new LineFramer({ maxLineBytes: 4, onOverflow: (n) => overflows.push(n) });
    f.push(b('abcdefgh'));
    f.flush();
    expect(overflows).toEqual([8]);
  });

  it('property: any lines, cut into chunks at arbitrary byte offsets, come back exactly', () => {
    const lineArb = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .map((s) => s.replace(/\n/g, '').trim())
      .filter((s) => s.length > 0 && !s.includes('\uFFFD'));
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 0, maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (lines, cutSeeds, trailingNewline) => {
          const bytes = b(lines.join('\n') + (trailingNewline && lines.length > 0 ? '\n' : ''));
          const cuts = [...new Set(cutSeeds.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort(
            (x, y) => x - y,
          );
          const f = new LineFramer();
          const out: string[] = [];
          let prev = 0;
          for (const cut of [...cuts, bytes.length]) {
            out.push(...f.push(bytes.subarray(prev, cut)));
            prev = cut;
          }
          out.push(...f.flush());
          expect(out).toEqual(lines);
        },
      ),
      { numRuns: 300 },
    );
  });
});
