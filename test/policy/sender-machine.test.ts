/** The sender lifecycle machine on the simulated clock: expiry, approve, deny, revoke, the cap. */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { createSenderMachine, type SenderEvent } from '../../src/policy/sender-machine.js';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');
const TTL = 60 * 60 * 1000;

function sender() {
  const clock = new SimulatedClock();
  clock.set(T0);
  const machine = createSenderMachine(clock);
  const actor = createActor(machine, { clock, input: { accountId: 'bot', handle: 'phone:+15551234567', sender: '+15551234567', ttlMs: TTL } });
  actor.start();
  let codes = 0;
  const message = (capReached = false): SenderEvent => ({
    type: 'MESSAGE',
    now: clock.now(),
    sender: '+15551234567',
    chatId: 5,
    capReached,
    newCode: () => `CODE${String(++codes).padStart(4, '2')}`,
  });
  const state = () => actor.getSnapshot().value;
  const outcome = () => actor.getSnapshot().context.outcome;
  return { clock, actor, message, state, outcome, send: (e: SenderEvent) => actor.send(e) };
}

describe('the sender machine', () => {
  it('a stranger who writes gets a code; writing again does not issue another; the code expires after the TTL', () => {
    const s = sender();
    expect(s.state()).toBe('stranger');
    s.send(s.message());
    expect(s.state()).toBe('pending');
    expect(s.actor.getSnapshot().context).toMatchObject({ code: 'CODE2221', since: T0, until: T0 + TTL, messages: 1, outcome: { ok: true, effect: 'code-issued' } });
    s.clock.increment(TTL / 2);
    s.send(s.message());
    expect(s.outcome()).toEqual({ ok: true, effect: 'still-pending' });
    expect(s.actor.getSnapshot().context).toMatchObject({ code: 'CODE2221', until: T0 + TTL, messages: 2 });
    s.clock.increment(TTL / 2 - 1);
    expect(s.state()).toBe('pending');
    s.clock.increment(1);
    expect(s.state()).toBe('expired');
    // Approving the expired code says so; the next message gets a new code.
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'CODE2221' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'expired' });
    s.send(s.message());
    expect(s.state()).toBe('pending');
    expect(s.actor.getSnapshot().context.code).toBe('CODE2222');
  });

  it('approve: only the pending code; twice says already approved; an unknown code says so', () => {
    const s = sender();
    s.send(s.message());
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'WRONG234' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'unknown-code' });
    expect(s.state()).toBe('pending');
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'CODE2221' });
    expect(s.state()).toBe('approved');
    expect(s.outcome()).toEqual({ ok: true, effect: 'approved' });
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'CODE2221' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'already-approved' });
    s.send({ type: 'DENY', now: s.clock.now() });
    expect(s.outcome()).toEqual({ ok: false, problem: 'approved' });
    expect(s.state()).toBe('approved');
    // No timer on an approval: a day later it still holds.
    s.clock.increment(24 * TTL);
    expect(s.state()).toBe('approved');
  });

  it('deny: by the pending code or by handle; the sender stays denied for one TTL, then is a stranger', () => {
    const s = sender();
    s.send(s.message());
    s.send({ type: 'DENY', now: s.clock.now(), code: 'OTHER234' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'unknown-code' });
    s.clock.increment(1000);
    s.send({ type: 'DENY', now: s.clock.now(), code: 'CODE2221' });
    expect(s.state()).toBe('denied');
    expect(s.actor.getSnapshot().context).toMatchObject({ code: null, until: T0 + 1000 + TTL });
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'CODE2221' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'unknown-code' });
    s.send(s.message());
    expect(s.outcome()).toEqual({ ok: true, effect: 'still-denied' });
    s.send({ type: 'DENY', now: s.clock.now() });
    expect(s.outcome()).toEqual({ ok: false, problem: 'already-denied' });
    s.clock.increment(TTL);
    expect(s.state()).toBe('stranger');
    s.send(s.message());
    expect(s.state()).toBe('pending');
  });

  it('deny of an expired code says expired; by handle it is denied', () => {
    const s = sender();
    s.send(s.message());
    s.clock.increment(TTL);
    expect(s.state()).toBe('expired');
    s.send({ type: 'DENY', now: s.clock.now(), code: 'CODE2221' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'expired' });
    s.send({ type: 'DENY', now: s.clock.now() });
    expect(s.state()).toBe('denied');
  });

  it('revoke: only an approved sender; revoked for one TTL, then a stranger again', () => {
    const s = sender();
    s.send({ type: 'REVOKE', now: s.clock.now() });
    expect(s.outcome()).toEqual({ ok: false, problem: 'not-approved' });
    s.send(s.message());
    s.send({ type: 'REVOKE', now: s.clock.now() });
    expect(s.outcome()).toEqual({ ok: false, problem: 'not-approved' });
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'CODE2221' });
    s.clock.increment(5000);
    s.send({ type: 'REVOKE', now: s.clock.now() });
    expect(s.state()).toBe('revoked');
    expect(s.actor.getSnapshot().context.until).toBe(T0 + 5000 + TTL);
    s.send({ type: 'REVOKE', now: s.clock.now() });
    expect(s.outcome()).toEqual({ ok: false, problem: 'not-approved' });
    s.send(s.message());
    expect(s.outcome()).toEqual({ ok: true, effect: 'still-denied' });
    s.clock.increment(TTL);
    expect(s.state()).toBe('stranger');
  });

  it('the cap: a stranger is turned away (no code) while it is reached, and gets a code once a slot frees', () => {
    const s = sender();
    s.send(s.message(true));
    expect(s.state()).toBe('turned-away');
    expect(s.actor.getSnapshot().context).toMatchObject({ code: null, since: T0, messages: 1 });
    s.clock.increment(1000);
    s.send(s.message(true));
    expect(s.actor.getSnapshot().context).toMatchObject({ since: T0, lastSeenAt: T0 + 1000, messages: 2, outcome: { ok: true, effect: 'turned-away' } });
    s.send({ type: 'APPROVE', now: s.clock.now(), code: 'CODE2221' });
    expect(s.outcome()).toEqual({ ok: false, problem: 'unknown-code' });
    s.send(s.message(false));
    expect(s.state()).toBe('pending');
    // A turned-away stranger can be denied by handle.
    const t = sender();
    t.send(t.message(true));
    t.send({ type: 'DENY', now: t.clock.now() });
    expect(t.state()).toBe('denied');
  });

  it('EXPIRE ends a pending code or a denial at once', () => {
    const s = sender();
    s.send(s.message());
    s.send({ type: 'EXPIRE' });
    expect(s.state()).toBe('expired');
    s.send({ type: 'DENY', now: s.clock.now() });
    s.send({ type: 'EXPIRE' });
    expect(s.state()).toBe('stranger');
  });
});
