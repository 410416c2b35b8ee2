import { describe, expect, it } from 'vitest';
import { validateConfigObject } from '../../src/config/index.js';
import { pickAccount } from '../../src/supervisor/enqueue-send.js';
import { cliPathProblemOf, configSourceRoles, cursorDonors, mergedIntoMap, mergedStatusText, ownerFix, roleFingerprint, sharedSourceWarning, type SourceRole } from '../../src/supervisor/source-roles.js';

const AGENTS = { list: [{ id: 'main', default: true, handler: { type: 'echo' } }] };
const configOf = (accounts: Record<string, Record<string, unknown>>) =>
  validateConfigObject({ imessage: { accounts }, agents: AGENTS }, 'source-roles test', { homeDir: '/home/me' });
const on = (dbPath: string, extra: Record<string, unknown> = {}) => ({ cliPath: '/usr/bin/imsg', dbPath, ...extra });

function kinds(roles: Map<string, SourceRole>): Record<string, string> {
  return Object.fromEntries([...roles].map(([id, r]) => [id, r.kind === 'owner' ? 'owner' : `merged:${r.owner}`]));
}

describe('source roles: which runnable account owns each Messages source', () => {
  it('the first by id owns a shared source; a disabled account takes no part', () => {
    const roles = configSourceRoles(
      configOf({ work: on('/db/shared.db'), default: on('/db/shared.db'), other: on('/db/other.db'), off: on('/db/shared.db', { enabled: false }) }),
    );
    expect(kinds(roles)).toEqual({ default: 'owner', work: 'merged:default', other: 'owner' });
    expect(mergedIntoMap(roles)).toEqual(new Map([['work', 'default']]));
  });

  it('with no agent configured every account is refused: nothing runs, so nothing is merged', () => {
    const config = { ...configOf({ a: on('/db/s.db'), b: on('/db/s.db') }), defaultAgentId: undefined };
    expect(configSourceRoles(config).size).toBe(0);
  });

  it('a merged account fingerprints its owner, an owner nothing (duplicates coming and going leave it alone)', () => {
    const roles = configSourceRoles(configOf({ a: on('/db/s.db'), b: on('/db/s.db') }));
    expect(roleFingerprint(roles.get('a'))).toBeNull();
    expect(roleFingerprint(roles.get('b'))).toBe('merged:a');
    expect(roleFingerprint(undefined)).toBeNull();
  });

  describe('cursorDonors: whose cursor a new owner continues from', () => {
    const before = configSourceRoles(configOf({ a: on('/db/s.db'), b: on('/db/s.db') }));
    it('the owner removed: the promoted duplicate takes the previous owner’s cursor', () => {
      const after = configSourceRoles(configOf({ b: on('/db/s.db') }));
      expect(cursorDonors('b', after, before, true)).toEqual(['a']);
    });
    it('an unchanged owner adopts nothing; a merged account never does', () => {
      expect(cursorDonors('a', before, before, true)).toEqual([]);
      expect(cursorDonors('b', before, before, false)).toEqual([]);
    });
    it('a new owner that sorts first demotes the old one and takes its cursor', () => {
      const after = configSourceRoles(configOf({ a: on('/db/s.db'), b: on('/db/s.db'), '0new': on('/db/s.db') }));
      expect(kinds(after)).toEqual({ '0new': 'owner', a: 'merged:0new', b: 'merged:0new' });
      expect(cursorDonors('0new', after, before, false).sort()).toEqual(['a', 'b']);
    });
    it('at start, an owner without a cursor takes its duplicates’; with its own, none', () => {
      expect(cursorDonors('a', before, undefined, false)).toEqual(['b']);
      expect(cursorDonors('a', before, undefined, true)).toEqual([]);
    });
    it('a duplicate given its own dbPath owns a new source: nobody’s cursor', () => {
      const after = configSourceRoles(configOf({ a: on('/db/s.db'), b: on('/db/b.db') }));
      expect(kinds(after)).toEqual({ a: 'owner', b: 'owner' });
      expect(cursorDonors('b', after, before, true)).toEqual([]);
    });
  });

  it('the texts name both accounts, the source, the fix, and that the duplicate’s policy and bindings are not used', () => {
    const roles = configSourceRoles(configOf({ a: on('/db/s.db'), b: on('/db/s.db') }));
    const role = roles.get('b')!;
    if (role.kind !== 'merged') throw new Error('b should be merged');
    const text = mergedStatusText('b', role);
    expect(text.reason).toBe('merged into a');
    expect(text.problem).toContain('accounts a and b share one Messages source (/db/s.db)');
    expect(text.problem).toContain("b's own policy and bindings are not used");
    expect(text.fix).toBe('give b its own dbPath (its own macOS user or Mac), or remove it from the config');
    const owner = roles.get('a')!;
    const warning = sharedSourceWarning(owner.source);
    expect(warning).toMatchObject({ owner: 'a', merged: ['b'], source: '/db/s.db' });
    expect(warning.message).toContain('accounts a and b share one Messages source: merged into a');
  });
});

describe('source roles with a broken cliPath (the resolver injected)', () => {
  const broken = new Set<string>();
  const cliPathProblem = (a: { cliPath: string }) => (broken.has(a.cliPath) ? `${a.cliPath} does not exist` : undefined);
  const roleOpts = { cliPathProblem };
  const two = () => configOf({ ops: on('/db/s.db', { cliPath: '/opt/ops/imsg' }), bot: on('/db/s.db', { cliPath: '/opt/bot/imsg' }) });

  it('the first by id is broken: the second owns the source, and the texts say why', () => {
    broken.clear();
    broken.add('/opt/bot/imsg');
    const roles = configSourceRoles(two(), roleOpts);
    expect(kinds(roles)).toEqual({ bot: 'merged:ops', ops: 'owner' });
    const role = roles.get('bot')!;
    if (role.kind !== 'merged') throw new Error('bot should be merged');
    expect(mergedStatusText('bot', role).problem).toContain("(ops owns it; bot's cliPath does not resolve)");
    const warning = sharedSourceWarning(role.source);
    expect(warning).toMatchObject({ owner: 'ops', merged: ['bot'], ownerReason: "ops owns it; bot's cliPath does not resolve" });
    expect(warning.message).toContain('accounts bot and ops share one Messages source: merged into ops');
  });

  it('both broken: the first by id owns it', () => {
    broken.clear();
    broken.add('/opt/bot/imsg').add('/opt/ops/imsg');
    const roles = configSourceRoles(two(), roleOpts);
    expect(kinds(roles)).toEqual({ bot: 'owner', ops: 'merged:bot' });
    expect(roles.get('bot')!.source.ownerReason).toBe('bot owns it, first by id; no cliPath on this source resolves');
  });

  it('a reload after the first id’s cliPath starts resolving: ownership moves to it, with the previous owner’s cursor', () => {
    broken.clear();
    broken.add('/opt/bot/imsg');
    const before = configSourceRoles(two(), roleOpts);
    broken.clear();
    const after = configSourceRoles(two(), roleOpts);
    expect(kinds(after)).toEqual({ bot: 'owner', ops: 'merged:bot' });
    // Both slots' fingerprints change (so the reload restarts both, every stop before any start) ...
    expect(roleFingerprint(before.get('bot'))).toBe('merged:ops');
    expect(roleFingerprint(after.get('bot'))).toBeNull();
    expect(roleFingerprint(after.get('ops'))).toBe('merged:bot');
    // ... and the new owner continues from the old owner's cursor, whether or not it has its own.
    expect(cursorDonors('bot', after, before, true)).toEqual(['ops']);
    expect(cursorDonors('bot', after, before, false)).toEqual(['ops']);
  });

  it('a misconfigured owner’s fix says a reload hands the source over; other states and lone owners keep theirs', () => {
    broken.clear();
    const roles = configSourceRoles(two(), roleOpts);
    const owner = roles.get('bot');
    expect(ownerFix('misconfigured', 'Fix cliPath, or install imsg.', owner)).toBe(
      'Fix cliPath, or install imsg; or run `imessage-gateway reload` to hand the Messages source to ops if its cliPath resolves',
    );
    expect(ownerFix('awaiting-permissions', 'grant Full Disk Access', owner)).toBe('grant Full Disk Access');
    expect(ownerFix('misconfigured', 'x', roles.get('ops'))).toBe('x');
    const alone = configSourceRoles(configOf({ solo: on('/db/solo.db') }), roleOpts);
    expect(ownerFix('misconfigured', 'x', alone.get('solo'))).toBe('x');
  });

  it('the default check is resolveExecutable’s: a missing file does not resolve, a bare name is looked up on PATH', () => {
    const check = cliPathProblemOf({ PATH: '/nonexistent-dir' }, '/');
    expect(check({ id: 'a', cliPath: '/nonexistent-dir/imsg' })).toBe('/nonexistent-dir/imsg does not exist');
    expect(check({ id: 'a', cliPath: 'imsg' })).toContain('is not on PATH');
    expect(cliPathProblemOf({ PATH: '' }, '/')({ id: 'a', cliPath: process.execPath })).toBeUndefined();
  });
});

describe('pickAccount with merged accounts (send --account)', () => {
  const merged = new Map([['work', 'default']]);
  it('refuses a merged account, naming the owner to send from', () => {
    expect(() => pickAccount('work', ['default', 'work'], merged)).toThrow(/"work" shares its Messages source with "default".*--account default/);
    expect(() => pickAccount('WORK', ['default', 'work'], merged)).toThrow(/--account default/);
  });
  it('without --account, only owners count: one source means the owner', () => {
    expect(pickAccount(undefined, ['default', 'work'], merged)).toBe('default');
    expect(pickAccount('default', ['default', 'work'], merged)).toBe('default');
    expect(() => pickAccount(undefined, ['a', 'b', 'c'], new Map([['c', 'a']]))).toThrow('name the account (one of: a, b)');
  });
});
