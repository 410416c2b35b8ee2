import { describe, expect, it } from 'vitest';
import { buildEnvelope, type EnvelopeContext } from '../../src/routing/build-envelope.js';
import { collectedEnvelope } from '../../src/routing/collect-envelope.js';
import type { Envelope } from '../../src/routing/envelope.js';
import { imsgMessage } from '../helpers/imsg-message.js';

const ctx: EnvelopeContext = {
  accountId: 'bot',
  agentId: 'main',
  agentShared: false,
  dmScope: 'main',
  region: 'US',
  kind: 'dm',
  wasMentioned: false,
  service: 'auto',
  receivedAt: Date.UTC(2026, 0, 15, 12, 0, 0),
};

const dm = (id: number, text: string, over: Parameters<typeof imsgMessage>[0] = {}): Envelope =>
  buildEnvelope(imsgMessage({ id, guid: `G-${id}`, chat_id: 5, sender: '+15551230001', text, ...over }), ctx);

describe('collectedEnvelope', () => {
  it('one message: its own envelope, unchanged, with no collected key', () => {
    const only = dm(1, 'hi');
    expect(collectedEnvelope([only])).toBe(only);
    expect('collected' in collectedEnvelope([only])).toBe(false);
  });

  it('several: the latest envelope (its id, session and reply target), the earlier ones in collected, oldest first', () => {
    const a = dm(1, 'change of plan');
    const b = dm(2, 'we leave at 7', { reply_to_guid: 'G-0', reply_to_text: 'when?' });
    const c = dm(3, 'and bring the tent');
    a.history = [{ sender: 'x', text: 'h1', at: 't1' }];
    c.history = [{ sender: 'y', text: 'h3', at: 't3' }];
    const turn = collectedEnvelope([a, b, c]);
    expect(turn.id).toBe('bot:G-3');
    expect(turn.text).toBe('and bring the tent');
    expect(turn.replyTarget).toEqual(c.replyTarget);
    expect(turn.sessionKey).toBe(c.sessionKey);
    expect(turn.history.map((h) => h.text)).toEqual(['h1', 'h3']);
    expect(turn.collected).toEqual([
      {
        id: 'bot:G-1',
        sender: a.sender,
        text: 'change of plan',
        attachments: [],
        wasMentioned: false,
        timestamps: a.timestamps,
        imsg: { rowid: 1, guid: 'G-1' },
      },
      {
        id: 'bot:G-2',
        sender: b.sender,
        text: 'we leave at 7',
        attachments: [],
        replyTo: { guid: 'G-0', text: 'when?' },
        wasMentioned: false,
        timestamps: b.timestamps,
        imsg: { rowid: 2, guid: 'G-2' },
      },
    ]);
    // The latest message's own envelope is not changed.
    expect(c.collected).toBeUndefined();
  });

  it('refuses envelopes of another chat or session (a bug upstream), naming both', () => {
    const other = dm(9, 'elsewhere', { sender: '+15559990000' });
    expect(() => collectedEnvelope([other, dm(2, 'x')])).toThrow('envelope bot:G-9 is not of the same session and chat as bot:G-2');
    expect(() => collectedEnvelope([])).toThrow('a collected turn needs at least one envelope');
  });
});
