/**
 * AsyncFdWriter on a real file: one write in flight, the lines of a burst gathered into one write, at most one
 * write started per gap (on a simulated clock), an idle line at once, and flushSync writing what
 * waits for the gap.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { AsyncFdWriter } from '../../src/util/async-fd-writer.js';

const files: string[] = [];

function writer(minGapMs: number) {
  const dir = fs.mkdtempSync(join(tmpdir(), 'gw-fd-writer-'));
  const file = join(dir, 'out.log');
  files.push(dir);
  const fd = fs.openSync(file, 'w');
  const clock = new SimulatedClock();
  let idle = 0;
  const w = new AsyncFdWriter({ fd, maxBufferedChars: 1 << 20, onError: (err) => {
      throw err;
    }, onIdle: () => idle++, minGapMs, clock });
  const writes = vi.spyOn(fs, 'write');
  const read = () => fs.readFileSync(file, 'utf8');
  /** Waits (real time, at most 5 s) until nothing is in flight: what waits for the gap stays waiting. */
  const settle = async () => {
    const until = Date.now() + 5000;
    while (Date.now() < until && w.inFlight) await new Promise((r) => setTimeout(r, 1));
  };
  return { w, clock, writes, settle, read, idle: () => idle, close: () => fs.closeSync(fd) };
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of files.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('AsyncFdWriter', () => {
  it('without a gap: the lines written during a write are joined into the next one', async () => {
    const h = writer(0);
    h.w.write('a\n');
    for (let i = 0; i < 50; i++) h.w.write(`${i}\n`);
    await h.settle();
    expect(h.read()).toBe(`a\n${Array.from({ length: 50 }, (_, i) => `${i}\n`).join('')}`);
    expect(h.writes).toHaveBeenCalledTimes(2);
    expect(h.w.idle).toBe(true);
    h.close();
  });

  it('bytes as written: multi-byte UTF-8, lines past the first buffer (it grows), and bursts during writes, in order', async () => {
    const h = writer(0);
    const lines = [
      'é ü ß\n',
      '😀 emoji and 中文\n',
      `${'x'.repeat(40_000)}\n`, // past the 16 KiB first buffer
      ...Array.from({ length: 200 }, (_, i) => `${i} ✓\n`),
    ];
    let expected = '';
    for (const [i, line] of lines.entries()) {
      h.w.write(line);
      expected += line;
      if (i % 50 === 0) await h.settle(); // some while a write is in flight, some after it
    }
    await h.settle();
    expect(h.read()).toBe(expected);
    // Again after the buffers were swapped and reused: nothing of an earlier write comes back.
    h.w.write('last ✓\n');
    await h.settle();
    expect(h.read()).toBe(`${expected}last ✓\n`);
    h.close();
  });

  it("never writes into memory another Buffer shares (Node's Buffer pool is 64 KiB on Node 24)", async () => {
    // Nearly use up the current pool, so that a pooled 16 KiB buffer of the writer would start a
    // fresh pool at offset 0 (the case that once passed for a buffer of its own).
    while (Buffer.allocUnsafe(64).byteOffset + 64 + 16 * 1024 <= Buffer.poolSize);
    const h = writer(0);
    // Small Buffers come from the shared pool, like a pipe's partial line kept by a line framer.
    const pooled = Array.from({ length: 100 }, (_, i) => Buffer.from(`pooled ${i} `.padEnd(300, '.')));
    const before = pooled.map((b) => b.toString());
    let expected = '';
    for (let round = 0; round < 8; round++) {
      // A line alone (one write), then a burst (its first line alone, the rest in one more): three
      // writes a round, so the burst's buffer alternates between the two the writer swaps.
      h.w.write(`round ${round}\n`);
      expected += `round ${round}\n`;
      await h.settle();
      for (let i = 0; i < 400; i++) {
        // 40 KB a round: past the first buffer's 16 KiB, into whatever memory follows it.
        const line = `round ${round} line ${i} `.padEnd(99, '-') + '\n';
        h.w.write(line);
        expected += line;
      }
      await h.settle();
      expect(pooled.map((b) => b.toString())).toEqual(before);
    }
    expect(h.read()).toBe(expected);
    h.close();
  });

  it('with a gap: an idle line goes at once; the next ones wait for the gap and share one write', async () => {
    const h = writer(2);
    h.w.write('first\n');
    await h.settle();
    expect(h.read()).toBe('first\n');
    for (let i = 0; i < 30; i++) h.w.write(`${i}\n`);
    await h.settle();
    expect(h.read()).toBe('first\n'); // within the gap: not written yet
    expect(h.w.idle).toBe(false);
    h.clock.increment(2);
    await h.settle();
    expect(h.read()).toBe(`first\n${Array.from({ length: 30 }, (_, i) => `${i}\n`).join('')}`);
    expect(h.writes).toHaveBeenCalledTimes(2);
    expect(h.w.idle).toBe(true);
    h.clock.increment(10);
    h.w.write('later\n'); // the gap is over: at once
    await h.settle();
    expect(h.read().endsWith('later\n')).toBe(true);
    h.close();
  });

  it('does not wait for the gap once 64 KiB are waiting', async () => {
    const h = writer(1000);
    h.w.write('x\n');
    await h.settle();
    const big = `${'y'.repeat(70 * 1024)}\n`;
    h.w.write(big);
    await h.settle();
    expect(h.read()).toBe(`x\n${big}`);
    h.close();
  });

  it('flushSync writes what waits for the gap, once', async () => {
    const h = writer(1000);
    h.w.write('a\n');
    await h.settle();
    h.w.write('b\n');
    h.w.write('c\n');
    h.w.flushSync();
    expect(h.read()).toBe('a\nb\nc\n');
    h.clock.increment(1000); // the cancelled wait writes nothing twice
    await h.settle();
    expect(h.read()).toBe('a\nb\nc\n');
    h.close();
  });
});
