import { describe, expect, it } from 'vitest';
import { DM_SCOPES } from '../../src/config/index.js';
import { invalid, issueAt, valid } from './helpers.js';

describe('session.dmScope', () => {
  it('defaults to main (one DM session per agent, as before)', () => {
    expect(valid({}).session).toEqual({ dmScope: 'main' });
  });

  it.each(DM_SCOPES)('accepts %s', (dmScope) => {
    expect(valid({ session: { dmScope } }).session.dmScope).toBe(dmScope);
  });

  it('an unknown value is a config error that lists the valid values and suggests the closest', () => {
    expect(issueAt(invalid({ session: { dmScope: 'perpeer' } }), 'session.dmScope').message).toBe(
      'must be one of "main", "per-peer", "per-channel-peer", "per-account-channel-peer"; got the string "perpeer" (did you mean "per-peer"?)',
    );
  });

  it('a value far from any scope still lists every valid value', () => {
    const message = issueAt(invalid({ session: { dmScope: 'everyone' } }), 'session.dmScope').message;
    for (const scope of DM_SCOPES) expect(message).toContain(`"${scope}"`);
    expect(message).not.toContain('did you mean');
  });

  it('a value of the wrong type is an error too', () => {
    expect(issueAt(invalid({ session: { dmScope: 1 } }), 'session.dmScope').message).toContain('"per-account-channel-peer"');
  });

  it('a misspelt key under session suggests dmScope', () => {
    expect(issueAt(invalid({ session: { dmscope: 'per-peer' } }), 'session.dmscope').message).toContain('did you mean "dmScope"?');
  });

  it.each([
    [{ dmScope: 'per-peer' }, 'dmScope'],
    [{ imessage: { dmScope: 'per-peer' } }, 'imessage.dmScope'],
    [{ imessage: { accounts: { bot: { dmScope: 'per-peer' } } } }, 'imessage.accounts.bot.dmScope'],
  ])('dmScope written in the wrong place (%j) points to session.dmScope', (raw, path) => {
    expect(issueAt(invalid(raw), path).message).toBe(
      'unknown key "dmScope": it belongs under "session" (session.dmScope) and applies to every account and agent',
    );
  });
});
