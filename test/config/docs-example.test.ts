import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

const doc = fs.readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```json5\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('docs/configuration.md', () => {
  it('its examples are valid configs', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const full = parseConfig(blocks[0]!, 'docs example', { homeDir: '/Users/me' });
    expect(full.accounts.map((a) => [a.id, a.enabled])).toEqual([
      ['bot', true],
      ['personal', true],
      ['spare', false],
    ]);
    expect(full.accounts[0]).toMatchObject({ dmPolicy: 'open', allowFrom: ['*'], cliPath: '/Users/me/bin/imsg-as-bot' });
    expect(full.accounts[1]).toMatchObject({ dmPolicy: 'pairing', historyLimit: 50, includeAttachments: true });
    expect(full.defaultAgentId).toBe('main');
    for (const block of blocks.slice(1)) expect(() => parseConfig(block, 'docs example')).not.toThrow();
  });

  it('the bot-plus-personal example keeps the two accounts\' DMs apart (per-account-channel-peer)', () => {
    const block = blocks.find((b) => b.includes('dmScope: "per-account-channel-peer"'));
    expect(block).toBeDefined();
    const config = parseConfig(block!, 'docs example', { homeDir: '/Users/me' });
    expect(config.session.dmScope).toBe('per-account-channel-peer');
    expect(config.accounts.map((a) => a.id)).toEqual(['bot', 'personal']);
    expect(config.bindings.map((b) => [b.agentId, b.match.accountId])).toEqual([
      ['main', 'bot'],
      ['main', 'personal'],
    ]);
  });
});
