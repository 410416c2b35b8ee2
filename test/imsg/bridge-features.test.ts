/** What a negotiated imsg can do beyond plain text (issue 17): read from its status snapshot. */
import { describe, expect, it } from 'vitest';
import {
  emojiTapbackVersion,
  NO_BRIDGE_REASON,
  noBridgeReason,
  tapbackAvailable,
  tapbackRefusal,
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

  it('says why the bridge is missing and what fixes it: upgrade a legacy imsg, launch the bridge of a v1 one', () => {
    expect(noBridgeReason(LEGACY_SERVER)).toMatch(/before 0\.14 .*no IMCore bridge: upgrade imsg/);
    expect(noBridgeReason({ ...LEGACY_SERVER, fallback: 'status was rejected' })).toBe('imsg runs in legacy mode (status was rejected), which has no IMCore bridge');
    expect(noBridgeReason(snapshot({ bridge: { ready: false } }))).toBe(NO_BRIDGE_REASON);
    expect(noBridgeReason(undefined)).toMatch(/not connected/);
    // A tapback: refused with the same reasons, or because this build has no tapback at all.
    expect(tapbackRefusal(LEGACY_SERVER)).toMatch(/^imsg does not advertise the tapback method: imsg before 0\.14 .*upgrade imsg/);
    expect(tapbackRefusal(snapshot({ bridge: { ready: false } }))).toBe(`imsg does not advertise the tapback method: ${NO_BRIDGE_REASON}`);
    expect(tapbackRefusal(snapshot({ supported_methods: ['initialize', 'status', 'send'] }))).toBe(
      'imsg does not advertise the tapback method: this imsg 0.15.10 has none (not in status.supported_methods); upgrade imsg',
    );
    const full = snapshot({ bridge: { ready: true }, methods: ['initialize', 'status', 'send', 'tapback'] });
    expect(tapbackRefusal(full)).toBeUndefined();
  });
});
