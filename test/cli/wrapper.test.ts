/**
 * `imessage-gateway wrapper ssh`: the printed script (golden), input validation, `bash -n`, and
 * the argument quoting for the remote shell, checked by running a copy whose ssh is a fake.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_REMOTE_IMSG, wrapperCommand, type WrapperOptions } from '../../src/cli/wrapper-command.js';
import { REPO, tempDir } from '../helpers/sim-db.js';

const GOLDEN = path.join(REPO, 'test', 'fixtures', 'service');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

function run(opts: WrapperOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const code = wrapperCommand(opts, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err, script: out.length ? `${out.join('\n')}\n` : '' };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('wrapper ssh', () => {
  it('prints the script (golden) on stdout and the install steps on stderr', () => {
    const r = run({ kind: 'ssh', host: 'localhost', user: 'bot', imsg: '/usr/local/bin/imsg' });
    expect(r.code).toBe(0);
    golden('imsg-ssh-wrapper.sh', r.script);
    expect(r.script).toContain(
      'exec /usr/bin/ssh -o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 -T bot@localhost /usr/local/bin/imsg ',
    );
    expect(r.err.join('\n')).toContain('chmod +x ~/bin/imsg-bot');
    expect(r.err.join('\n')).toContain('imessage.accounts.<id>.cliPath: "~/bin/imsg-bot", dbPath: "/Users/bot/Library/Messages/chat.db"');
    expect(r.out.join('\n')).not.toContain('To install it');
  });

  it('defaults: no user (HOST only) and the Apple silicon Homebrew imsg', () => {
    const r = run({ kind: 'ssh', host: 'mac-mini.local' });
    expect(r.code).toBe(0);
    expect(DEFAULT_REMOTE_IMSG).toBe('/opt/homebrew/bin/imsg');
    expect(r.script).toContain(' -T mac-mini.local /opt/homebrew/bin/imsg ');
    expect(r.script).toContain('#   ssh mac-mini.local true\n');
  });

  it('the script is valid bash', () => {
    const dir = tempDir('gw-wrapper-');
    dirs.push(dir);
    const file = path.join(dir, 'imsg-bot');
    writeFileSync(file, run({ kind: 'ssh', host: '192.168.1.20', user: 'bot.user' }).script);
    const r = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('quotes every argument for the remote shell (run with a fake ssh in place of /usr/bin/ssh)', () => {
    const dir = tempDir('gw-wrapper-');
    dirs.push(dir);
    const fakeSsh = path.join(dir, 'fake-ssh');
    // Records the remote command line as ssh would send it (its non-option arguments joined by spaces).
    writeFileSync(fakeSsh, '#!/usr/bin/env bash\nwhile [ "$1" = -o ]; do shift 2; done\n[ "$1" = -T ] && shift\nshift\nprintf "%s" "$*"\n');
    chmodSync(fakeSsh, 0o755);
    const file = path.join(dir, 'imsg-bot');
    writeFileSync(file, run({ kind: 'ssh', host: 'localhost', user: 'bot' }).script.replace('/usr/bin/ssh', fakeSsh));
    chmodSync(file, 0o755);
    const args = ['rpc', '--db', '/Users/bot/My Library/chat.db', `it's; rm -rf / $(x) "q"`, ''];
    const remote = spawnSync(file, args, { encoding: 'utf8' });
    expect(remote.status, remote.stderr).toBe(0);
    expect(remote.stdout.startsWith('/opt/homebrew/bin/imsg rpc --db ')).toBe(true);
    // The remote login shell splits the line back into exactly the original arguments.
    const back = spawnSync('bash', ['-c', `set -- ${remote.stdout.slice('/opt/homebrew/bin/imsg '.length)}; printf '%s\\0' "$@"`], { encoding: 'utf8' });
    expect(back.stdout.split('\0').slice(0, -1)).toEqual(args);
    // And with no arguments at all (set -u must not trip over the empty array, bash 3.2 included).
    const none = spawnSync(file, [], { encoding: 'utf8' });
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toBe('/opt/homebrew/bin/imsg');
  });

  it.each<[string, WrapperOptions, RegExp]>([
    ['missing host', { kind: 'ssh' }, /--host HOST is required/],
    ['host with a space', { kind: 'ssh', host: 'mac mini' }, /is not a host name/],
    ['host starting with -', { kind: 'ssh', host: '-oProxyCommand=x' }, /must not start with "-"/],
    ['host with a metacharacter', { kind: 'ssh', host: 'mac;reboot' }, /is not a host name/],
    ['host with user@', { kind: 'ssh', host: 'bot@mac' }, /use --user/],
    ['user starting with -', { kind: 'ssh', host: 'mac', user: '-l' }, /--user must not start with "-"/],
    ['user with a metacharacter', { kind: 'ssh', host: 'mac', user: 'bot$(id)' }, /is not a user name/],
    ['user with a space', { kind: 'ssh', host: 'mac', user: 'b ot' }, /is not a user name/],
    ['relative imsg', { kind: 'ssh', host: 'mac', imsg: 'imsg' }, /--imsg must be an absolute path/],
    ['imsg with a space', { kind: 'ssh', host: 'mac', imsg: '/opt/my bin/imsg' }, /may contain only/],
    ['imsg with a metacharacter', { kind: 'ssh', host: 'mac', imsg: '/opt/bin/imsg;id' }, /may contain only/],
    ['unknown kind', { kind: 'telnet', host: 'mac' }, /only `wrapper ssh` exists/],
  ])('rejects %s with exit 2', (_name, opts, message) => {
    const r = run(opts);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err[0]).toMatch(message);
  });
});
