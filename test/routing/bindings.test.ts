import { describe, expect, it } from 'vitest';
import { AgentRouter, agentSharedAcross } from '../../src/routing/bindings.js';

const router = new AgentRouter(
  [
    { agentId: 'family', match: { chatId: 42 } },
    { agentId: 'vip', match: { sender: '+1 (555) 123-4567', accountId: 'bot' } },
    { agentId: 'personal-agent', match: { accountId: 'personal' } },
    { agentId: 'later', match: { accountId: 'personal' } },
  ],
  'main',
);

describe('agent bindings', () => {
  it.each([
    ['bot', 42, 'x@example.com', 'family'],
    ['personal', 42, 'x@example.com', 'family'],
    ['bot', 7, '+15551234567', 'vip'],
    ['bot', 7, '5551234567', 'vip'],
    ['personal', 7, '+15551234567', 'personal-agent'],
    ['bot', 7, 'someone@example.com', 'main'],
    ['other', 0, '', 'main'],
  ])('account %s, chat %s, sender %s → %s', (account, chat, sender, agent) => {
    expect(router.agentFor(account, chat, sender)).toBe(agent);
  });

  it('never matches a non-phone sender to a different one', () => {
    const r = new AgentRouter([{ agentId: 'a', match: { sender: 'foo' } }], 'main');
    expect(r.agentFor('x', 1, 'bar')).toBe('main');
    expect(r.agentFor('x', 1, 'foo')).toBe('a');
  });

  it('knows which agents an account can reach, and when an agent is shared', () => {
    expect([...router.agentsOf('bot')].sort()).toEqual(['family', 'main', 'vip']);
    expect([...router.agentsOf('personal')].sort()).toEqual(['family', 'personal-agent']);
    expect(agentSharedAcross(router, ['bot', 'personal'], 'family')).toBe(true);
    expect(agentSharedAcross(router, ['bot', 'personal'], 'main')).toBe(false);
  });
});
