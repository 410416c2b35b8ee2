import { describe, expect, it } from 'vitest';
import { decisionLines, outcomeText, recentDecisionLines } from '../../src/cli/decision-text.js';
import type { FlowEntry } from '../../src/store/index.js';

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

  it('prints one message decision as why does', () => {
    expect(
      decisionLines({
        account: 'bot',
        guid: 'G1',
        rowid: 7,
        chatId: 3,
        sender: '+15551230001',
        createdAt: null,
        state: 'dropped',
        reason: 'pairing-requested',
        trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'],
        recordedAt: '2026-11-30T10:00:00.000Z',
        updatedAt: '2026-11-30T10:00:00.000Z',
      }),
    ).toEqual([
      'bot G1: dropped (pairing-requested)',
      '  from +15551230001 in chat 3, row 7, journalled 2026-11-30T10:00:00.000Z',
      '  dm → policy:pairing → sender:stranger → pair',
    ]);
  });
});
