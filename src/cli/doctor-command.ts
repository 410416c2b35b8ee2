/**
 * `imessage-gateway doctor [--account ID] [--config FILE] [--json] [--fix]`: explains what is
 * wrong on this host. Checks the Node.js it runs on (22.13+, 24 or 26), the home and its files,
 * validates the config (and what `config check` warns about), then for each enabled account (or
 * the one named) resolves cliPath and probes `cliPath rpc` with `chats.list {limit:1}`.
 * Each finding is ok, WARN (the gateway runs, but fix it) or FAIL (it cannot work). Exit 1 when a
 * check fails, 0 otherwise (warnings included). Without --fix nothing is changed; --fix makes only
 * the safe repairs: the home to 0700 and the gateway's files (state store, config, control token,
 * status) to 0600. Every probe child is stopped.
 */
import path from 'node:path';
import { ConfigError, defaultConfigPath, type GatewayConfig, loadConfigFile, resolveHome } from '../config/index.js';
import { type Clock, systemClock } from '../util/clock.js';
import { checkAccount } from './doctor/account-checks.js';
import { configWarnings } from './config-warnings.js';
import { checkHome, repairHomeModes } from './doctor/home-checks.js';
import { checkNode } from './doctor/node-check.js';
import type { DoctorCheck, DoctorReport } from './doctor/types.js';

export type { DoctorCheck, DoctorReport } from './doctor/types.js';

export interface DoctorOptions {
  account?: string;
  config?: string;
  json?: boolean;
  /** Deadline of the chats.list probe; default gateway.supervision.probeTimeoutMs. */
  timeoutMs?: number;
  /** The gateway home; default resolveHome() ($IMESSAGE_GATEWAY_HOME or ~/.imessage-gateway). */
  home?: string;
  /** Environment used to find a bare cliPath on PATH; default process.env. */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** The Node.js version to judge; default process.version (tests pass others). */
  nodeVersion?: string;
  /** Repair the modes of the home and its files first (`--fix`). */
  fix?: boolean;
}

const PROBE_STOP_TIMEOUT_MS = 1000;

export async function doctorCommand(opts: DoctorOptions, out: (line: string) => void): Promise<number> {
  const report = await runDoctor(opts);
  if (opts.json) out(JSON.stringify(report, null, 2));
  else printReport(report, out);
  return report.ok ? 0 : 1;
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const home = opts.home ?? resolveHome(opts.env ?? process.env);
  const configPath = opts.config !== undefined ? path.resolve(opts.config) : defaultConfigPath(home);
  const checks: DoctorCheck[] = [checkNode(opts.nodeVersion ?? process.version)];
  if (opts.fix) {
    for (const r of repairHomeModes(home, configPath)) {
      checks.push({ check: 'fix', ok: true, detail: `chmod ${r.to.slice(1)} ${r.path} (was ${r.from})` });
    }
  }
  checks.push(...checkHome(home, configPath, opts.config !== undefined));

  let config: GatewayConfig | undefined;
  try {
    config = loadConfigFile(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks.push({
      check: 'config',
      ok: false,
      finding: 'config-invalid',
      detail: err.issues.length === 1 && err.issues[0]!.path === '' && err.issues[0]!.line === undefined ? err.issues[0]!.message : err.message,
      fix: `Edit ${configPath} (docs/configuration.md); \`imessage-gateway config check${opts.config !== undefined ? ` --config ${configPath}` : ''}\` lists every issue.`,
    });
  }

  if (config) {
    const enabled = config.accounts.filter((a) => a.enabled);
    checks.push({
      check: 'config',
      ok: true,
      detail: `${configPath} is valid: ${plural(config.accounts.length, 'account')} (${enabled.length} enabled)`,
    });
    // What `config check` warns about, except a cliPath that does not resolve: the account checks
    // below fail on that with more detail.
    for (const w of configWarnings(config)) {
      if (w.message.startsWith('cliPath does not resolve')) continue;
      checks.push({ check: 'config', ok: true, level: 'warn', finding: 'config-warning', detail: `${w.account}: ${w.message}`, fix: w.fix });
    }
    let targets = enabled;
    if (opts.account !== undefined) {
      const wanted = opts.account.trim().toLowerCase();
      const found = config.accounts.find((a) => a.id === wanted);
      if (!found) {
        checks.push({
          check: 'accounts',
          ok: false,
          finding: 'account-unknown',
          detail: `no account "${opts.account}" in ${configPath} (accounts: ${config.accounts.map((a) => a.id).join(', ') || 'none'})`,
          fix: 'Name one of the accounts listed, or leave out --account to check every enabled account.',
        });
      } else if (!found.enabled) {
        checks.push({ account: found.id, check: 'account', ok: true, detail: 'disabled in the config (enabled: false); checked anyway because --account names it' });
      }
      targets = found ? [found] : [];
    } else if (enabled.length === 0) {
      checks.push({
        check: 'accounts',
        ok: false,
        finding: 'no-enabled-account',
        detail: 'no account is enabled, so the gateway would run nothing',
        fix: `Set enabled: true on an account in ${configPath}.`,
      });
    }
    const timeoutMs = opts.timeoutMs ?? config.gateway.supervision.probeTimeoutMs;
    const perAccount = await Promise.all(
      targets.map((account) =>
        checkAccount(account, {
          timeoutMs,
          stopTimeoutMs: Math.min(PROBE_STOP_TIMEOUT_MS, config!.gateway.supervision.stopTimeoutMs),
          clock: opts.clock ?? systemClock,
          ...(opts.env ? { env: opts.env } : {}),
        }),
      ),
    );
    for (const list of perAccount) checks.push(...list);
  }

  const leveled = checks.map((c): DoctorCheck => ({ ...c, level: c.level ?? (c.ok ? 'ok' : 'fail') }));
  return { ok: leveled.every((c) => c.level !== 'fail'), warnings: leveled.filter((c) => c.level === 'warn').length, checks: leveled };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function printReport(report: DoctorReport, out: (line: string) => void): void {
  const labels = report.checks.map((c) => (c.account !== undefined ? `[${c.account}] ${c.check}` : c.check));
  const width = Math.max(0, ...labels.map((l) => l.length));
  report.checks.forEach((c, i) => {
    const [first, ...rest] = c.detail.split('\n');
    const level = c.level ?? (c.ok ? 'ok' : 'fail');
    out(`${level === 'ok' ? 'ok  ' : level.toUpperCase()}  ${labels[i]!.padEnd(width)}  ${first ?? ''}`);
    const indent = ' '.repeat(width + 8);
    for (const line of rest) out(`${indent}${line}`);
    if (level !== 'ok' && c.fix) out(`${indent}fix: ${c.fix}`);
  });
  const failed = report.checks.filter((c) => (c.level ?? (c.ok ? 'ok' : 'fail')) === 'fail').length;
  const warned = report.checks.filter((c) => c.level === 'warn').length;
  const warnings = warned > 0 ? `${plural(warned, 'warning')}` : '';
  if (failed > 0) out(`${plural(failed, 'problem')} found${warnings ? `, ${warnings}` : ''}`);
  else if (warned > 0) out(`no problem that stops the gateway; ${warnings} (\`doctor --fix\` repairs file modes)`);
  else out(`all ${plural(report.checks.length, 'check')} passed`);
}
