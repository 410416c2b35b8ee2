/** Tapbacks in (issue 17, item 3): the pure decision and the envelope's reaction block. */
import { describe, expect, it } from 'vitest';
import type { PolicyDecision } from '../../src/policy/decide.js';
import { decideReaction, reactionEventOf, senderVerdict } from '../../src/routing/reactions.js';
import { imsgMessage } from '../helpers/imsg-message.js';

const d = (x: Partial<PolicyDecision> & { action: PolicyDecision['action'] }): PolicyDecision =>
  ({ kind: 'dm', wasMentioned: false, trace: [], ...x }) as PolicyDecision;
const ok = { admitted: true } as const;

describe('senderVerdict', () => {
  it('admits what the policy dispatches, and unmentioned group members (no mention gating)', () => {
    expect(senderVerdict(d({ action: 'dispatch' }))).toEqual(ok);
    expect(senderVerdict(d({ action: 'drop', reason: 'no-mention', kind: 'group' } as never))).toEqual(ok);
  });
  it('a stranger is not admitted and never asked to pair', () => {
    expect(senderVerdict(d({ action: 'pair', reason: 'pairing-requested' } as never))).toEqual({ admitted: false, reason: 'reaction-stranger' });
    for (const reason of ['pairing-pending', 'pairing-cap', 'pairing-denied']) {
      expect(senderVerdict(d({ action: 'drop', reason } as never))).toEqual({ admitted: false, reason: 'reaction-stranger' });
    }
  });
  it('any other drop keeps its reason', () => {
    expect(senderVerdict(d({ action: 'drop', reason: 'backlog' } as never))).toEqual({ admitted: false, reason: 'reaction-backlog' });
  });
});

describe('decideReaction', () => {
  const own = { fromGateway: true, text: 'hi' };
  const theirs = { fromGateway: false, text: 'yo' };
  it.each([
    ['off drops everything', 'off', false, ok, own, { action: 'drop', reason: 'reactions-off' }],
    ['our own tapback is never passed on', 'all', true, ok, own, { action: 'drop', reason: 'reaction-own' }],
    ['a stranger is dropped', 'all', false, { admitted: false, reason: 'reaction-stranger' }, own, { action: 'drop', reason: 'reaction-stranger' }],
    ['own: on the gateway\'s message', 'own', false, ok, own, { action: 'dispatch' }],
    ['own: on someone else\'s message', 'own', false, ok, theirs, { action: 'drop', reason: 'reaction-not-own' }],
    ['own: on an unknown message', 'own', false, ok, undefined, { action: 'drop', reason: 'reaction-not-own' }],
    ['all: on an unknown message', 'all', false, ok, undefined, { action: 'dispatch' }],
    ['all: on someone else\'s message', 'all', false, ok, theirs, { action: 'dispatch' }],
  ] as const)('%s', (_n, mode, fromMe, sender, target, want) => {
    expect(decideReaction({ mode, fromMe, sender, target })).toEqual(want);
  });
});

describe('reactionEventOf', () => {
  const base = imsgMessage({ is_reaction: true, reaction_type: 'like', reaction_emoji: '👍', is_reaction_add: true, reacted_to_guid: 'G1' });
  it('known target: its text and whether the gateway sent it', () => {
    expect(reactionEventOf(base, { fromGateway: true, text: 'ack' })).toEqual({
      type: 'like',
      emoji: '👍',
      added: true,
      targetGuid: 'G1',
      target: { fromGateway: true, text: 'ack' },
    });
  });
  it('a message the gateway never saw: target "unknown"; a removal says added false', () => {
    const removed = imsgMessage({ ...base, is_reaction_add: false });
    expect(reactionEventOf(removed, undefined)).toMatchObject({ added: false, target: 'unknown' });
  });
  it('without a decoded kind it is "unknown", the emoji left out', () => {
    const bare = imsgMessage({ is_reaction: true, reacted_to_guid: 'G2' });
    expect(reactionEventOf(bare, undefined)).toEqual({ type: 'unknown', added: true, targetGuid: 'G2', target: 'unknown' });
  });
});
