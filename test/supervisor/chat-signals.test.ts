/**
 * ChatSignals (issue 17, items 1–2) on a simulated clock with a stand-in imsg client: read on
 * acceptance, typing on while the agent works (renewed, shared per chat), off when done; nothing
 * ever waits for imsg; a capability imsg lacks is skipped with one warning.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { RpcError } from '../../src/imsg/errors.js';
import type { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { parseStatusSnapshot } from '../../src/imsg/server-info.js';
import type { Envelope } from '../../src/routing/envelope.js';
import { chatKeyOf } from '../../src/routing/reply-target.js';
import { ChatSignals, GRACE_MS, RENEW_MS } from '../../src/supervisor/chat-signals.js';

interface Call {
  method: string;
  params: Record<string, unknown>;
  settle: (err?: unknown) => void;
}

function standIn(methods: string[]) {
  const calls: Call[] = [];
  const client = {
    isRunning: true,
    server: parseStatusSnapshot({ version: '0.15.10', protocol_version: 1, database: { ready: true }, methods }).info,
    request(method: string, params: Record<string, unknown>) {
      return new Promise((resolve, reject) => calls.push({ method, params, settle: (err) => (err ? reject(err) : resolve({ ok: true })) }));
    },
  };
  return { client: client as unknown as ImsgRpcClient, calls };
}

function captured() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

function envelope(id: string, chatGuid: string, kind: 'dm' | 'group' = 'dm', chatId = 1): Envelope {
  return {
    id,
    accountId: 'a',
    agentId: 'main',
    sessionKey: 's',
    chat: { kind, chatId, guid: chatGuid, identifier: '', name: '', participants: [] },
    sender: { handle: '+15550001111' },
    text: 't',
    attachments: [],
    history: [],
    wasMentioned: false,
    timestamps: { createdAt: '', receivedAt: '' },
    replyTarget: kind === 'group' ? { to: `chat_id:${chatId}`, chatId } : { to: chatGuid, handle: chatGuid },
    imsg: { rowid: 1, guid: id },
  };
}

const flush = () => new Promise((r) => setImmediate(r));
const settings = { typingIndicator: true, sendReadReceipts: true, groups: {} };

function make(methods = ['typing', 'read'], s = settings) {
  const clock = new SimulatedClock();
  const { client, calls } = standIn(methods);
  const log = captured();
  const signals = new ChatSignals({ settings: s, client: () => client, clock, logger: log.logger });
  return { clock, calls, log, signals };
}

describe('ChatSignals', () => {
  it('read on acceptance; typing on while working, renewed, off when done; one call in flight at a time', async () => {
    const { clock, calls, signals } = make();
    const e = envelope('e1', 'iMessage;-;A');
    signals.accepted(e);
    signals.working(e);
    expect(calls).toEqual([]); // the grace: an instant answer needs neither
    clock.increment(GRACE_MS);
    // One signal call in flight per account: typing waits for the read's answer.
    expect(calls.map((c) => [c.method, c.params])).toEqual([['read', { chat_guid: 'iMessage;-;A' }]]);
    calls[0]!.settle();
    await flush();
    expect(calls.map((c) => [c.method, c.params])).toEqual([
      ['read', { chat_guid: 'iMessage;-;A' }],
      ['typing', { chat_guid: 'iMessage;-;A', typing: true }],
    ]);
    // Still unanswered: a renewal is not sent on top of it.
    clock.increment(RENEW_MS);
    expect(calls).toHaveLength(2);
    calls[1]!.settle();
    await flush();
    clock.increment(RENEW_MS);
    expect(calls.map((c) => c.params.typing)).toEqual([undefined, true, true]);
    signals.done(e.id);
    expect(calls).toHaveLength(3); // the stop waits for the renewal in flight
    calls[2]!.settle();
    await flush();
    expect(calls.at(-1)).toMatchObject({ method: 'typing', params: { chat_guid: 'iMessage;-;A', typing: false } });
    clock.increment(RENEW_MS * 3);
    expect(calls).toHaveLength(4);
  });

  it('several turns in one chat share one indicator: off only when the last is done', async () => {
    const { clock, calls, signals } = make();
    const a = envelope('e1', 'iMessage;-;A');
    const b = envelope('e2', 'iMessage;-;A');
    signals.working(a);
    signals.working(b);
    clock.increment(GRACE_MS);
    signals.working(a); // a re-dispatch of a running turn counts once
    signals.done(a.id);
    expect(calls.map((c) => c.params.typing)).toEqual([true]);
    signals.done(b.id);
    expect(calls.map((c) => c.params.typing)).toEqual([true]); // the stop waits behind the start
    calls[0]!.settle();
    await flush();
    expect(calls.map((c) => c.params.typing)).toEqual([true, false]);
    signals.done(b.id);
    expect(calls).toHaveLength(2);
  });

  it('a turn done within the grace sends nothing: no typing, and the read folds', () => {
    const { clock, calls, signals } = make();
    const e = envelope('e1', 'iMessage;-;A');
    signals.accepted(e);
    signals.working(e);
    signals.done(e.id);
    clock.increment(GRACE_MS * 10);
    expect(calls.map((c) => c.method)).toEqual(['read']);
  });

  it('settings: no read receipts, no typing in a group that turns it off', () => {
    const { clock, calls, signals } = make(['typing', 'read'], { typingIndicator: true, sendReadReceipts: false, groups: { '5': { typingIndicator: false } } as never });
    const g = envelope('g1', 'iMessage;+;chat5', 'group', 5);
    signals.accepted(g);
    signals.working(g);
    clock.increment(GRACE_MS);
    signals.done(g.id);
    expect(calls).toEqual([]);
  });

  it('a capability imsg does not advertise: skipped, one warning per capability', () => {
    const { clock, calls, signals, log } = make(['send']);
    for (const id of ['e1', 'e2']) {
      const e = envelope(id, 'iMessage;-;A');
      signals.accepted(e);
      signals.working(e);
      clock.increment(GRACE_MS);
      signals.done(e.id);
    }
    expect(calls).toEqual([]);
    const warns = log.lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warns).toEqual([
      'read receipts off for this account: this imsg does not advertise `read` (not in status.methods)',
      'typing indicator off for this account: this imsg does not advertise `typing` (not in status.methods)',
    ]);
  });

  it('a failing or slow imsg: errors at debug, a -32601 turns the capability off with one warning', async () => {
    const { clock, calls, signals, log } = make();
    const e = envelope('e1', 'iMessage;-;A');
    signals.accepted(e);
    signals.working(e);
    clock.increment(GRACE_MS);
    clock.increment(10_000); // past the deadline: noted, not waited for
    calls[0]!.settle(new RpcError('read', -32603, 'Internal error', 'boom'));
    await flush();
    calls[1]!.settle(new RpcError('typing', -32601, 'Method not found', 'typing'));
    await flush();
    signals.done(e.id);
    expect(calls).toHaveLength(2); // typing is off now: no stop request either
    const msgs = log.lines.map((l) => `${l.level}:${String(l.msg)}`);
    expect(msgs).toContain('20:imsg has not answered `read` within the deadline; not waited for');
    expect(msgs).toContain('20:`read` failed (best effort; nothing depends on it)');
    expect(msgs.filter((m) => m.startsWith('40:typing indicator off'))).toHaveLength(1);
  });

  it('read receipts of one chat fold: a backlog is not a mutation per message; one call in flight per account', async () => {
    const { clock, calls, signals } = make();
    for (let i = 0; i < 50; i++) signals.accepted(envelope(`e${i}`, 'iMessage;-;A'));
    signals.accepted(envelope('b', 'iMessage;-;B'));
    clock.increment(GRACE_MS);
    expect(calls.map((c) => c.params.chat_guid)).toEqual(['iMessage;-;A']); // B's waits behind it
    signals.accepted(envelope('late', 'iMessage;-;A')); // while A's read is in flight
    clock.increment(GRACE_MS);
    signals.accepted(envelope('later', 'iMessage;-;A')); // folds into the one waiting
    clock.increment(GRACE_MS);
    expect(calls).toHaveLength(1);
    calls[0]!.settle();
    await flush();
    expect(calls.map((c) => c.params.chat_guid)).toEqual(['iMessage;-;A', 'iMessage;-;B']);
    calls[1]!.settle();
    await flush();
    expect(calls.map((c) => c.params.chat_guid)).toEqual(['iMessage;-;A', 'iMessage;-;B', 'iMessage;-;A']);
    calls[2]!.settle();
    await flush();
    expect(calls).toHaveLength(3);
  });

  it('close: renewals stop', () => {
    const { clock, calls, signals } = make();
    signals.working(envelope('e1', 'iMessage;-;A'));
    clock.increment(GRACE_MS);
    calls[0]!.settle();
    signals.close();
    clock.increment(RENEW_MS * 2);
    expect(calls).toHaveLength(1);
  });
});

const KEY_A = chatKeyOf(envelope('x', 'iMessage;-;A').replyTarget);

describe('ChatSignals with the outbox (afterSends)', () => {
  function withOutbox() {
    const clock = new SimulatedClock();
    const { client, calls } = standIn(['typing', 'read']);
    const log = captured();
    const waiting = new Map<string, Array<() => void>>();
    const signals = new ChatSignals({
      settings,
      client: () => client,
      clock,
      logger: log.logger,
      afterSends: (chatKey, then) => waiting.set(chatKey, [...(waiting.get(chatKey) ?? []), then]),
    });
    /** The outbox hands the chat's replies to imsg (the chat key of the DM with A). */
    const handOver = (_chat: 'A') => {
      const list = waiting.get(KEY_A) ?? [];
      waiting.delete(KEY_A);
      for (const then of list) then();
    };
    return { clock, calls, signals, handOver, waiting };
  }

  it('typing:false only after the replies are handed to imsg; no renewal while they wait', async () => {
    const { clock, calls, signals, handOver, waiting } = withOutbox();
    const e = envelope('e1', 'iMessage;-;A');
    signals.working(e);
    clock.increment(GRACE_MS);
    expect(calls.map((c) => c.params.typing)).toEqual([true]);
    calls[0]!.settle();
    await flush();
    signals.done(e.id);
    // The reply waits in the outbox: no stop in front of it in imsg's lane, no renewal either.
    expect(calls).toHaveLength(1);
    expect([...waiting.keys()]).toEqual([KEY_A]);
    clock.increment(RENEW_MS * 3);
    expect(calls).toHaveLength(1);
    handOver('A');
    expect(calls.map((c) => c.params.typing)).toEqual([true, false]);
    clock.increment(RENEW_MS * 3);
    expect(calls).toHaveLength(2);
  });

  it('another turn still works when the first reply is handed over: renewals held meanwhile, shown again after the grace, stopped after its own reply', async () => {
    const { clock, calls, signals, handOver } = withOutbox();
    const a = envelope('e1', 'iMessage;-;A');
    const b = envelope('e2', 'iMessage;-;A');
    signals.working(a);
    signals.working(b);
    clock.increment(GRACE_MS);
    calls[0]!.settle();
    await flush();
    signals.done(a.id); // a's reply waits in the outbox
    clock.increment(RENEW_MS); // b still works, but a renewal now would go in front of a's reply
    expect(calls.map((c) => c.params.typing)).toEqual([true]);
    handOver('A');
    expect(calls).toHaveLength(1); // no stop: b works
    clock.increment(GRACE_MS);
    expect(calls.map((c) => c.params.typing)).toEqual([true, true]);
    calls[1]!.settle();
    await flush();
    signals.done(b.id);
    expect(calls).toHaveLength(2);
    handOver('A');
    expect(calls.map((c) => c.params.typing)).toEqual([true, true, false]);
  });

  it('a turn answered within the grace: no typing request at all, before or after its send', () => {
    const { clock, calls, signals, handOver } = withOutbox();
    const e = envelope('e1', 'iMessage;-;A');
    signals.working(e);
    signals.done(e.id);
    clock.increment(GRACE_MS * 10);
    handOver('A');
    clock.increment(RENEW_MS * 2);
    expect(calls).toEqual([]);
  });

  it('a typing request outstanding when the turn ends is not waited for by the reply; the stop follows the hand-over and its answer', async () => {
    const { clock, calls, signals, handOver } = withOutbox();
    const e = envelope('e1', 'iMessage;-;A');
    signals.working(e);
    clock.increment(GRACE_MS);
    signals.done(e.id); // typing:true still unanswered (slow imsg): the reply is not held for it
    handOver('A');
    expect(calls.map((c) => c.params.typing)).toEqual([true]);
    calls[0]!.settle();
    await flush();
    expect(calls.map((c) => c.params.typing)).toEqual([true, false]);
  });

  it('close before the hand-over: no stop request', () => {
    const { clock, calls, signals, handOver } = withOutbox();
    const e = envelope('e1', 'iMessage;-;A');
    signals.working(e);
    clock.increment(GRACE_MS);
    signals.done(e.id);
    signals.close();
    handOver('A');
    expect(calls).toHaveLength(1);
  });
});

describe('ChatSignals with the account lane (one imsg lane for all chats)', () => {
  /** A stand-in outbox: `busy` while a reply is queued or sending; `idle()` is its pass that finds nothing ready. */
  function withLane() {
    const clock = new SimulatedClock();
    const { client, calls } = standIn(['typing', 'read']);
    const log = captured();
    const lane = { isBusy: false, waiters: [] as Array<() => void> };
    const signals = new ChatSignals({
      settings,
      client: () => client,
      clock,
      logger: log.logger,
      lane: { busy: () => lane.isBusy, afterIdle: (then) => lane.waiters.push(then) },
    });
    const idle = () => {
      lane.isBusy = false;
      const list = lane.waiters.splice(0);
      for (const then of list) then();
    };
    const chats = (): string[] => calls.map((c) => `${c.method}:${String(c.params.chat_guid).slice(-1)}${c.params.typing === undefined ? '' : c.params.typing ? '+' : '-'}`);
    return { clock, calls, signals, lane, idle, chats };
  }

  it("chat A's typing and chat B's read are held while any reply of the account is queued or sending; released by the outbox's idle pass", () => {
    const { clock, signals, lane, idle, chats } = withLane();
    signals.working(envelope('a', 'iMessage;-;A'));
    signals.accepted(envelope('b', 'iMessage;-;B'));
    lane.isBusy = true; // a reply of chat C is queued
    clock.increment(GRACE_MS);
    expect(chats()).toEqual([]);
    expect(lane.waiters).toHaveLength(1); // one release asked for, not one per signal
    idle();
    expect(chats()).toEqual(['typing:A+']); // then one at a time
  });

  it('a reply queued while a signal is in flight: that one is not waited for, nothing more goes until the outbox is idle', async () => {
    const { clock, calls, signals, lane, idle, chats } = withLane();
    signals.working(envelope('a', 'iMessage;-;A'));
    signals.working(envelope('b', 'iMessage;-;B'));
    clock.increment(GRACE_MS);
    expect(chats()).toEqual(['typing:A+']);
    lane.isBusy = true; // chat B's reply is queued: at most A's start (in flight) is ahead of it
    calls[0]!.settle();
    await flush();
    expect(chats()).toEqual(['typing:A+']);
    idle();
    expect(chats()).toEqual(['typing:A+', 'typing:B+']);
  });

  it('a typing start no longer wanted before it went is dropped, never sent (and needs no stop)', async () => {
    const { clock, calls, signals, chats } = withLane();
    const a = envelope('a', 'iMessage;-;A');
    const b = envelope('b', 'iMessage;-;B');
    signals.working(a);
    signals.working(b);
    clock.increment(GRACE_MS);
    signals.done(b.id); // B's start still waits behind A's: dropped
    expect(signals.pending.waiting).toEqual([]);
    calls[0]!.settle();
    await flush();
    signals.done(a.id);
    await flush();
    expect(chats()).toEqual(['typing:A+', 'typing:A-']);
  });

  it("a new turn while the chat's stop is still in flight: its start waits behind the stop, not a whole renewal", async () => {
    const { clock, calls, signals, chats } = withLane();
    const first = envelope('e1', 'iMessage;-;A');
    signals.working(first);
    clock.increment(GRACE_MS);
    calls[0]!.settle();
    await flush();
    signals.done(first.id);
    expect(chats()).toEqual(['typing:A+', 'typing:A-']); // slow: still in flight
    signals.working(envelope('e2', 'iMessage;-;A'));
    clock.increment(GRACE_MS);
    expect(signals.pending.waiting.map((s) => s.on)).toEqual([true]);
    calls[1]!.settle();
    await flush();
    expect(chats()).toEqual(['typing:A+', 'typing:A-', 'typing:A+']);
  });

  it('renewals of many chats stay one at a time, in the order they were wanted', async () => {
    const { clock, calls, signals, chats } = withLane();
    for (const c of ['A', 'B', 'C']) signals.working(envelope(c, `iMessage;-;${c}`));
    clock.increment(GRACE_MS);
    for (let i = 0; i < 3; i++) {
      expect(calls).toHaveLength(i + 1);
      calls[i]!.settle();
      await flush();
    }
    expect(chats()).toEqual(['typing:A+', 'typing:B+', 'typing:C+']);
  });
});
