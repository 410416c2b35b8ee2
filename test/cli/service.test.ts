/**
 * `imessage-gateway service install|uninstall|status`: the generated files against golden files
 * (test/fixtures/service/, regenerate with UPDATE_GOLDEN=1), dry runs that write nothing, and an
 * install → status → uninstall round trip in a temporary home. Install and uninstall never run
 * launchctl/systemctl; status asks them whether the service runs: here they are small scripts on
 * the PATH given to status (the real tools would answer for this machine's services).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceCommand, type ServiceOptions } from '../../src/cli/service-command.js';
import {
  renderLaunchAgentPlist,
  renderSystemdUnit,
  systemdEnvironment,
  systemdExecArg,
  xmlEscape,
} from '../../src/cli/service/service-files.js';
import { REPO, simWrapper, tempDir } from '../helpers/sim-db.js';

const GOLDEN = path.join(REPO, 'test', 'fixtures', 'service');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** A PATH with stand-in systemctl and launchctl that answer as STUB_STATE says and log their argv. */
const TOOLS = tempDir('gw-service-tools-');
const TOOL_LOG = path.join(TOOLS, 'argv.log');
writeFileSync(
  path.join(TOOLS, 'systemctl'),
  `#!/bin/sh
printf '%s|' "$@" >> "$STUB_LOG"; echo >> "$STUB_LOG"
case "$STUB_STATE" in
  active) echo active; exit 0;;
  nobus) echo "Failed to connect to bus: No medium found" >&2; exit 1;;
  *) echo "$STUB_STATE"; exit 3;;
esac
`,
);
writeFileSync(
  path.join(TOOLS, 'launchctl'),
  `#!/bin/sh
printf '%s|' "$@" >> "$STUB_LOG"; echo >> "$STUB_LOG"
case "$STUB_STATE" in
  active) printf '%s = {\\n\\tactive count = 1\\n\\tstate = running\\n\\tpid = 4242\\n}\\n' "$2"; exit 0;;
  loaded) printf '%s = {\\n\\tstate = not running\\n}\\n' "$2"; exit 0;;
  *) echo "Bad request." >&2; echo "Could not find service in domain for user gui: 501" >&2; exit 113;;
esac
`,
);
chmodSync(path.join(TOOLS, 'systemctl'), 0o755);
chmodSync(path.join(TOOLS, 'launchctl'), 0o755);
const tools = (state: string): NodeJS.ProcessEnv => ({ PATH: TOOLS, STUB_STATE: state, STUB_LOG: TOOL_LOG });

const MAC: ServiceOptions = {
  action: 'install',
  platform: 'darwin',
  homeDir: '/Users/alice',
  gatewayHome: '/Users/alice/.imessage-gateway',
  nodePath: '/opt/homebrew/bin/node',
  entryPath: '/opt/homebrew/lib/node_modules/imessage-gateway/bin/imessage-gateway.js',
  config: '/Users/alice/.imessage-gateway/config.json5',
  env: tools('active'),
};

const LINUX: ServiceOptions = {
  action: 'install',
  platform: 'linux',
  homeDir: '/home/alice',
  gatewayHome: '/home/alice/.imessage-gateway',
  nodePath: '/usr/bin/node',
  entryPath: '/usr/lib/node_modules/imessage-gateway/bin/imessage-gateway.js',
  env: tools('active'),
};

function run(opts: ServiceOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const code = serviceCommand(opts, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err, text: out.join('\n') };
}

/** The file content as printed (indented by four spaces after the "wrote"/"would write" line). */
function printedContent(out: string[]): string {
  const start = out.findIndex((l) => /^(wrote|dry run: would write) /.test(l)) + 1;
  const end = out.indexOf('', start);
  return `${out.slice(start, end).map((l) => l.slice(4)).join('\n')}\n`;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = tempDir('gw-service-');
  dirs.push(d);
  return d;
}

describe('service files (golden)', () => {
  it('macOS LaunchAgent plist', () => {
    const { code, out } = run({ ...MAC, dryRun: true });
    expect(code).toBe(0);
    golden('dev.imessage-gateway.plist', printedContent(out));
    expect(out[0]).toBe('dry run: would write /Users/alice/Library/LaunchAgents/dev.imessage-gateway.plist (nothing written):');
  });

  it('Linux systemd user unit', () => {
    const { code, out } = run({ ...LINUX, dryRun: true });
    expect(code).toBe(0);
    golden('imessage-gateway.service', printedContent(out));
    expect(out[0]).toBe('dry run: would write /home/alice/.config/systemd/user/imessage-gateway.service (nothing written):');
  });

  it('the plist is a valid property list with the expected values (parsed by Python plistlib)', () => {
    const py = spawnSync('python3', ['-c', 'import sys, json, plistlib; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], {
      input: renderLaunchAgentPlist({ nodePath: '/n/node', entryPath: '/e & <x>/gw.js', gatewayHome: `/h/"it's"`, configPath: '/c/a&b.json5' }),
      encoding: 'utf8',
    });
    if (py.error) return; // no python3 here: the golden test still pins the text
    expect(py.status, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual({
      Label: 'dev.imessage-gateway',
      ProgramArguments: ['/n/node', '--max-semi-space-size=16', '/e & <x>/gw.js', 'start', '--config', '/c/a&b.json5'],
      EnvironmentVariables: { IMESSAGE_GATEWAY_HOME: `/h/"it's"`, PATH: '/n:/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' },
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 10,
      ExitTimeOut: 30,
      StandardOutPath: `/h/"it's"/logs/gateway.log`,
      StandardErrorPath: `/h/"it's"/logs/gateway.err.log`,
    });
  });

  it('XML-escapes and systemd-quotes values', () => {
    expect(xmlEscape(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
    expect(systemdExecArg('/usr/bin/node')).toBe('/usr/bin/node');
    expect(systemdExecArg('/a b/c')).toBe('"/a b/c"');
    expect(systemdExecArg('/x"y\\z%n$HOME')).toBe('"/x\\"y\\\\z%%n$$HOME"');
    expect(systemdEnvironment('IMESSAGE_GATEWAY_HOME', '/a b/%h')).toBe('"IMESSAGE_GATEWAY_HOME=/a b/%%h"');
    const unit = renderSystemdUnit({ nodePath: '/usr/bin/node', entryPath: '/opt/gw/bin/imessage-gateway.js', gatewayHome: '/home/a/gw home', configPath: '/home/a/my "cfg".json5' });
    expect(unit).toContain('ExecStart=/usr/bin/node --max-semi-space-size=16 /opt/gw/bin/imessage-gateway.js start --config "/home/a/my \\"cfg\\".json5"\n');
    expect(unit).toContain('Environment="IMESSAGE_GATEWAY_HOME=/home/a/gw home"\n');
  });

  it('systemd-analyze accepts the unit (when available)', () => {
    const dir = tmp();
    const unit = path.join(dir, 'imessage-gateway.service');
    writeFileSync(
      unit,
      renderSystemdUnit({ nodePath: process.execPath, entryPath: path.join(REPO, 'bin/imessage-gateway.js'), gatewayHome: path.join(dir, 'a b%c'), configPath: path.join(dir, 'x "y" $HOME.json5') }),
    );
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 20_000 });
    if (r.error) return; // not installed
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects values with a line break, and other platforms', () => {
    const bad = run({ ...LINUX, config: '/home/alice/a\nb.json5' });
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/configPath .* contains a control character/);
    const win = run({ ...LINUX, platform: 'win32' });
    expect(win.code).toBe(1);
    expect(win.out).toEqual([]);
    expect(win.err.join('\n')).toMatch(/macOS \(launchd LaunchAgent\) and Linux \(systemd user unit\), not for win32/);
  });
});

describe('service install / status / uninstall', () => {
  it('dry runs write nothing and remove nothing', () => {
    const home = tmp();
    const opts: ServiceOptions = { ...LINUX, homeDir: home, gatewayHome: path.join(home, 'gw'), dryRun: true };
    expect(run(opts).code).toBe(0);
    expect(run({ ...opts, platform: 'darwin' }).code).toBe(0);
    expect(spawnSync('find', [home, '-mindepth', '1'], { encoding: 'utf8' }).stdout).toBe('');

    const real = run({ ...opts, dryRun: false });
    const file = path.join(home, '.config/systemd/user/imessage-gateway.service');
    expect(real.out[0]).toBe(`wrote ${file}:`);
    const dry = run({ ...opts, action: 'uninstall' });
    expect(dry.out[0]).toBe(`dry run: would remove ${file} (nothing removed)`);
    expect(existsSync(file)).toBe(true);
  });

  it('Linux: install writes the unit, status matches, a changed file is reported, uninstall removes it', () => {
    const home = tmp();
    const opts: ServiceOptions = { ...LINUX, homeDir: home, gatewayHome: path.join(home, 'gw') };
    const file = path.join(home, '.config/systemd/user/imessage-gateway.service');

    const before = run({ ...opts, action: 'status' });
    expect(before.code).toBe(3);
    expect(before.out[0]).toBe(`not installed: ${file} does not exist`);

    const inst = run(opts);
    expect(inst.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(printedContent(inst.out));
    expect(readFileSync(file, 'utf8')).toContain(`Environment="IMESSAGE_GATEWAY_HOME=${path.join(home, 'gw')}"`);
    expect(inst.out).toContain('    systemctl --user daemon-reload && systemctl --user enable --now imessage-gateway');
    expect(inst.text).toContain('loginctl enable-linger');
    expect(run(opts).out[0]).toBe(`wrote ${file} (unchanged):`);

    const st = run({ ...opts, action: 'status' });
    expect(st.code).toBe(0);
    expect(st.out[0]).toBe(`installed: ${file} matches what \`service install\` would write`);

    // Installed with another --config: status (without it) says it differs.
    run({ ...opts, config: path.join(home, 'other.json5') });
    const differs = run({ ...opts, action: 'status' });
    expect(differs.code).toBe(1);
    expect(differs.out[0]).toMatch(/^installed, but .* differs/);
    expect(differs.text).toContain('--config');

    // uninstall also removes the enable symlink (what `systemctl --user disable` would remove).
    const wants = path.join(home, '.config/systemd/user/default.target.wants');
    mkdirSync(wants);
    symlinkSync(file, path.join(wants, 'imessage-gateway.service'));
    const un = run({ ...opts, action: 'uninstall' });
    expect(un.code).toBe(0);
    expect(un.out.slice(0, 2)).toEqual([`removed ${file}`, `removed ${path.join(wants, 'imessage-gateway.service')}`]);
    expect(existsSync(file)).toBe(false);
    expect(run({ ...opts, action: 'status' }).code).toBe(3);
    expect(run({ ...opts, action: 'uninstall' }).out[0]).toBe(`nothing to remove: ${file} does not exist`);
  });

  it('macOS: install writes the plist and the log directory, and names the binaries that need Full Disk Access', () => {
    const home = tmp();
    const gw = path.join(home, 'gw');
    mkdirSync(gw, { mode: 0o700 });
    const bin = path.join(home, 'bin');
    mkdirSync(bin);
    const node = path.join(bin, 'node'); // a symlink, like /opt/homebrew/bin/node → Cellar
    symlinkSync(process.execPath, node);
    const imsg = simWrapper(bin, 'imsg', {});
    const config = path.join(gw, 'config.json5');
    writeFileSync(
      config,
      JSON.stringify({ imessage: { accounts: { bot: { cliPath: imsg }, off: { enabled: false, cliPath: '/nowhere/imsg' } } }, agents: { list: [{ id: 'main', handler: { type: 'echo' } }] } }),
      { mode: 0o600 },
    );
    const opts: ServiceOptions = { ...MAC, homeDir: home, gatewayHome: gw, nodePath: node, config };
    const plist = path.join(home, 'Library/LaunchAgents/dev.imessage-gateway.plist');

    const inst = run(opts);
    expect(inst.code).toBe(0);
    expect(inst.out[0]).toBe(`wrote ${plist}:`);
    const content = readFileSync(plist, 'utf8');
    expect(content).toBe(printedContent(inst.out));
    expect(content).toContain(`<string>${node}</string>`);
    expect(content).toContain(`<string>${path.join(gw, 'logs/gateway.log')}</string>`);
    expect(statSync(path.join(gw, 'logs')).mode & 0o777).toBe(0o700);
    expect(inst.text).toContain(`launchctl bootstrap gui/$(id -u) ${plist}`);
    const fda = inst.out.indexOf('Full Disk Access (System Settings → Privacy & Security → Full Disk Access) is needed by:');
    expect(fda).toBeGreaterThan(0);
    expect(inst.out[fda + 1]).toContain(realpathSync(process.execPath));
    expect(inst.out[fda + 2]).toBe(`  ${realpathSync(imsg)}    imsg of account bot`);
    expect(inst.text).not.toContain('/nowhere/imsg');
    expect(inst.text).toContain(`note: ${node} resolves to ${realpathSync(process.execPath)}: grant the resolved path.`);

    const st = run({ ...opts, action: 'status' });
    expect(st.code).toBe(0);
    expect(st.out[0]).toBe(`installed: ${plist} matches what \`service install\` would write`);
    expect(st.text).toContain(realpathSync(process.execPath));

    writeFileSync(plist, content.replace('<integer>10</integer>', '<integer>1</integer>'));
    const differs = run({ ...opts, action: 'status' });
    expect(differs.code).toBe(1);
    expect(differs.out[1]).toMatch(/line \d+: installed "  <integer>1<\/integer>"/);

    const un = run({ ...opts, action: 'uninstall' });
    expect(un.out).toEqual([`removed ${plist}`, 'If it is loaded, stop it: launchctl bootout gui/$(id -u)/dev.imessage-gateway']);
    expect(existsSync(plist)).toBe(false);
  });
});

describe('service status asks the service manager whether it runs', () => {
  function installed(platform: 'linux' | 'darwin') {
    const home = tmp();
    const opts: ServiceOptions = { ...(platform === 'linux' ? LINUX : MAC), homeDir: home, gatewayHome: path.join(home, 'gw') };
    delete opts.config;
    expect(run(opts).code).toBe(0);
    return (state: string | NodeJS.ProcessEnv) => run({ ...opts, action: 'status', env: typeof state === 'string' ? tools(state) : state });
  }

  it('Linux: systemctl --user is-active, without a shell: active 0, inactive or failed 3, no bus or no systemctl 4', () => {
    const status = installed('linux');
    writeFileSync(TOOL_LOG, '');
    const up = status('active');
    expect(up.code).toBe(0);
    expect(up.out[1]).toBe('running: systemctl --user is-active imessage-gateway.service: active');
    // The argv as given: no shell in between.
    expect(readFileSync(TOOL_LOG, 'utf8')).toBe('--user|is-active|imessage-gateway.service|\n');
    for (const state of ['inactive', 'failed']) {
      const down = status(state);
      expect(down.code, state).toBe(3);
      expect(down.out[1]).toBe(`not running: systemctl --user is-active imessage-gateway.service: ${state}`);
      expect(down.out[2]).toContain('systemctl --user enable --now imessage-gateway.service');
      expect(down.out[2]).toContain('journalctl --user -u imessage-gateway.service');
    }
    const nobus = status('nobus');
    expect(nobus.code).toBe(4);
    expect(nobus.out[1]).toBe('running: unknown: systemctl --user is-active imessage-gateway.service did not say (exit 1: Failed to connect to bus: No medium found)');
    const missing = status({ PATH: tmp() });
    expect(missing.code).toBe(4);
    expect(missing.out[1]).toBe('running: unknown: systemctl is not installed (not found on PATH): cannot tell whether the service runs');
  });

  it('macOS: launchctl print gui/UID/LABEL: running 0 (with its pid), loaded but not running or not loaded 3, no launchctl 4', () => {
    const status = installed('darwin');
    const uid = process.getuid!();
    writeFileSync(TOOL_LOG, '');
    const up = status('active');
    expect(up.code).toBe(0);
    expect(up.out[1]).toBe(`running: launchctl print gui/${uid}/dev.imessage-gateway: state = running, pid 4242`);
    expect(readFileSync(TOOL_LOG, 'utf8')).toBe(`print|gui/${uid}/dev.imessage-gateway|\n`);
    const loaded = status('loaded');
    expect(loaded.code).toBe(3);
    expect(loaded.out[1]).toBe(`not running: launchctl print gui/${uid}/dev.imessage-gateway: loaded, state = not running`);
    const gone = status('absent');
    expect(gone.code).toBe(3);
    expect(gone.out[1]).toBe(`not running: launchctl print gui/${uid}/dev.imessage-gateway: not loaded (exit 113: Bad request.)`);
    expect(gone.out[2]).toContain('launchctl bootstrap gui/$(id -u)');
    const missing = status({ PATH: tmp() });
    expect(missing.code).toBe(4);
    expect(missing.out[1]).toBe('running: unknown: launchctl is not installed (not found on PATH): cannot tell whether the service runs');
  });

  it('a file that differs still answers 1, whatever the manager says', () => {
    const home = tmp();
    const opts: ServiceOptions = { ...LINUX, homeDir: home, gatewayHome: path.join(home, 'gw') };
    run({ ...opts, config: path.join(home, 'other.json5') });
    expect(run({ ...opts, action: 'status', env: tools('inactive') }).code).toBe(1);
  });
});
