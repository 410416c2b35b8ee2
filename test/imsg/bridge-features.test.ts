/** What a negotiated imsg can do beyond plain text (issue 17): read from its status snapshot. */
import { describe, expect, it } from 'vitest';
import {
  emojiTapbackVersion,
  tapbackAvailable,
  textFormattingAvailable,
  threadedRepliesAvailable,
} from '../../src/imsg/bridge-features.js';
import { LEGACY_SERVER, parseStatusSnapshot } from '../../src/imsg/server-info.js';

const snapshot = (over: Record<string, unknown>) =>
  parseStatusSnapshot({
    version: '0.15.10',
    protocol_version: 1,
    database: { path: '/x', ready: true },
    methods: ['initialize', 'status', 'send'],
    supported_methods: ['initialize', 'status', 'send', 'tapback'],
    ...over,
  }).info;

describe('bridge features', () => {
  it('without a bridge: no threads, no formatting, no tapback, no emoji', () => {
    for (const info of [snapshot({ bridge: { ready: false, error: 'not started' } }), snapshot({}), LEGACY_SERVER, undefined]) {
      expect(threadedRepliesAvailable(info)).toBe(false);
      expect(textFormattingAvailable(info)).toBe(false);
      expect(tapbackAvailable(info)).toBe(false);
      expect(emojiTapbackVersion(info)).toBe(0);
    }
  });

  it('with a ready bridge: threads and formatting; tapback only when listed in methods; emoji by capabilities', () => {
    const ready = snapshot({ bridge: { ready: true } });
    expect(threadedRepliesAvailable(ready)).toBe(true);
    expect(textFormattingAvailable(ready)).toBe(true);
    expect(tapbackAvailable(ready)).toBe(false);
    const full = snapshot({
      bridge: { ready: true },
      methods: ['initialize', 'status', 'send', 'tapback'],
      capabilities: { engine: {}, features: { 'tapback.emoji': 2 } },
    });
    expect(tapbackAvailable(full)).toBe(true);
    expect(emojiTapbackVersion(full)).toBe(2);
    expect(emojiTapbackVersion(snapshot({ capabilities: { features: { 'tapback.emoji': 1 } } }))).toBe(1);
  });
});
