/**
 * AsyncFdWriter on a real file: one write in flight, the lines of a burst joined, at most one
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
