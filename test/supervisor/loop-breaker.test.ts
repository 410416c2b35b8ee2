import { describe, expect, it } from 'vitest';
import { LoopBreaker } from '../../src/supervisor/loop-breaker.js';

describe('echo-loop breaker', () => {
  it('lets every message pay for one reply, so a burst answered one by one never pauses', () => {
    const b = new LoopBreaker(2, () => 0);
    for (let i = 0; i < 30; i++) b.noteInbound('c', `m${i}`);
    for (let i = 0; i < 30; i++) expect(b.noteSent('c', `r${i}`)).toBe(false);
    expect(b.isPaused('c')).toBe(false);
  });

  it('pauses after `cap` unpaid replies and resumes when someone writes', () => {
    const b = new LoopBreaker(2, () => 0);
    b.noteInbound('c', 'hi');
    expect(b.noteSent('c', 'a')).toBe(false); // paid
    expect(b.noteSent('c', 'b')).toBe(false);
    expect(b.noteSent('c', 'c')).toBe(true); // second unpaid: paused now
    expect(b.isPaused('c')).toBe(true);
    expect(b.paused()).toEqual(['c']);
    expect(b.noteInbound('c', 'hello again')).toBe(true);
    expect(b.isPaused('c')).toBe(false);
  });

  it('does not count a reflection of our own text as someone writing', () => {
    let now = 0;
    const b = new LoopBreaker(2, () => now);
    b.noteInbound('c', 'start');
    b.noteSent('c', 'echo: start');
    // The bot's own message comes back as inbound and is answered, again and again.
    expect(b.noteInbound('c', 'echo: start')).toBe(false);
    b.noteSent('c', 'echo: echo: start');
    expect(b.noteInbound('c', 'echo: echo: start')).toBe(false);
    expect(b.noteSent('c', 'echo: echo: echo: start')).toBe(true);
    // Much later the same text is a person again.
    now = 11 * 60_000;
    expect(b.noteInbound('c', 'echo: start')).toBe(true);
  });

  it('keeps chats apart', () => {
    const b = new LoopBreaker(1, () => 0);
    b.noteSent('a', 'x');
    expect(b.isPaused('a')).toBe(true);
    expect(b.isPaused('b')).toBe(false);
  });
});
