/**
 * `imessage-gateway doctor` against imsg-sim in its fault modes. Each account's cliPath is a small
 * /bin/sh wrapper that sets the simulator's fault switches (or imitates ssh), the way an
 * operator's wrapper sits in front of imsg. Needs dist/ (npx tsc -p tsconfig.build.json).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, runDoctor, type DoctorReport } from '../../src/cli/doctor-command.js';
import { inspectWrapper } from '../../src/util/executable.js';
import { wrapperCommand } from '../../src/cli/wrapper-command.js';
import { createSimDb, REPO, simWrapper, tempDir } from '../helpers/sim-db.js';

beforeAll(() => {
  if (!existsSync(path.join(REPO, 'dist/sim/cli.js'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, encoding: 'utf8' });
    if (!existsSync(path.join(REPO, 'dist/sim/cli.js'))) throw new Error(`cannot build the simulator: ${r.stdout}${r.stderr}`);
  }
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Setup {
  home: string;
  db: string;
}

function setup(): Setup {
  const home = tempDir('gw-doctor-');
  dirs.push(home);
  chmodSync(home, 0o700);
  return { home, db: createSimDb(home) };
}

function writeConfig(home: string, accounts: Record<string, Record<string, unknown>>): string {
  const file = path.join(home, 'config.json5');
  const config = { imessage: { accounts }, agents: { list: [{ id: 'main', handler: { type: 'echo' } }] } };
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

function script(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

async function doctor(home: string, extra: { account?: string; config?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  const lines: string[] = [];
  const code = await doctorCommand({ home, json: true, timeoutMs: 8000, ...extra }, (l) => lines.push(l));
  const report = JSON.parse(lines.join('\n')) as DoctorReport;
  return { code, report };
}

function failures(report: DoctorReport) {
  return report.checks.filter((c) => !c.ok);
}

describe('doctor', () => {
  it('passes a healthy account: exit 0, every check ok, one human line per check', async () => {
    const { home, db } = setup();
    const wrapper = simWrapper(home, 'imsg-ok', {});
    writeConfig(home, { bot: { cliPath: wrapper, dbPath: db } });
    const { code, report } = await doctor(home);
    expect(failures(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.account, c.check])).toEqual([
      [undefined, 'node'],
      [undefined, 'home'],
      [undefined, 'home-file'],
      [undefined, 'config'],
      ['bot', 'cliPath'],
      ['bot', 'imsg'],
    ]);

    const lines: string[] = [];
    expect(await doctorCommand({ home, timeoutMs: 8000 }, (l) => lines.push(l))).toBe(0);
    expect(lines).toHaveLength(7);
    expect(lines.slice(0, 6).every((l) => l.startsWith('ok  '))).toBe(true);
    expect(lines[0]).toMatch(new RegExp(`^ok  \\s+node\\s+Node\\.js ${process.version.replace(/\./g, '\\.')} \\(SQLite \\d+\\.\\d+`));
    expect(lines[5]).toMatch(/\[bot\] imsg\s+`imsg-ok rpc` answered chats\.list/);
    expect(lines[6]).toBe('all 6 checks passed');
  });

  it('fails on a Node below 22.13, naming the version and the supported lines', async () => {
    const { home, db } = setup();
    writeConfig(home, { bot: { cliPath: simWrapper(home, 'imsg-ok', {}), dbPath: db } });
    const report = await runDoctor({ home, timeoutMs: 8000, nodeVersion: 'v20.20.2' });
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({
      check: 'node',
      ok: false,
      finding: 'node-unsupported',
      detail: 'Node.js v20.20.2 is not supported (supported: 22.13+, 24 or 26)',
    });
  });

  it.each(['json', 'text'])('reports missing Full Disk Access (%s form), naming the binary', async (form) => {
    const { home, db } = setup();
    // The json and text banners are imsg 0.7-0.13 forms: the 0.9 profile (0.15 answers -32002).
    const wrapper = simWrapper(home, `imsg-fda-${form}`, { IMSG_SIM_PERMISSION_DENIED: form, IMSG_SIM_PROFILE: '0.9' });
    writeConfig(home, { bot: { cliPath: wrapper, dbPath: db } });
    const { code, report } = await doctor(home);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const [f, ...more] = failures(report);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ account: 'bot', check: 'imsg', finding: 'full-disk-access' });
    expect(f!.detail).toContain(`Full Disk Access is missing for ${realpathSync(wrapper)}`);
    expect(f!.detail).toContain('(the file exists)');
    expect(f!.detail).toContain(`[${form} form]`);
    expect(f!.fix).toContain(`Grant Full Disk Access`);
    expect(f!.fix).toContain(realpathSync(wrapper));
  });

  it('tells a missing database apart from Full Disk Access when imsg runs locally', async () => {
    const { home } = setup();
    const wrapper = simWrapper(home, 'imsg', {});
    const missing = path.join(home, 'nowhere', 'chat.db');
    writeConfig(home, { bot: { cliPath: wrapper, dbPath: missing } });
    const { code, report } = await doctor(home);
    expect(code).toBe(1);
    const [f] = failures(report);
    expect(f).toMatchObject({ account: 'bot', check: 'imsg', finding: 'database-missing' });
    expect(f!.detail).toContain(`${missing} does not exist`);
    expect(f!.fix).toMatch(/dbPath/);
  });

  it('behind an SSH wrapper, says FDA or a missing database on the other side (cannot look locally)', async () => {
    const { home } = setup();
    const wrapper = script(
      home,
      'imsg-remote',
      `: exec /usr/bin/ssh -o BatchMode=yes -T bot@mac-mini /opt/homebrew/bin/imsg\nexport IMSG_SIM_PERMISSION_DENIED=json\nexec "${process.execPath}" "${REPO}/bin/imsg-sim.js" "$@"`,
    );
    writeConfig(home, { bot: { cliPath: wrapper, dbPath: '/Users/bot/Library/Messages/chat.db' } });
    const { code, report } = await doctor(home);
    expect(code).toBe(1);
    expect(report.checks.find((c) => c.check === 'cliPath')?.detail).toContain('an SSH wrapper to bot@mac-mini');
    const [f] = failures(report);
    expect(f).toMatchObject({ finding: 'full-disk-access' });
    expect(f!.detail).toContain('imsg on bot@mac-mini cannot open /Users/bot/Library/Messages/chat.db');
    expect(f!.detail).toContain('cannot tell them apart');
  });

  it('reports a cliPath that does not exist, is not executable, or is not on PATH', async () => {
    const { home, db } = setup();
    const notExec = path.join(home, 'imsg-noexec');
    writeFileSync(notExec, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const binDir = path.join(home, 'bin');
    mkdirSync(binDir);
    simWrapper(binDir, 'imsg-on-path', {});
    writeConfig(home, {
      gone: { cliPath: path.join(home, 'no-such-imsg'), dbPath: db },
      noexec: { cliPath: notExec, dbPath: db },
      bare: { cliPath: 'imsg-not-installed', dbPath: db },
      onpath: { cliPath: 'imsg-on-path', dbPath: db },
    });
    const { code, report } = await doctor(home, { env: { PATH: `/nonexistent:${binDir}` } });
    expect(code).toBe(1);
    const byAccount = Object.fromEntries(failures(report).map((c) => [c.account, c]));
    expect(byAccount.gone).toMatchObject({ check: 'cliPath', finding: 'cliPath-not-found' });
    expect(byAccount.gone!.detail).toContain('no-such-imsg does not exist');
    expect(byAccount.noexec).toMatchObject({ check: 'cliPath', finding: 'cliPath-not-executable', fix: `chmod +x ${notExec}` });
    expect(byAccount.bare).toMatchObject({ check: 'cliPath', finding: 'cliPath-not-found' });
    expect(byAccount.bare!.detail).toContain(`"imsg-not-installed" is not on PATH (/nonexistent:${binDir})`);
    expect(byAccount.onpath).toBeUndefined();
    expect(report.checks.find((c) => c.account === 'onpath' && c.check === 'cliPath')?.detail).toBe(path.join(binDir, 'imsg-on-path'));
    expect(report.checks.find((c) => c.account === 'onpath' && c.check === 'imsg')?.ok).toBe(true);
    // No probe for an account whose executable is unusable.
    expect(report.checks.filter((c) => c.check === 'imsg').map((c) => c.account)).toEqual(['onpath']);
  });

  it('classifies a hang as a timeout and stops the probe child', async () => {
    const { home, db } = setup();
    const spawnLog = path.join(home, 'spawns.log');
    const wrapper = simWrapper(home, 'imsg-hang', { IMSG_SIM_HANG_AFTER_REQUESTS: '0', IMSG_SIM_SPAWN_LOG: spawnLog });
    writeConfig(home, { bot: { cliPath: wrapper, dbPath: db } });
    const started = Date.now();
    const { code, report } = await doctor(home, { timeoutMs: 400 });
    expect(Date.now() - started).toBeLessThan(6000);
    expect(code).toBe(1);
    const [f] = failures(report);
    expect(f).toMatchObject({ account: 'bot', check: 'imsg', finding: 'timeout', detail: 'no answer to chats.list within 400 ms' });
    expect(f!.fix).toMatch(/permission prompt/);
    const { pid } = JSON.parse(readFileSync(spawnLog, 'utf8').trim().split('\n')[0]!) as { pid: number };
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('recognises SSH failures: host key, login, unreachable', async () => {
    const { home } = setup();
    const fake = (name: string, message: string) =>
      script(
        home,
        name,
        `ssh() { echo "${message}" >&2; exit 255; }\nssh -o BatchMode=yes -o ConnectTimeout=5 -T bot@mac-mini /opt/homebrew/bin/imsg "$@"`,
      );
    const plain = script(home, 'imsg-hostkey-plain', 'echo "Host key verification failed." >&2\nexit 255');
    writeConfig(home, {
      hostkey: { cliPath: fake('imsg-hostkey', 'Host key verification failed.') },
      plain: { cliPath: plain },
      auth: { cliPath: fake('imsg-auth', 'bot@mac-mini: Permission denied (publickey,password).') },
      down: { cliPath: fake('imsg-down', 'ssh: Could not resolve hostname mac-mini: nodename nor servname provided, or not known') },
    });
    const { code, report } = await doctor(home);
    expect(code).toBe(1);
    const byAccount = Object.fromEntries(failures(report).map((c) => [c.account, c]));
    expect(byAccount.hostkey).toMatchObject({ check: 'imsg', finding: 'ssh-host-key' });
    expect(byAccount.hostkey!.fix).toContain('ssh bot@mac-mini true');
    expect(byAccount.plain).toMatchObject({ finding: 'ssh-host-key', detail: 'SSH host key unknown: Host key verification failed.' });
    expect(byAccount.auth).toMatchObject({ finding: 'ssh-auth' });
    expect(byAccount.auth!.fix).toContain('ssh-copy-id bot@mac-mini');
    expect(byAccount.down).toMatchObject({ finding: 'ssh-unreachable' });
  });

  it('recognises an imsg without rpc', async () => {
    const { home } = setup();
    const old = script(home, 'imsg-old', 'echo "Error: Unknown subcommand \'rpc\'" >&2\nexit 64');
    writeConfig(home, { bot: { cliPath: old } });
    const { report } = await doctor(home);
    expect(failures(report)[0]).toMatchObject({ finding: 'unsupported' });
    expect(failures(report)[0]!.fix).toMatch(/Upgrade imsg/);
  });

  it('reports a home and files that others can read', async () => {
    const { home, db } = setup();
    writeConfig(home, { bot: { cliPath: simWrapper(home, 'imsg', {}), dbPath: db } });
    chmodSync(home, 0o755);
    writeFileSync(path.join(home, 'state.db'), '', { mode: 0o644 });
    chmodSync(path.join(home, 'state.db'), 0o644);
    writeFileSync(path.join(home, 'control-token'), 'x', { mode: 0o600 });
    chmodSync(path.join(home, 'config.json5'), 0o640);
    const { code, report } = await doctor(home);
    // Warnings (the gateway runs, but others can read its files): exit 0, each with its fix.
    expect(code).toBe(0);
    expect(failures(report)).toEqual([]);
    expect(report.warnings).toBe(3);
    expect(report.checks.filter((c) => c.level === 'warn')).toEqual([
      { check: 'home', ok: true, level: 'warn', finding: 'home-mode', detail: `${home} is mode 0755: other users can list it`, fix: `chmod 700 ${home} (or \`imessage-gateway doctor --fix\`)` },
      expect.objectContaining({ check: 'home-file', finding: 'file-mode', fix: `chmod 600 ${path.join(home, 'config.json5')} (or \`imessage-gateway doctor --fix\`)` }),
      expect.objectContaining({ check: 'home-file', finding: 'file-mode', detail: `${path.join(home, 'state.db')} is mode 0644: readable or writable by group or others` }),
    ]);
    // The accounts are still checked.
    expect(report.checks.find((c) => c.check === 'imsg')?.ok).toBe(true);
    const lines: string[] = [];
    await doctorCommand({ home, timeoutMs: 8000 }, (l) => lines.push(l));
    expect(lines.filter((l) => l.startsWith('WARN  '))).toHaveLength(3);
    expect(lines.at(-1)).toBe('no problem that stops the gateway; 3 warnings (`doctor --fix` repairs file modes)');

    // --fix: the home to 0700, the files to 0600; the next run is clean. A file that is not the
    // gateway's is left alone.
    writeFileSync(path.join(home, 'notes.txt'), 'mine', { mode: 0o644 });
    chmodSync(path.join(home, 'notes.txt'), 0o644);
    const fixed = await runDoctor({ home, timeoutMs: 8000, fix: true });
    expect(fixed.checks.filter((c) => c.check === 'fix').map((c) => c.detail)).toEqual([
      `chmod 700 ${home} (was 0755)`,
      `chmod 600 ${path.join(home, 'config.json5')} (was 0640)`,
      `chmod 600 ${path.join(home, 'state.db')} (was 0644)`,
    ]);
    expect(fixed.warnings).toBe(0);
    expect(fixed.ok).toBe(true);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(home, 'state.db')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(home, 'notes.txt')).mode & 0o777).toBe(0o644);
    expect((await runDoctor({ home, timeoutMs: 8000 })).warnings).toBe(0);
  });

  it('warns (exit 0) about two accounts on one Messages database, and fails (exit 1) on a Node that is not supported', async () => {
    const { home, db } = setup();
    const wrapper = simWrapper(home, 'imsg-ok', {});
    writeConfig(home, { a: { cliPath: wrapper, dbPath: db }, b: { cliPath: wrapper, dbPath: db } });
    const { code, report } = await doctor(home);
    expect(code).toBe(0);
    expect(report.checks.find((c) => c.finding === 'config-warning')).toMatchObject({ level: 'warn', ok: true });
    expect(report.checks.find((c) => c.finding === 'config-warning')!.detail).toContain('read the same Messages database');
    for (const [version, supported] of [['v22.12.0', false], ['v22.13.0', true], ['v23.11.0', false], ['v24.1.0', true], ['v25.0.0', false], ['v26.0.0', true]] as const) {
      const r = await runDoctor({ home, timeoutMs: 8000, nodeVersion: version });
      expect(r.checks[0], version).toMatchObject({ check: 'node', level: supported ? 'ok' : 'fail' });
      expect(r.ok, version).toBe(supported);
    }
  });

  it('reports an invalid or missing config as a finding, not a crash', async () => {
    const { home } = setup();
    writeFileSync(path.join(home, 'config.json5'), '{ imessage: { dmPolicy: "sometimes" }, ', { mode: 0o600 });
    const bad = await doctor(home);
    expect(bad.code).toBe(1);
    expect(failures(bad.report)).toEqual([expect.objectContaining({ check: 'config', finding: 'config-invalid' })]);
    expect(failures(bad.report)[0]!.fix).toContain('config check');

    const lines: string[] = [];
    const code = await doctorCommand({ home, config: path.join(home, 'absent.json5') }, (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines.find((l) => l.startsWith('FAIL  config'))).toContain(`no config file at ${path.join(home, 'absent.json5')}`);
    expect(lines.some((l) => l.trim().startsWith('fix: Edit'))).toBe(true);
    expect(lines.at(-1)).toBe('1 problem found');
  });

  it('checks only the account named by --account, and reports an unknown one', async () => {
    const { home, db } = setup();
    writeConfig(home, {
      good: { cliPath: simWrapper(home, 'imsg', {}), dbPath: db },
      bad: { cliPath: path.join(home, 'missing') },
      off: { enabled: false, cliPath: simWrapper(home, 'imsg2', {}), dbPath: db },
    });
    const one = await doctor(home, { account: 'Good' });
    expect(one.code).toBe(0);
    expect(one.report.checks.filter((c) => c.account).map((c) => c.account)).toEqual(['good', 'good']);

    const off = await doctor(home, { account: 'off' });
    expect(off.code).toBe(0);
    expect(off.report.checks.find((c) => c.check === 'account')?.detail).toMatch(/disabled/);

    const all = await doctor(home);
    expect(all.code).toBe(1);
    expect(new Set(all.report.checks.map((c) => c.account).filter(Boolean))).toEqual(new Set(['good', 'bad']));

    const unknown = await doctor(home, { account: 'nope' });
    expect(unknown.code).toBe(1);
    expect(failures(unknown.report)).toEqual([expect.objectContaining({ check: 'accounts', finding: 'account-unknown' })]);
    expect(failures(unknown.report)[0]!.detail).toContain('accounts: bad, good, off');
  });

  it('recognises the wrapper that `wrapper ssh` prints as an SSH wrapper, and a plain script or binary as not', () => {
    const { home } = setup();
    const lines: string[] = [];
    wrapperCommand({ kind: 'ssh', host: 'localhost', user: 'bot' }, (l) => lines.push(l), () => undefined);
    const file = path.join(home, 'imsg-bot');
    writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o755 });
    expect(inspectWrapper(file)).toEqual({ ssh: true, destination: 'bot@localhost' });
    expect(inspectWrapper(simWrapper(home, 'imsg', {}))).toEqual({ ssh: false });
    expect(inspectWrapper(process.execPath)).toEqual({ ssh: false });
  });
});
