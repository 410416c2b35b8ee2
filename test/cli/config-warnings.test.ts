import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configWarnings } from '../../src/cli/config-warnings.js';
import { validateConfigObject } from '../../src/config/index.js';
import { tempDir } from '../helpers/sim-db.js';

const AGENTS = { list: [{ id: 'main', handler: { type: 'echo' } }] };

describe('configWarnings', () => {
  const dir = tempDir('warn-');
  const imsg = join(dir, 'imsg');
  writeFileSync(imsg, '#!/bin/sh\n');
  chmodSync(imsg, 0o755);
  const db = join(dir, 'chat.db');
  writeFileSync(db, '');
  symlinkSync(db, join(dir, 'link.db'));
  const env = { PATH: dir };
  const config = (accounts: Record<string, unknown>) => validateConfigObject({ imessage: { accounts }, agents: AGENTS }, 'test');

  it('none for resolvable cliPaths (a path, a bare name on PATH) and separate databases', () => {
    const c = config({ a: { cliPath: imsg, dbPath: db }, b: { cliPath: 'imsg', dbPath: join(dir, 'other.db') } });
    expect(configWarnings(c, { env, cwd: dir })).toEqual([]);
  });

  it('a cliPath that does not resolve, with the fix; a disabled account is not checked', () => {
    const c = config({ a: { cliPath: join(dir, 'missing-imsg') }, b: { cliPath: 'nope-imsg', enabled: false } });
    const w = configWarnings(c, { env, cwd: dir });
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ account: 'a', message: `cliPath does not resolve: ${join(dir, 'missing-imsg')} does not exist` });
    expect(w[0]!.fix).toContain('cliPath');
  });

  it('two accounts on one chat.db (through a symlink too), and two with the default database through one cliPath', () => {
    const shared = configWarnings(config({ a: { cliPath: imsg, dbPath: db }, b: { cliPath: imsg, dbPath: join(dir, 'link.db') } }), { env, cwd: dir });
    expect(shared).toHaveLength(1);
    expect(shared[0]!.message).toContain(`accounts a and b read the same Messages database (${db})`);
    const byDefault = configWarnings(config({ a: { cliPath: imsg }, b: { cliPath: imsg } }), { env, cwd: dir });
    expect(byDefault[0]!.message).toContain(`the default chat.db of the Mac and user that cliPath ${imsg} reaches`);
  });

  it('says the accounts are merged into one watcher: the first by id answers, the others are named with the fix', () => {
    const w = configWarnings(config({ zed: { cliPath: imsg, dbPath: db }, bot: { cliPath: imsg, dbPath: join(dir, 'link.db') } }), { env, cwd: dir });
    expect(w).toEqual([
      {
        account: 'bot, zed',
        message: `accounts bot and zed read the same Messages database (${db}): merged into one watcher (bot owns it, first by id); bot answers every message, and the policy and agent bindings of zed are not used`,
        fix: 'Give zed its own dbPath (its own macOS user or Mac), or remove it.',
      },
    ]);
  });

  it('an account whose cliPath does not resolve does not own the source: the first by id that resolves does', () => {
    const w = configWarnings(config({ bot: { cliPath: join(dir, 'missing-imsg'), dbPath: db }, ops: { cliPath: imsg, dbPath: db } }), { env, cwd: dir });
    expect(w.map((x) => x.account)).toEqual(['bot', 'bot, ops']);
    expect(w[1]!.message).toBe(
      `accounts bot and ops read the same Messages database (${db}): merged into one watcher (ops owns it; bot's cliPath does not resolve); ` +
        'ops answers every message, and the policy and agent bindings of bot are not used',
    );
    expect(w[1]!.fix).toBe('Give bot its own dbPath (its own macOS user or Mac), or remove it.');
  });
});
