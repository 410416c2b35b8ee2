import { describe, expect, it } from 'vitest';
import { isSafeExecutableValue } from '../../src/config/index.js';
import { invalid, issueAt, valid } from './helpers.js';

describe('cliPath safety', () => {
  it.each([
    'imsg; rm -rf /',
    'imsg && evil',
    'imsg | tee',
    'imsg `x`',
    '$(evil)',
    'imsg > /tmp/x',
    'imsg < /tmp/x',
    '"imsg"',
    "'/opt/imsg'",
    'imsg\nrm',
    'imsg\r',
    'imsg\0',
    '-oProxyCommand',
    'imsg rpc',
    '',
  ])('rejects %j', (value) => {
    expect(isSafeExecutableValue(value)).toBe(false);
    expect(issueAt(invalid({ imessage: { cliPath: value } }), 'imessage.cliPath')).toBeDefined();
  });

  it.each(['imsg', 'imsg-1.2_beta+x', '/Applications/Imsg Tools/imsg', './bin/imsg', '~/bin/imsg', '../imsg wrapper.sh'])(
    'accepts %j',
    (value) => {
      expect(isSafeExecutableValue(value)).toBe(true);
    },
  );

  it('names the metacharacter', () => {
    expect(issueAt(invalid({ imessage: { cliPath: 'imsg; rm -rf /' } }), 'imessage.cliPath').message).toContain('";"');
  });

  it('accepts a path with spaces unchanged', () => {
    expect(valid({ imessage: { cliPath: '/Applications/Imsg Tools/imsg' } }).accounts[0]?.cliPath).toBe('/Applications/Imsg Tools/imsg');
  });

  it('expands ~ in cliPath and dbPath', () => {
    const [account] = valid({ imessage: { cliPath: '~/bin/imsg', dbPath: '~/Library/Messages/chat.db' } }).accounts;
    expect(account?.cliPath).toBe('/Users/tester/bin/imsg');
    expect(account?.dbPath).toBe('/Users/tester/Library/Messages/chat.db');
  });

  it('rejects ~user paths instead of spawning them literally', () => {
    expect(issueAt(invalid({ imessage: { cliPath: '~bob/imsg' } }), 'imessage.cliPath').message).toMatch(/full path/);
  });

  it('checks cliPath inside accounts too', () => {
    expect(issueAt(invalid({ imessage: { accounts: { bot: { cliPath: 'imsg;x' } } } }), 'imessage.accounts.bot.cliPath')).toBeDefined();
  });
});
