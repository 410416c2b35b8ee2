/** What imsg advertises decides the chat signals (issue 17): status.methods, database.features. */
import { describe, expect, it } from 'vitest';
import { LEGACY_SERVER, parseStatusSnapshot } from '../../src/imsg/server-info.js';
import { signalSupport } from '../../src/imsg/signal-support.js';

const snapshot = (methods: string[], reactions?: boolean) =>
  parseStatusSnapshot({
    version: '0.15.10',
    protocol_version: 1,
    database: { path: '/x', ready: true, ...(reactions === undefined ? {} : { features: { reactions, reply_context: true, junk: 'x' } }) },
    methods,
    supported_methods: methods,
  }).info;

describe('signalSupport', () => {
  it('typing and read: listed in status.methods', () => {
    const info = snapshot(['send', 'typing'], true);
    expect(signalSupport(info, 'typing')).toEqual({ ok: true });
    expect(signalSupport(info, 'read')).toMatchObject({ ok: false, why: expect.stringContaining('not in status.methods') });
  });
  it('reactions: database.features.reactions must be true', () => {
    expect(snapshot([], true).database?.features).toEqual({ reactions: true, reply_context: true });
    expect(signalSupport(snapshot([], true), 'reactions')).toEqual({ ok: true });
    expect(signalSupport(snapshot([], false), 'reactions').ok).toBe(false);
    expect(signalSupport(snapshot([]), 'reactions').ok).toBe(false);
  });
  it('a legacy imsg advertises nothing: no typing or read; no imsg at all: nothing', () => {
    for (const cap of ['typing', 'read'] as const) {
      expect(signalSupport(LEGACY_SERVER, cap)).toMatchObject({ ok: false, why: expect.stringContaining('before 0.14') });
    }
    for (const cap of ['typing', 'read', 'reactions'] as const) expect(signalSupport(undefined, cap).ok).toBe(false);
  });
  it('a legacy imsg is asked for tapbacks anyway (include_reactions since 0.5; ignored before)', () => {
    expect(signalSupport(LEGACY_SERVER, 'reactions')).toEqual({ ok: true });
  });
});
