/**
 * The 0.15 profile's `typing` and `read` (recorded in the side log), tapback rows with
 * include_reactions, and `--without` taking each capability away (issue 17, item 7).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWithout, readSignals } from '../../src/sim/signals.js';
import { injectCli, tempDb, type Json, simStarter } from './sim-helper.js';

const start = simStarter(['--profile', '0.15']);
const PEER = '+15550002222';
const resultOf = (r: Json): Json => r['result'] as Json;
const errorOf = (r: Json): Json => r['error'] as Json;

describe('imsg-sim --profile 0.15: typing and read', () => {
  it('records typing start/stop and read in <db>.signals.jsonl (mode 0600)', async () => {
    const { db } = tempDb();
    const sim = start(db);
    const status = resultOf(await sim.request('status'));
    expect(status['methods']).toEqual(expect.arrayContaining(['typing', 'read']));
    expect(resultOf(await sim.request('typing', { chat_guid: `iMessage;-;${PEER}` }))).toEqual({ ok: true });
    expect(resultOf(await sim.request('typing', { to: PEER, typing: false }))).toEqual({ ok: true });
    expect(resultOf(await sim.request('read', { chat_identifier: PEER }))).toEqual({ ok: true });
    const log = `${db}.signals.jsonl`;
    expect(fs.statSync(log).mode & 0o777).toBe(0o600);
    const recs = readSignals(log);
    expect(recs.map(({ at: _at, ...r }) => r)).toEqual([
      { method: 'typing', typing: true, chat_guid: `iMessage;-;${PEER}` },
      { method: 'typing', typing: false, to: PEER },
      { method: 'read', chat_identifier: PEER },
    ]);
  });

  it('validates like imsg: one target, strict types; --signal-log moves the log', async () => {
    const { dir, db } = tempDb();
    const log = path.join(dir, 'elsewhere.jsonl');
    const sim = start(db, ['--signal-log', log]);
    expect(errorOf(await sim.request('typing', {}))).toMatchObject({
      code: -32602,
      data: 'exactly one of chat_id, chat_identifier, or chat_guid is required',
    });
    expect(errorOf(await sim.request('read', { to: PEER, chat_id: 1 }))).toMatchObject({ code: -32602 });
    expect(errorOf(await sim.request('typing', { to: PEER, typing: 1 }))).toMatchObject({ data: 'typing must be a boolean' });
    expect(errorOf(await sim.request('read', { to: PEER, typing: true }))).toMatchObject({ data: 'unknown read param: typing' });
    await sim.request('read', { to: PEER });
    expect(readSignals(log)).toHaveLength(1);
    expect(fs.existsSync(`${db}.signals.jsonl`)).toBe(false);
  });

  it('--without typing,read: absent from methods and supported_methods, -32601, nothing recorded', async () => {
    const { db } = tempDb();
    const sim = start(db, ['--without', 'typing,read']);
    const status = resultOf(await sim.request('status'));
    expect(status['methods']).not.toContain('typing');
    expect(status['supported_methods']).not.toContain('read');
    expect(errorOf(await sim.request('typing', { to: PEER }))).toMatchObject({ code: -32601 });
    expect(errorOf(await sim.request('read', { to: PEER }))).toMatchObject({ code: -32601 });
    expect(readSignals(`${db}.signals.jsonl`)).toEqual([]);
    expect(() => parseWithout('typing,bogus')).toThrow(/--without: bogus \(typing\|read\|reactions\)/);
  });
});

describe('imsg-sim --profile 0.15: tapbacks', () => {
  it('a tapback row (2001, p:0/<guid>) is emitted with include_reactions, and not without it', async () => {
    const { db } = tempDb();
    const target = injectCli(db, ['--from', PEER, '--text', 'lunch at noon?']);
    const tap = injectCli(db, ['--from', PEER, '--reaction', 'like', '--target-guid', target['guid'] as string]);
    const custom = injectCli(db, ['--from', PEER, '--reaction', '🎉', '--target-guid', 'NEVER-SEEN-GUID']);
    const sim = start(db);
    const withR = resultOf(await sim.request('messages.after', { since_rowid: 0, include_reactions: true }))['messages'] as Json[];
    expect(withR.map((m) => m['id'])).toEqual([target['id'], tap['id'], custom['id']]);
    expect(withR[1]).toMatchObject({ is_reaction: true, reaction_type: 'like', reaction_emoji: '👍', is_reaction_add: true, reacted_to_guid: target['guid'], sender: PEER });
    expect(withR[2]).toMatchObject({ is_reaction: true, reaction_type: 'custom', reaction_emoji: '🎉', reacted_to_guid: 'NEVER-SEEN-GUID' });
    const without = resultOf(await sim.request('messages.after', { since_rowid: 0 }))['messages'] as Json[];
    expect(without.map((m) => m['id'])).toEqual([target['id']]);
    const status = resultOf(await sim.request('status'));
    expect(status['database']['features']['reactions']).toBe(true);
  });

  it('--without reactions: features.reactions is false and include_reactions emits no tapback row (after and watch)', async () => {
    const { db } = tempDb();
    const target = injectCli(db, ['--from', PEER, '--text', 'hi']);
    injectCli(db, ['--from', PEER, '--reaction', 'love', '--target-guid', target['guid'] as string]);
    const sim = start(db, ['--without', 'reactions', '--poll-ms', '50']);
    expect(resultOf(await sim.request('status'))['database']['features']['reactions']).toBe(false);
    const after = resultOf(await sim.request('messages.after', { since_rowid: 0, include_reactions: true }))['messages'] as Json[];
    expect(after.map((m) => m['id'])).toEqual([target['id']]);
    await sim.request('watch.subscribe', { since_rowid: -1, include_reactions: true, debounce_ms: 0 });
    const later = injectCli(db, ['--from', PEER, '--text', 'after']);
    injectCli(db, ['--from', PEER, '--reaction', 'like', '--target-guid', later['guid'] as string]);
    const marker = injectCli(db, ['--from', PEER, '--text', 'marker']);
    await sim.waitFor((j) => j['method'] === 'message' && j['params']?.['message']?.['id'] === marker['id']);
    const seen = sim.notifications().map((n) => n['params']['message']);
    expect(seen.some((m: Json) => m['is_reaction'] === true)).toBe(false);
  });
});
