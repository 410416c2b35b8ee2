import { describe, it, expect } from 'vitest';
import { sessionKeyFor } from '../../src/routing/session-key.js';

describe('sessionKeyFor', () => {
  it('DMs share the agent\'s main session, whatever the account or chat', () => {
    expect(sessionKeyFor({ agentId: 'main', accountId: 'work', kind: 'dm', chatId: 5, agentShared: false })).toBe(
      'agent:main:main',
    );
    expect(sessionKeyFor({ agentId: 'main', accountId: 'home', kind: 'dm', chatId: 9, agentShared: true })).toBe(
      'agent:main:main',
    );
  });

  it('a group of an agent with one account has a key without the account id', () => {
    expect(sessionKeyFor({ agentId: 'main', accountId: 'work', kind: 'group', chatId: 42, agentShared: false })).toBe(
      'agent:main:imessage:group:42',
    );
  });

  it('a group of an agent shared by several accounts carries the account id', () => {
    expect(sessionKeyFor({ agentId: 'main', accountId: 'work', kind: 'group', chatId: 42, agentShared: true })).toBe(
      'agent:main:imessage:work:group:42',
    );
  });

  it('the same chat id on two accounts gives two sessions when the agent is shared', () => {
    const a = sessionKeyFor({ agentId: 'x', accountId: 'a', kind: 'group', chatId: 42, agentShared: true });
    const b = sessionKeyFor({ agentId: 'x', accountId: 'b', kind: 'group', chatId: 42, agentShared: true });
    expect(a).not.toBe(b);
  });
});
