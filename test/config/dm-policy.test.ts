import { describe, expect, it } from 'vitest';
import { invalid, issueAt, valid } from './helpers.js';

describe('dmPolicy "open" requires "*" in the effective allowFrom', () => {
  it('accepts top-level open with "*"', () => {
    expect(valid({ imessage: { dmPolicy: 'open', allowFrom: ['*'] } }).accounts[0]?.dmPolicy).toBe('open');
  });

  it('rejects top-level open without "*", naming the key and the fix', () => {
    const issue = issueAt(invalid({ imessage: { dmPolicy: 'open', allowFrom: ['+15555550123'] } }), 'imessage.dmPolicy');
    expect(issue.message).toContain('Add "*" to imessage.allowFrom');
    expect(issue.message).toContain('"pairing"');
  });

  it('rejects top-level open with allowFrom unset', () => {
    expect(issueAt(invalid({ imessage: { dmPolicy: 'open' } }), 'imessage.dmPolicy').message).toMatch(/is unset/);
  });

  it('rejects per-account open without "*"', () => {
    const issues = invalid({ imessage: { accounts: { bot: { dmPolicy: 'open', allowFrom: ['+1555'] } } } });
    expect(issueAt(issues, 'imessage.accounts.bot.dmPolicy').message).toContain('Add "*" to imessage.accounts.bot.allowFrom');
  });

  it('regression (reference defect): per-account open sees the inherited top-level "*"', () => {
    const config = valid({ imessage: { allowFrom: ['*'], accounts: { bot: { dmPolicy: 'open' } } } });
    expect(config.accounts[0]).toMatchObject({ id: 'bot', dmPolicy: 'open', allowFrom: ['*'] });
  });

  it('an account that overrides allowFrom loses the inherited "*"', () => {
    const issues = invalid({ imessage: { dmPolicy: 'open', allowFrom: ['*'], accounts: { bot: { allowFrom: ['+1555'] } } } });
    const issue = issueAt(issues, 'imessage.accounts.bot.dmPolicy');
    expect(issue.message).toContain('inherited from imessage.dmPolicy');
    expect(issue.message).toContain('imessage.accounts.bot.allowFrom');
  });

  it('the top-level open is not checked on its own once accounts override it', () => {
    const config = valid({ imessage: { dmPolicy: 'open', accounts: { bot: { dmPolicy: 'pairing' } } } });
    expect(config.accounts[0]?.dmPolicy).toBe('pairing');
  });
});
