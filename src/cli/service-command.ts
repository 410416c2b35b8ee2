/**
 * `imessage-gateway service install|uninstall|status [--dry-run] [--config FILE]`: writes (or
 * removes, or compares) a launchd LaunchAgent on macOS or a systemd user unit on Linux. Install
 * and uninstall never run launchctl or systemctl: they print the commands to run. `status` asks
 * them (read-only) whether the service runs: `systemctl --user is-active`, `launchctl print`.
 *
 * Exit codes: install/uninstall 0 (1 on an error); status 0 when installed, up to date and
 * running, 1 when installed but different from what install would write, 3 when not installed or
 * not running, 4 when the service manager could not be asked (its tool missing, no user session);
 * 1 on an unsupported platform or an unusable value.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfigPath, resolveHome } from '../config/index.js';
import { ensurePrivateDir } from '../util/private-file.js';
import { permissionLines } from './service/permissions.js';
import { launchdRunning, type Running, runTool, systemdRunning } from './service/service-running.js';
import {
  LAUNCHD_LABEL,
  launchdPath,
  logPaths,
  renderLaunchAgentPlist,
  renderSystemdUnit,
  type ServiceSpec,
  SYSTEMD_UNIT_NAME,
  unsafeServiceValue,
} from './service/service-files.js';

export interface ServiceOptions {
  action: 'install' | 'uninstall' | 'status';
  dryRun?: boolean;
  config?: string;
  /** For tests: the platform to write for (default process.platform). */
  platform?: NodeJS.Platform;
  /** The user's home (where ~/Library/LaunchAgents or ~/.config/systemd/user is); default os.homedir(). */
  homeDir?: string;
  /** The node binary the service runs; default process.execPath. */
  nodePath?: string;
  /** bin/imessage-gateway.js; default the one of this installation. */
  entryPath?: string;
  /** The gateway home given to the service; default resolveHome() (with HOME = homeDir when given). */
  gatewayHome?: string;
  /** The environment systemctl/launchctl are found and run in (`status`); default process.env. */
  env?: NodeJS.ProcessEnv;
}

type Out = (line: string) => void;

const defaultErr: Out = (line) => process.stderr.write(`${line}\n`);

interface Target {
  kind: 'launchd' | 'systemd';
  file: string;
  content: string;
  spec: ServiceSpec;
  homeDir: string;
}

function ownEntryPath(): string {
  const entry = fileURLToPath(new URL('../../bin/imessage-gateway.js', import.meta.url));
  try {
    return realpathSync(entry);
  } catch {
    return entry;
  }
}

function resolveTarget(opts: ServiceOptions): Target | string {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'darwin' && platform !== 'linux') {
    return (
      `service files are written for macOS (launchd LaunchAgent) and Linux (systemd user unit), not for ${platform}; ` +
      'run `imessage-gateway start` under your own process supervisor instead'
    );
  }
  const homeDir = path.resolve(opts.homeDir ?? os.homedir());
  const gatewayHome = path.resolve(
    opts.gatewayHome ?? resolveHome(opts.homeDir !== undefined ? { ...process.env, HOME: homeDir } : process.env),
  );
  const spec: ServiceSpec = {
    nodePath: path.resolve(opts.nodePath ?? process.execPath),
    entryPath: path.resolve(opts.entryPath ?? ownEntryPath()),
    gatewayHome,
    ...(opts.config !== undefined ? { configPath: path.resolve(opts.config) } : {}),
  };
  for (const [name, value] of Object.entries(spec)) {
    const problem = unsafeServiceValue(value as string);
    if (problem) return `cannot write a service file: ${name} ${JSON.stringify(value)} ${problem}`;
  }
  return platform === 'darwin'
    ? {
        kind: 'launchd',
        file: path.join(homeDir, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`),
        content: renderLaunchAgentPlist(spec),
        spec,
        homeDir,
      }
    : {
        kind: 'systemd',
        file: path.join(homeDir, '.config', 'systemd', 'user', SYSTEMD_UNIT_NAME),
        content: renderSystemdUnit(spec),
        spec,
        homeDir,
      };
}

export function serviceCommand(opts: ServiceOptions, out: Out, err: Out = defaultErr): number {
  const target = resolveTarget(opts);
  if (typeof target === 'string') {
    err(target);
    return 1;
  }
  try {
    switch (opts.action) {
      case 'install':
        return install(target, opts, out);
      case 'uninstall':
        return uninstall(target, opts, out);
      case 'status':
        return status(target, opts, out);
      default:
        err(`unknown service action ${JSON.stringify(opts.action)}: use install, uninstall or status`);
        return 2;
    }
  } catch (e) {
    err(`service ${opts.action} failed: ${(e as Error).message}`);
    return 1;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function printContent(content: string, out: Out): void {
  for (const line of content.replace(/\n$/, '').split('\n')) out(`    ${line}`);
}

function configFlag(opts: ServiceOptions, target: Target): string {
  return target.spec.configPath !== undefined ? ` --config ${target.spec.configPath}` : '';
}

/** The config the service will use: --config, else <home>/config.json5. */
function effectiveConfig(target: Target): string {
  return target.spec.configPath ?? defaultConfigPath(target.spec.gatewayHome);
}

function install(target: Target, opts: ServiceOptions, out: Out): number {
  const logs = logPaths(target.spec.gatewayHome);
  const existing = readIfExists(target.file);
  if (opts.dryRun) {
    out(`dry run: would write ${target.file} (nothing written):`);
  } else {
    mkdirSync(path.dirname(target.file), { recursive: true });
    if (existing !== target.content) {
      const tmp = `${target.file}.${process.pid}.tmp`;
      writeFileSync(tmp, target.content, { mode: 0o644 });
      renameSync(tmp, target.file);
    }
    // launchd opens the log files but does not create their directory.
    if (target.kind === 'launchd') ensurePrivateDir(logs.dir);
    out(`wrote ${target.file}${existing === target.content ? ' (unchanged)' : existing !== undefined ? ' (replaced the previous version)' : ''}:`);
  }
  printContent(target.content, out);
  out('');
  const run = opts.dryRun ? 'After a real install, run' : 'Now run (not done for you)';
  if (target.kind === 'launchd') {
    out(`${run}:`);
    out(`    launchctl bootout gui/$(id -u)/${LAUNCHD_LABEL} 2>/dev/null; launchctl bootstrap gui/$(id -u) ${target.file}`);
    out(`Restart it later with: launchctl kickstart -k gui/$(id -u)/${LAUNCHD_LABEL}`);
    out(`Logs: ${logs.out} and ${logs.err}${opts.dryRun ? ` (install creates ${logs.dir}, mode 0700)` : ''}`);
    for (const line of permissionLines(target.spec.nodePath, effectiveConfig(target), { ...process.env, PATH: launchdPath(target.spec.nodePath) })) {
      out(line);
    }
    out('Then check it: imessage-gateway doctor; imessage-gateway status');
  } else {
    out(`${run}:`);
    out('    systemctl --user daemon-reload && systemctl --user enable --now imessage-gateway');
    out('To keep it running while you are logged out: loginctl enable-linger "$USER"');
    out('Logs: journalctl --user -u imessage-gateway -f');
    out('Then check it: imessage-gateway doctor; imessage-gateway status');
  }
  return 0;
}

function uninstall(target: Target, opts: ServiceOptions, out: Out): number {
  const wants = path.join(path.dirname(target.file), 'default.target.wants', SYSTEMD_UNIT_NAME);
  const wantsLink = target.kind === 'systemd' && isSymlink(wants);
  if (!existsSync(target.file) && !wantsLink) {
    out(`nothing to remove: ${target.file} does not exist`);
    return 0;
  }
  const removed = [...(existsSync(target.file) ? [target.file] : []), ...(wantsLink ? [wants] : [])];
  if (opts.dryRun) {
    for (const f of removed) out(`dry run: would remove ${f} (nothing removed)`);
  } else {
    for (const f of removed) {
      unlinkSync(f);
      out(`removed ${f}`);
    }
  }
  if (target.kind === 'launchd') {
    out(`If it is loaded, stop it: launchctl bootout gui/$(id -u)/${LAUNCHD_LABEL}`);
  } else {
    out('If it is running, stop it and forget the unit: systemctl --user stop imessage-gateway; systemctl --user daemon-reload');
  }
  return 0;
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function status(target: Target, opts: ServiceOptions, out: Out): number {
  const existing = readIfExists(target.file);
  if (existing === undefined) {
    out(`not installed: ${target.file} does not exist`);
    out(`Install it with: imessage-gateway service install${configFlag(opts, target)}`);
    return 3;
  }
  let code: number;
  if (existing === target.content) {
    out(`installed: ${target.file} matches what \`service install\` would write`);
    code = 0;
  } else {
    out(`installed, but ${target.file} differs from what \`service install${configFlag(opts, target)}\` would write:`);
    const have = existing.split('\n');
    const want = target.content.split('\n');
    const i = want.findIndex((line, n) => have[n] !== line);
    const n = i === -1 ? want.length : i;
    out(`    line ${n + 1}: installed ${JSON.stringify(have[n] ?? '<end of file>')}`);
    out(`    line ${n + 1}: expected  ${JSON.stringify(want[n] ?? '<end of file>')}`);
    out(`Update it with: imessage-gateway service install${configFlag(opts, target)} (then reload the service)`);
    code = 1;
  }
  const running = serviceRunning(target, opts.env ?? process.env);
  if (running.state === 'running') out(`running: ${running.detail}`);
  else if (running.state === 'stopped') {
    out(`not running: ${running.detail}`);
    out(
      target.kind === 'launchd'
        ? `Start it with: launchctl bootstrap gui/$(id -u) ${target.file} (or launchctl kickstart gui/$(id -u)/${LAUNCHD_LABEL}); its log: ${logPaths(target.spec.gatewayHome).err}`
        : `Start it with: systemctl --user enable --now ${SYSTEMD_UNIT_NAME}; why it stopped: journalctl --user -u ${SYSTEMD_UNIT_NAME}`,
    );
  } else out(`running: unknown: ${running.detail}`);
  if (target.kind === 'launchd') {
    for (const line of permissionLines(target.spec.nodePath, effectiveConfig(target), { ...process.env, PATH: launchdPath(target.spec.nodePath) })) {
      out(line);
    }
  }
  if (code !== 0) return code;
  return running.state === 'running' ? 0 : running.state === 'stopped' ? 3 : 4;
}

function serviceRunning(target: Target, env: NodeJS.ProcessEnv): Running {
  if (target.kind === 'systemd') return systemdRunning(SYSTEMD_UNIT_NAME, runTool('systemctl', ['--user', 'is-active', SYSTEMD_UNIT_NAME], env));
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const domainTarget = `gui/${uid}/${LAUNCHD_LABEL}`;
  return launchdRunning(domainTarget, runTool('launchctl', ['print', domainTarget], env));
}
