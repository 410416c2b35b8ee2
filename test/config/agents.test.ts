import { describe, expect, it } from 'vitest';
import { compileMentionPatterns } from '../../src/config/index.js';
import { invalid, issueAt, valid } from './helpers.js';

describe('agents.list', () => {
  it('resolves handlers with default timeouts and ~ expansion', () => {
    const config = valid({
      agents: {
        list: [
          { id: 'Main', name: 'Main bot', handler: { type: 'echo' } },
          { id: 'cmd', handler: { type: 'command', argv: ['~/bin/agent', '--json'], cwd: '~/work', env: { TOKEN: 'x' } } },
          { id: 'web', default: true, handler: { type: 'http', url: 'https://agent.local/hook', timeoutMs: 5000, headers: { Authorization: 'Bearer x' } } },
        ],
      },
    });
    expect(config.agents).toEqual([
      { id: 'main', default: false, name: 'Main bot', handler: { type: 'echo' } },
      {
        id: 'cmd',
        default: false,
        handler: { type: 'command', argv: ['/Users/tester/bin/agent', '--json'], timeoutMs: 30000, cwd: '/Users/tester/work', env: { TOKEN: 'x' } },
      },
      { id: 'web', default: true, handler: { type: 'http', url: 'https://agent.local/hook', timeoutMs: 5000, headers: { Authorization: 'Bearer x' } } },
    ]);
    expect(config.defaultAgentId).toBe('web');
  });

  it('the default agent is the first one when none says default: true', () => {
    const config = valid({ agents: { list: [{ id: 'a', handler: { type: 'echo' } }, { id: 'b', handler: { type: 'echo' } }] } });
    expect(config.defaultAgentId).toBe('a');
  });

  it('duplicate ids (case-insensitively) are an error', () => {
    const issues = invalid({ agents: { list: [{ id: 'main', handler: { type: 'echo' } }, { id: 'MAIN', handler: { type: 'echo' } }] } });
    expect(issueAt(issues, 'agents.list[1].id').message).toMatch(/duplicate agent id "MAIN"/);
  });

  it('two default agents are an error', () => {
    const issues = invalid({
      agents: { list: [{ id: 'a', default: true, handler: { type: 'echo' } }, { id: 'b', default: true, handler: { type: 'echo' } }] },
    });
    expect(issueAt(issues, 'agents.list[1].default').message).toMatch(/only one agent may have default: true/);
  });

  it('no agents while an account is enabled is an error that shows how to add one', () => {
    const issue = issueAt(invalid({ agents: { list: [] } }), 'agents.list');
    expect(issue.message).toContain('{ id: "main", handler: { type: "echo" } }');
    expect(issue.message).toContain('"default"');
    expect(issueAt(invalid({ agents: undefined }), 'agents.list')).toBeDefined();
  });

  it('no agents is fine when every account is disabled', () => {
    expect(valid({ imessage: { accounts: { a: { enabled: false } } }, agents: { list: [] } }).defaultAgentId).toBeUndefined();
  });

  it('an unknown handler key suggests the right one', () => {
    const issues = invalid({ agents: { list: [{ id: 'a', handler: { type: 'command', argv: ['agent'], timeoutMS: 5 } }] } });
    expect(issueAt(issues, 'agents.list[0].handler.timeoutMS').message).toMatch(/did you mean "timeoutMs"/);
  });

  it('an unknown handler type lists the allowed ones', () => {
    const issues = invalid({ agents: { list: [{ id: 'a', handler: { type: 'shell' } }] } });
    expect(issueAt(issues, 'agents.list[0].handler.type').message).toBe('must be one of "echo", "none", "command", "http"; got the string "shell"');
  });

  it('validates command argv and http url', () => {
    const issues = invalid({
      agents: {
        list: [
          { id: 'a', handler: { type: 'command', argv: [] } },
          { id: 'b', handler: { type: 'command', argv: ['agent; rm -rf /'] } },
          { id: 'c', handler: { type: 'http', url: 'ftp://x' } },
          { id: 'd', handler: { type: 'http', url: 'not a url' } },
          { id: 'e', handler: { type: 'command', argv: ['agent'], timeoutMs: 0 } },
        ],
      },
    });
    expect(issueAt(issues, 'agents.list[0].handler.argv').message).toBe('must not be empty');
    expect(issueAt(issues, 'agents.list[1].handler.argv[0]').message).toContain('";"');
    expect(issueAt(issues, 'agents.list[2].handler.url').message).toMatch(/http: or https:/);
    expect(issueAt(issues, 'agents.list[3].handler.url').message).toMatch(/http: or https:/);
    expect(issueAt(issues, 'agents.list[4].handler.timeoutMs').message).toMatch(/greater than 0/);
  });

  it('a missing id or handler is reported as required', () => {
    const issues = invalid({ agents: { list: [{}] } });
    expect(issueAt(issues, 'agents.list[0].id').message).toMatch(/required/);
    expect(issueAt(issues, 'agents.list[0].handler').message).toMatch(/required/);
  });
});

describe('mention patterns', () => {
  it('keeps valid patterns and compiles them case-insensitively', () => {
    const config = valid({
      agents: { list: [{ id: 'a', groupChat: { mentionPatterns: ['@bot\\b'] }, handler: { type: 'echo' } }] },
      messages: { groupChat: { mentionPatterns: ['hey bot'] }, responsePrefix: '[bot] ' },
    });
    expect(config.agents[0]?.mentionPatterns).toEqual(['@bot\\b']);
    expect(config.messages).toEqual({ mentionPatterns: ['hey bot'], responsePrefix: '[bot] ', queue: { mode: 'collect', collectWindowMs: 300 } });
    const [re] = compileMentionPatterns(config.agents[0]?.mentionPatterns);
    expect(re?.test('Hi @BOT!')).toBe(true);
  });

  it('an invalid regex is an error at its path, never dropped', () => {
    const issues = invalid({
      agents: { list: [{ id: 'a', groupChat: { mentionPatterns: ['ok', '(unclosed'] }, handler: { type: 'echo' } }] },
      messages: { groupChat: { mentionPatterns: ['[z-a]'] } },
    });
    expect(issueAt(issues, 'agents.list[0].groupChat.mentionPatterns[1]').message).toMatch(/invalid regular expression "\(unclosed"/);
    expect(issueAt(issues, 'messages.groupChat.mentionPatterns[0]').message).toMatch(/invalid regular expression/);
  });

  it('an empty pattern (matches everything) is rejected', () => {
    expect(issueAt(invalid({ messages: { groupChat: { mentionPatterns: [''] } } }), 'messages.groupChat.mentionPatterns[0]')).toBeDefined();
  });
});
