/** `--help`, `-h` and `help COMMAND` on every subcommand, and "did you mean", through the real binary. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandUsage, fullUsage, suggestCommand } from '../../src/cli/usage.js';
import { GATEWAY_BIN } from '../helpers/gateway-process.js';
import { tempDir } from '../helpers/sim-db.js';

const home = tempDir('help-home');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [GATEWAY_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, IMESSAGE_GATEWAY_HOME: home },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('usage table', () => {
  it('the full usage lists every command once, and each command usage names only its own synopsis', () => {
    const full = fullUsage();
    for (const c of COMMANDS) {
      for (const s of c.synopsis) expect(full).toContain(`imessage-gateway ${s}`);
      const one = commandUsage(c.name);
      expect(one.startsWith('Usage:\n')).toBe(true);
      for (const other of COMMANDS.filter((o) => o.name !== c.name && !c.synopsis.some((s) => s.startsWith(o.name)))) {
        expect(one).not.toContain(`imessage-gateway ${other.synopsis[0]}`);
      }
    }
  });

  it('suggests the command a typo meant, and nothing for a word far from any command', () => {
    expect(suggestCommand('stauts')).toBe('status');
    expect(suggestCommand('strat')).toBe('start');
    expect(suggestCommand('delivry')).toBe('delivery');
    expect(suggestCommand('pair')).toBe('pairing');
    expect(suggestCommand('RELOAD')).toBe('reload');
    expect(suggestCommand('frobnicate')).toBeUndefined();
    expect(suggestCommand('x')).toBeUndefined();
  });
});

describe('the binary', () => {
  // One process per command for --help; -h and `help COMMAND` take the same path, checked on a few.
  it.each(COMMANDS.filter((c) => c.name !== 'help').map((c) => c.name))('%s --help prints its usage and exits 0', (name) => {
    const expected = `${commandUsage(name)}\n`;
    const forms = ['status', 'delivery', 'config'].includes(name) ? [[name, '--help'], [name, '-h'], ['help', name]] : [[name, '--help']];
    for (const args of forms) {
      const r = run(...args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout).toBe(expected);
    }
  });

  it('--help after a subcommand and its options still prints the usage, without running anything', () => {
    const r = run('delivery', 'purge', '--older-than', '1d', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${commandUsage('delivery')}\n`);
  });

  it('help, --help and no command print the full usage (exit 0, 0 and 2)', () => {
    expect(run('help')).toMatchObject({ code: 0, stdout: `${fullUsage()}\n` });
    expect(run('--help')).toMatchObject({ code: 0, stdout: `${fullUsage()}\n` });
    expect(run()).toMatchObject({ code: 2, stdout: `${fullUsage()}\n` });
  });

  it('a misspelt command exits 2 with "did you mean", and help of an unknown command too', () => {
    const r = run('stauts');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('unknown command "stauts"; did you mean `imessage-gateway status`?\n');
    expect(r.stdout).toBe('');
    const h = run('help', 'delivry');
    expect(h.code).toBe(2);
    expect(h.stderr).toContain('did you mean `imessage-gateway delivery`?');
    const far = run('frobnicate');
    expect(far.stderr).toBe('unknown command "frobnicate"; `imessage-gateway help` lists the commands\n');
  });

  it("a bad option is followed by that command's usage, not the whole table", () => {
    const r = run('status', '--bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain(commandUsage('status'));
    expect(r.stderr).not.toContain('imessage-gateway send');
  });
});
