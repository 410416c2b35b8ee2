import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountList, chooseOwner, groupMessagesSources, mergedAccounts, sharedSources, type SourceAccount } from '../../src/config/messages-sources.js';
import { tempDir } from '../helpers/sim-db.js';

/** A stand-in file system: these paths are symlinks to those. */
const links: Record<string, string> = { '/srv/link.db': '/srv/chat.db', '/srv/dir-link/chat.db': '/srv/chat.db' };
const realpath = (file: string) => links[file] ?? file;
const opts = { cwd: '/srv', realpath };
const acc = (id: string, cliPath: string, dbPath?: string, remoteHost?: string): SourceAccount => ({ id, cliPath, dbPath, remoteHost });

describe('groupMessagesSources: one source per physical Messages database', () => {
  const cases: Array<{ name: string; accounts: SourceAccount[]; owners: Record<string, string[]> }> = [
    { name: 'separate dbPaths are separate sources', accounts: [acc('a', 'imsg', '/srv/a.db'), acc('b', 'imsg', '/srv/b.db')], owners: { a: [], b: [] } },
    { name: 'the same dbPath, different cliPaths: one source', accounts: [acc('a', 'imsg', '/srv/chat.db'), acc('b', '/opt/imsg', '/srv/chat.db')], owners: { a: ['b'] } },
    { name: 'a symlink to the same file: one source', accounts: [acc('a', 'imsg', '/srv/chat.db'), acc('b', 'imsg', '/srv/link.db')], owners: { a: ['b'] } },
    { name: 'a relative dbPath resolves against cwd', accounts: [acc('a', 'imsg', 'chat.db'), acc('b', 'imsg', '/srv/chat.db')], owners: { a: ['b'] } },
    { name: 'no dbPath, the same cliPath: one source (that user’s default chat.db)', accounts: [acc('default', 'imsg'), acc('work', 'imsg')], owners: { default: ['work'] } },
    { name: 'no dbPath, an SSH wrapper: its own source', accounts: [acc('a', 'imsg'), acc('b', '/usr/local/bin/imsg-ssh-mini')], owners: { a: [], b: [] } },
    { name: 'one with a dbPath, one without: different sources', accounts: [acc('a', 'imsg', '/srv/chat.db'), acc('b', 'imsg')], owners: { a: [], b: [] } },
    { name: 'the same dbPath on different remote hosts: different sources', accounts: [acc('a', 'w1', '/Users/me/Library/Messages/chat.db', 'mini1'), acc('b', 'w2', '/Users/me/Library/Messages/chat.db', 'mini2')], owners: { a: [], b: [] } },
    { name: 'the same dbPath on one remote host: one source', accounts: [acc('a', 'w1', '/Users/me/chat.db', 'mini1'), acc('b', 'w2', '/Users/me/chat.db', 'mini1')], owners: { a: ['b'] } },
    {
      name: 'three on one source, one apart: the first in the order given owns it',
      accounts: [acc('a', 'imsg', '/srv/x.db'), acc('b', 'imsg', '/srv/chat.db'), acc('c', 'imsg', '/srv/link.db'), acc('d', 'imsg', '/srv/dir-link/chat.db')],
      owners: { a: [], b: ['c', 'd'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const sources = groupMessagesSources(c.accounts, opts);
      expect(Object.fromEntries(sources.map((s) => [s.owner, s.duplicates]))).toEqual(c.owners);
      // Every account is in exactly one source.
      expect(sources.flatMap((s) => [s.owner, ...s.duplicates]).sort()).toEqual(c.accounts.map((a) => a.id).sort());
    });
  }

  it('describes the source for people, and lists the duplicates', () => {
    const sources = groupMessagesSources([acc('a', 'imsg'), acc('b', 'imsg'), acc('c', 'imsg', '/srv/link.db')], opts);
    expect(sources.map((s) => s.description)).toEqual(['the default chat.db of the Mac and user that cliPath imsg reaches', '/srv/chat.db']);
    expect(sharedSources(sources).map((s) => s.owner)).toEqual(['a']);
    expect([...mergedAccounts(sources)].map(([id, s]) => [id, s.owner])).toEqual([['b', 'a']]);
    expect(accountList(['a', 'b'])).toBe('accounts a and b');
    expect(accountList(['a', 'b', 'c'])).toBe('accounts a, b and c');
  });

  it('follows real symlinks by default (the file system realpath), and keeps a missing path as written', () => {
    const dir = tempDir('sources-');
    writeFileSync(join(dir, 'chat.db'), '');
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'chat.db'), join(dir, 'sub', 'alias.db'));
    const sources = groupMessagesSources([acc('a', 'imsg', join(dir, 'chat.db')), acc('b', 'imsg', 'sub/alias.db'), acc('c', 'imsg', join(dir, 'missing.db'))], { cwd: dir });
    expect(sources.map((s) => [s.owner, s.duplicates])).toEqual([['a', ['b']], ['c', []]]);
  });

  describe('chooseOwner: the first whose cliPath resolves (injected check), else the first', () => {
    const broken = new Set(['/gone/imsg', '/also/gone']);
    const cliPathProblem = (a: SourceAccount) => (broken.has(a.cliPath) ? `${a.cliPath} does not exist` : undefined);
    const table: Array<{ name: string; accounts: SourceAccount[]; owner: string; duplicates: string[]; passedOver: string[]; reason: string }> = [
      { name: 'all resolve: the first', accounts: [acc('bot', 'imsg'), acc('ops', 'imsg')], owner: 'bot', duplicates: ['ops'], passedOver: [], reason: 'bot owns it, first by id' },
      {
        name: 'the first is broken: the second owns it',
        accounts: [acc('bot', '/gone/imsg'), acc('ops', 'imsg')],
        owner: 'ops',
        duplicates: ['bot'],
        passedOver: ['bot'],
        reason: "ops owns it; bot's cliPath does not resolve",
      },
      {
        name: 'the first two are broken: the third owns it',
        accounts: [acc('a', '/gone/imsg'), acc('b', '/also/gone'), acc('c', 'imsg')],
        owner: 'c',
        duplicates: ['a', 'b'],
        passedOver: ['a', 'b'],
        reason: "c owns it; a's and b's cliPath do not resolve",
      },
      {
        name: 'a broken one after the owner is merged, not passed over',
        accounts: [acc('a', 'imsg'), acc('b', '/gone/imsg')],
        owner: 'a',
        duplicates: ['b'],
        passedOver: [],
        reason: 'a owns it, first by id',
      },
      {
        name: 'all broken: the first by id',
        accounts: [acc('a', '/gone/imsg'), acc('b', '/also/gone')],
        owner: 'a',
        duplicates: ['b'],
        passedOver: [],
        reason: 'a owns it, first by id; no cliPath on this source resolves',
      },
      { name: 'alone, even broken: owns it', accounts: [acc('a', '/gone/imsg')], owner: 'a', duplicates: [], passedOver: [], reason: 'a owns it, its only account' },
    ];
    for (const c of table) {
      it(c.name, () => {
        const chosen = chooseOwner(c.accounts, { cliPathProblem });
        expect(chosen.owner).toBe(c.owner);
        expect(chosen.duplicates).toEqual(c.duplicates);
        expect(chosen.passedOver.map((p) => p.id)).toEqual(c.passedOver);
        expect(chosen.ownerReason).toBe(c.reason);
      });
    }

    it('groupMessagesSources applies it per source and keeps every account in config order', () => {
      const sources = groupMessagesSources([acc('a', '/gone/imsg', '/srv/chat.db'), acc('b', 'imsg', '/srv/link.db'), acc('c', '/gone/imsg', '/srv/x.db')], { ...opts, cliPathProblem });
      expect(sources.map((s) => [s.owner, s.duplicates, s.accounts])).toEqual([
        ['b', ['a'], ['a', 'b']],
        ['c', [], ['c']],
      ]);
      expect(sources[0]!.passedOver).toEqual([{ id: 'a', problem: '/gone/imsg does not exist' }]);
      // Without a check, ownership is by order alone.
      expect(groupMessagesSources([acc('a', '/gone/imsg', '/srv/chat.db'), acc('b', 'imsg', '/srv/chat.db')], opts)[0]!.owner).toBe('a');
    });
  });
});
