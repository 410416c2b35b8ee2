import { describe, expect, it } from 'vitest';
import { COLLECT_WINDOW_RANGE, QUEUE_MODES } from '../../src/config/index.js';
import { invalid, issueAt, valid } from './helpers.js';

describe('messages.queue', () => {
  it('defaults to collect with a 300 ms window', () => {
    expect(valid({}).messages.queue).toEqual({ mode: 'collect', collectWindowMs: 300 });
  });

  it.each(QUEUE_MODES)('accepts the mode %s', (mode) => {
    expect(valid({ messages: { queue: { mode } } }).messages.queue).toEqual({ mode, collectWindowMs: 300 });
  });

  it('takes collectWindowMs at both ends of its range', () => {
    expect(valid({ messages: { queue: { collectWindowMs: COLLECT_WINDOW_RANGE.min } } }).messages.queue.collectWindowMs).toBe(0);
    expect(valid({ messages: { queue: { collectWindowMs: COLLECT_WINDOW_RANGE.max } } }).messages.queue.collectWindowMs).toBe(10_000);
  });

  it('an unknown mode is a config error that lists the valid modes and suggests the closest', () => {
    expect(issueAt(invalid({ messages: { queue: { mode: 'colect' } } }), 'messages.queue.mode').message).toBe(
      'must be one of "collect", "followup"; got the string "colect" (did you mean "collect"?)',
    );
  });

  it('an OpenClaw mode this gateway does not have still lists the valid ones', () => {
    const message = issueAt(invalid({ messages: { queue: { mode: 'steer' } } }), 'messages.queue.mode').message;
    expect(message).toContain('must be one of "collect", "followup"');
    expect(message).toContain('got the string "steer"');
  });

  it.each([
    [-1, 'must be at least 0; got the number -1'],
    [10_001, 'must be at most 10000; got the number 10001'],
    [12.5, 'must be an integer'],
    ['300ms', 'must be a number; got the string "300ms"'],
  ])('collectWindowMs %j is refused: %s', (collectWindowMs, expected) => {
    expect(issueAt(invalid({ messages: { queue: { collectWindowMs } } }), 'messages.queue.collectWindowMs').message).toContain(expected);
  });

  it('a misspelt key under messages.queue suggests the right one', () => {
    expect(issueAt(invalid({ messages: { queue: { collectWindow: 100 } } }), 'messages.queue.collectWindow').message).toContain(
      'did you mean "collectWindowMs"?',
    );
  });

  it.each([
    [{ imessage: { queue: { mode: 'followup' } } }, 'imessage.queue'],
    [{ imessage: { accounts: { bot: { queue: { mode: 'followup' } } } } }, 'imessage.accounts.bot.queue'],
    [{ queue: { mode: 'followup' } }, 'queue'],
  ])('queue written in the wrong place (%j) points to messages.queue', (raw, path) => {
    expect(issueAt(invalid(raw), path).message).toBe(
      'unknown key "queue": it belongs under "messages" (messages.queue: mode and collectWindowMs) and applies to every account',
    );
  });
});
