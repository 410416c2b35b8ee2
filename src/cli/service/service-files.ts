/**
 * The service files `imessage-gateway service install` writes: a launchd LaunchAgent plist on
 * macOS, a systemd user unit on Linux. Pure functions of their inputs, so golden tests pin them.
 */
import path from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../util/node-flags.js';

export const LAUNCHD_LABEL = 'dev.imessage-gateway';
export const SYSTEMD_UNIT_NAME = 'imessage-gateway.service';
/** Seconds launchd waits between two starts, and that both managers wait for a clean stop. */
export const THROTTLE_INTERVAL_S = 10;
export const STOP_TIMEOUT_S = 30;

export interface ServiceSpec {
  /** Absolute path of the node binary that runs the gateway. */
  nodePath: string;
  /** Absolute path of bin/imessage-gateway.js. */
  entryPath: string;
  /** The gateway home ($IMESSAGE_GATEWAY_HOME for the service). */
  gatewayHome: string;
  /** Absolute config path, passed as --config when given. */
  configPath?: string;
}

/** node with the gateway's V8 flags (node-flags.ts), the entry script, `start`, and `--config FILE` when given. */
export function programArguments(spec: ServiceSpec): string[] {
  return [spec.nodePath, ...GATEWAY_NODE_FLAGS, spec.entryPath, 'start', ...(spec.configPath !== undefined ? ['--config', spec.configPath] : [])];
}

export function logPaths(gatewayHome: string): { dir: string; out: string; err: string } {
  const dir = path.join(gatewayHome, 'logs');
  return { dir, out: path.join(dir, 'gateway.log'), err: path.join(dir, 'gateway.err.log') };
}

/**
 * launchd's default PATH is /usr/bin:/bin:/usr/sbin:/sbin, which misses Homebrew: a bare
 * `cliPath: "imsg"` would not be found. Node's own directory first, then both Homebrew prefixes.
 */
export function launchdPath(nodePath: string): string {
  const dirs = [path.dirname(nodePath), '/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  return [...new Set(dirs)].join(':');
}

/** Why a value cannot go into a service file, or undefined. */
export function unsafeServiceValue(value: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a control character (line break, tab, NUL...)';
  return undefined;
}

export function xmlEscape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function renderLaunchAgentPlist(spec: ServiceSpec): string {
  const logs = logPaths(spec.gatewayHome);
  const str = (v: string) => `<string>${xmlEscape(v)}</string>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `imessage-gateway service install`; `service status` compares it, `service uninstall` removes it. -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${str(LAUNCHD_LABEL)}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...programArguments(spec).map((a) => `    ${str(a)}`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    '    <key>IMESSAGE_GATEWAY_HOME</key>',
    `    ${str(spec.gatewayHome)}`,
    '    <key>PATH</key>',
    `    ${str(launchdPath(spec.nodePath))}`,
    '  </dict>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <!-- Restarted when it exits with an error or a signal, not after a clean stop. -->',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    `  <integer>${THROTTLE_INTERVAL_S}</integer>`,
    '  <key>ExitTimeOut</key>',
    `  <integer>${STOP_TIMEOUT_S}</integer>`,
    '  <key>StandardOutPath</key>',
    `  ${str(logs.out)}`,
    '  <key>StandardErrorPath</key>',
    `  ${str(logs.err)}`,
    '</dict>',
    '</plist>',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * One argument of ExecStart=: double-quoted, with the C-style escapes systemd undoes, `%` doubled
 * (specifiers) and `$` doubled (environment variable substitution).
 */
export function systemdExecArg(value: string): string {
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"%$]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '%' ? '%%' : '$$'))}"`;
}

/** One Environment= assignment: the whole `KEY=value` quoted; `%` doubled (no `$` expansion there). */
export function systemdEnvironment(key: string, value: string): string {
  return `"${`${key}=${value}`.replace(/[\\"%]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '%%'))}"`;
}

export function renderSystemdUnit(spec: ServiceSpec): string {
  const lines = [
    '# Written by `imessage-gateway service install`; `service status` compares it, `service uninstall` removes it.',
    '[Unit]',
    'Description=imessage-gateway: supervised iMessage accounts',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${programArguments(spec).map(systemdExecArg).join(' ')}`,
    `Environment=${systemdEnvironment('IMESSAGE_GATEWAY_HOME', spec.gatewayHome)}`,
    'Restart=on-failure',
    'RestartSec=5',
    '# SIGTERM to the gateway only: it stops its imsg children itself (stdin EOF, then SIGTERM, then',
    '# SIGKILL to each process group); whatever is left when the timeout ends is killed.',
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${STOP_TIMEOUT_S}`,
    '',
    '[Install]',
    'WantedBy=default.target',
  ];
  return `${lines.join('\n')}\n`;
}
