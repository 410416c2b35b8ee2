import { describe, it, expect } from 'vitest';
import { DM_SCOPES, type DmScope } from '../../src/config/index.js';
import { sessionKeyFor, type SessionKeyInput } from '../../src/routing/session-key.js';

const PEER = '+15555550123';

function key(over: Partial<SessionKeyInput>): string {
  return sessionKeyFor({
    agentId: 'main',
    accountId: 'work',
    kind: 'dm',
    chatId: 5,
    agentShared: false,
    dmScope: 'main',
    peer: PEER,
    ...over,
  });
}

describe('sessionKeyFor: DMs under each dmScope', () => {
  const table: Array<{ dmScope: DmScope; agentShared: boolean; expected: string }> = [
    { dmScope: 'main', agentShared: false, expected: 'agent:main:main' },
    { dmScope: 'main', agentShared: true, expected: 'agent:main:main' },
    { dmScope: 'per-peer', agentShared: false, expected: 'agent:main:dm:+15555550123' },
    { dmScope: 'per-peer', agentShared: true, expected: 'agent:main:dm:+15555550123' },
    { dmScope: 'per-channel-peer', agentShared: false, expected: 'agent:main:imessage:dm:+15555550123' },
    { dmScope: 'per-channel-peer', agentShared: true, expected: 'agent:main:imessage:dm:+15555550123' },
    { dmScope: 'per-account-channel-peer', agentShared: false, expected: 'agent:main:imessage:work:dm:+15555550123' },
    { dmScope: 'per-account-channel-peer', agentShared: true, expected: 'agent:main:imessage:work:dm:+15555550123' },
  ];
  it.each(table)('$dmScope (agent shared: $agentShared) → $expected', ({ dmScope, agentShared, expected }) => {
    expect(key({ dmScope, agentShared })).toBe(expected);
  });

  it('the table covers every scope the config accepts', () => {
    expect(new Set(table.map((row) => row.dmScope))).toEqual(new Set(DM_SCOPES));
  });

  // Which of (two senders, two accounts) get separate sessions, per scope.
  const separation: Array<{ dmScope: DmScope; senders: boolean; accounts: boolean }> = [
    { dmScope: 'main', senders: false, accounts: false },
    { dmScope: 'per-peer', senders: true, accounts: false },
    { dmScope: 'per-channel-peer', senders: true, accounts: false },
    { dmScope: 'per-account-channel-peer', senders: true, accounts: true },
  ];
  it.each(separation)('$dmScope: two senders apart: $senders; one sender on two accounts apart: $accounts', ({ dmScope, senders, accounts }) => {
    expect(key({ dmScope, peer: '+15555550123' }) !== key({ dmScope, peer: 'friend@example.com' })).toBe(senders);
    expect(key({ dmScope, accountId: 'bot' }) !== key({ dmScope, accountId: 'personal' })).toBe(accounts);
  });

  it('keys are lowercase (an email peer, an upper-case agent id)', () => {
    expect(key({ dmScope: 'per-peer', agentId: 'Main', peer: 'Friend@Example.com' })).toBe('agent:main:dm:friend@example.com');
  });

  it('a DM with no sender handle gets the stand-in peer, not the main session', () => {
    expect(key({ dmScope: 'per-peer', peer: '  ' })).toBe('agent:main:dm:unknown');
  });
});

describe('sessionKeyFor: groups keep their own keys under every dmScope', () => {
  const table = DM_SCOPES.flatMap((dmScope) => [
    { dmScope, agentShared: false, expected: 'agent:main:imessage:group:42' },
    { dmScope, agentShared: true, expected: 'agent:main:imessage:work:group:42' },
  ]);
  it.each(table)('$dmScope (agent shared: $agentShared) → $expected', ({ dmScope, agentShared, expected }) => {
    expect(key({ kind: 'group', chatId: 42, dmScope, agentShared })).toBe(expected);
  });

  it('the sender of a group message never enters the key', () => {
    for (const dmScope of DM_SCOPES) {
      expect(key({ kind: 'group', chatId: 42, dmScope, peer: 'a@example.com' })).toBe(key({ kind: 'group', chatId: 42, dmScope, peer: 'b@example.com' }));
    }
  });

  it('the same chat id on two accounts gives two sessions when the agent is shared', () => {
    const a = key({ kind: 'group', chatId: 42, agentShared: true, accountId: 'a' });
    const b = key({ kind: 'group', chatId: 42, agentShared: true, accountId: 'b' });
    expect(a).not.toBe(b);
  });
});
