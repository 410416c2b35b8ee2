import type { Envelope } from '../../src/routing/envelope.js';
import { processAlive } from '../../src/util/process-alive.js';

/** A minimal valid Envelope for a DM; override any field. */
export function makeEnvelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: 'acct-1:msg-guid-1',
    accountId: 'acct-1',
    agentId: 'agent-1',
    sessionKey: 'acct-1:dm:+15555550100',
    chat: {
      kind: 'dm',
      chatId: 7,
      guid: 'iMessage;-;+15555550100',
      identifier: '+15555550100',
      name: '',
      participants: ['+15555550100'],
    },
    sender: { handle: '+15555550100', name: 'Alice' },
    text: 'hello agent',
    attachments: [],
    history: [],
    wasMentioned: false,
    timestamps: { createdAt: '2025-01-02T03:04:05.000Z', receivedAt: '2025-01-02T03:04:05.250Z' },
    replyTarget: { to: '+15555550100', handle: '+15555550100', service: 'imessage' },
    imsg: { rowid: 42, guid: 'msg-guid-1' },
    ...overrides,
  };
}

/** Whether a process with this pid still runs (an exited, unreaped orphan does not). */
export const pidAlive = processAlive;

export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
