import { describe, expect, it } from 'vitest';
import { decisionLines, outcomeText, recentDecisionLines } from '../../src/cli/decision-text.js';
import type { FlowEntry } from '../../src/store/index.js';
import type { DecisionView } from '../../src/supervisor/decision-view.js';

const entry = (over: Partial<FlowEntry>): FlowEntry => ({
  accountId: 'bot',
  guid: 'G1',
  rowid: 7,
  chatId: 3,
  sender: '+15551230001',
  createdAt: 0,
  recordedAt: Date.UTC(2026, 10, 30, 10, 0, 0),
  decision: 'dispatched',
  reason: null,
  reply: null,
  ...over,
});

describe('decision text (status ACCOUNT, why, status --message)', () => {
  it('names each outcome', () => {
    expect(outcomeText('dropped', 'mention-required')).toBe('dropped (mention-required)');
    expect(outcomeText('dropped', null)).toBe('dropped (unspecified)');
    expect(outcomeText('accepted', null)).toBe('accepted, waiting for its agent');
    expect(outcomeText('dispatched', null)).toBe('dispatched');
  });

  it('lists recent decisions with their traces and reply outcomes, two lines each', () => {
    const lines = recentDecisionLines([
      entry({ guid: 'G2', decision: 'dropped', reason: 'mention-required', trace: ['group', 'groupPolicy:open', 'mention:missing', 'drop'] }),
      entry({ trace: ['dm', 'policy:open', 'dispatch'], reply: { count: 2, state: 'failed', error: 'automation denied' } }),
      entry({ guid: '', rowid: 9, trace: 'not-an-array' }),
    ]);
    expect(lines).toEqual([
      '    recent decisions, newest first (`imessage-gateway why GUID` for one message):',
      '      2026-11-30T10:00:00.000Z dropped (mention-required), +15551230001 in chat 3, guid G2',
      '        group → groupPolicy:open → mention:missing → drop',
      '      2026-11-30T10:00:00.000Z dispatched, +15551230001 in chat 3, 2 replies failed (automation denied), guid G1',
      '        dm → policy:open → dispatch',
      '      2026-11-30T10:00:00.000Z dispatched, +15551230001 in chat 3, no reply, guid (row 9)',
      '        (no trace: journalled before the gateway kept one)',
    ]);
  });

  it('says when nothing is journalled', () => {
    expect(recentDecisionLines([])).toEqual(['    recent decisions: none journalled yet']);
  });

  const view = (over: Partial<DecisionView>): DecisionView => ({
    account: 'bot',
    guid: 'G1',
    rowid: 7,
    chatId: 3,
    sender: '+15551230001',
    createdAt: null,
    state: 'dispatched',
    reason: null,
    trace: ['dm', 'policy:open', 'dispatch'],
    recordedAt: '2026-11-30T10:00:00.000Z',
    updatedAt: '2026-11-30T10:00:01.000Z',
    reply: null,
    turn: null,
    ...over,
  });

  it('prints one message decision as why does', () => {
    expect(
      decisionLines(
        view({
          state: 'dropped',
          reason: 'pairing-requested',
          trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'],
          updatedAt: '2026-11-30T10:00:00.000Z',
        }),
      ),
    ).toEqual([
      'bot G1: dropped (pairing-requested)',
      '  from +15551230001 in chat 3, row 7, journalled 2026-11-30T10:00:00.000Z',
      '  dm → policy:pairing → sender:stranger → pair',
    ]);
  });

  it('why: an earlier message of a collected turn is answered in the turn of its latest message, with that turn\'s replies', () => {
    const turn = { latestGuid: 'G5', earlier: 4 };
    expect(decisionLines(view({ turn, reply: { count: 1, state: 'sent', error: null } }))[0]).toBe(
      'bot G1: dispatched, answered in the collected turn of G5: reply sent',
    );
    expect(decisionLines(view({ turn, reply: { count: 2, state: 'failed', error: 'automation denied' } }))[0]).toBe(
      'bot G1: dispatched, answered in the collected turn of G5: 2 replies failed (automation denied)',
    );
    expect(decisionLines(view({ turn }))[0]).toBe('bot G1: dispatched, in the collected turn of G5: no reply');
    expect(decisionLines(view({ turn, state: 'dropped', reason: 'agent-failed' }))[0]).toBe(
      'bot G1: dropped (agent-failed), failed in the collected turn of G5',
    );
    // The latest message: how many it collected, and the replies.
    expect(decisionLines(view({ guid: 'G5', turn, reply: { count: 1, state: 'queued', error: null } }))[0]).toBe(
      'bot G5: dispatched, collected 4 earlier messages, reply queued',
    );
    expect(decisionLines(view({ guid: 'G5', turn: { latestGuid: 'G5', earlier: 1 }, state: 'dropped', reason: 'agent-failed' }))[0]).toBe(
      'bot G5: dropped (agent-failed), collected 1 earlier message',
    );
    // A turn of one message: its replies, or none.
    expect(decisionLines(view({ reply: { count: 1, state: 'sent', error: null } }))[0]).toBe('bot G1: dispatched, reply sent');
    expect(decisionLines(view({}))[0]).toBe('bot G1: dispatched, no reply');
    expect(decisionLines(view({ state: 'accepted' }))[0]).toBe('bot G1: accepted, waiting for its agent');
  });

  it('status ACCOUNT: the recent decisions name the collected turn of each message', () => {
    const turn = { latestGuid: 'G5', earlier: 1 };
    const lines = recentDecisionLines([
      entry({ guid: 'G5', turn, reply: { count: 1, state: 'sent', error: null } }),
      entry({ guid: 'G4', turn, reply: { count: 1, state: 'sent', error: null } }),
    ]);
    expect(lines.filter((_, i) => i % 2 === 1)).toEqual([
      '      2026-11-30T10:00:00.000Z dispatched, +15551230001 in chat 3, collected 1 earlier message, reply sent, guid G5',
      '      2026-11-30T10:00:00.000Z dispatched, +15551230001 in chat 3, answered in the collected turn of G5: reply sent, guid G4',
    ]);
  });
});
