/**
 * What `config check` warns about in a valid config (issue 14, item 7): a cliPath that does not
 * resolve to an executable (the account would sit in `misconfigured`), and two enabled accounts
 * reading the same Messages database (each runs its own imsg watch on it, and both answer the same
 * messages). Warnings do not make the config invalid.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import { resolveExecutable } from './doctor/executable.js';

export interface ConfigWarning {
  account: string;
  message: string;
  fix: string;
}

export interface WarningEnv {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function configWarnings(config: GatewayConfig, opts: WarningEnv = {}): ConfigWarning[] {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const warnings: ConfigWarning[] = [];
  const enabled = config.accounts.filter((a) => a.enabled);
  for (const account of enabled) {
    const resolved = resolveExecutable(account.cliPath, env, cwd);
    if (!resolved.ok) {
      warnings.push({ account: account.id, message: `cliPath does not resolve: ${resolved.detail}`, fix: resolved.fix });
    }
  }
  // The same database: one dbPath (symlinks followed), or no dbPath (imsg's default chat.db of the
  // user it runs as) through the same cliPath.
  const bySource = new Map<string, string[]>();
  for (const account of enabled) {
    const key = account.dbPath ? `db:${realpathOr(path.resolve(cwd, account.dbPath))}` : `default:${account.cliPath}`;
    bySource.set(key, [...(bySource.get(key) ?? []), account.id]);
  }
  for (const [key, ids] of bySource) {
    if (ids.length < 2) continue;
    const what = key.startsWith('db:') ? key.slice(3) : `the default chat.db of the Mac that cliPath ${key.slice(8)} reaches`;
    warnings.push({
      account: ids.join(', '),
      message: `accounts ${ids.join(' and ')} read the same Messages database (${what}): each would answer the same messages`,
      fix: 'Give each account its own dbPath (its own macOS user or Mac), or disable all but one of them.',
    });
  }
  return warnings;
}

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
