/**
 * What `config check` warns about in a valid config (issue 14, item 7): a cliPath that does not
 * resolve to an executable (the account would sit in `misconfigured`), and two enabled accounts
 * reading the same Messages database (the gateway merges them into one watcher: the first by id
 * whose cliPath resolves answers every message, the others' policy and bindings are not used). Warnings do not make the
 * config invalid.
 */
import type { GatewayConfig } from '../config/index.js';
import { accountList } from '../config/messages-sources.js';
import { configSourceRoles } from '../supervisor/source-roles.js';
import { resolveExecutable } from '../util/executable.js';

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
  // One Messages source (the same dbPath, symlinks followed, or no dbPath through the same
  // cliPath): the running gateway merges the accounts into one watcher (source-roles.ts), the same
  // grouping as here.
  const roles = configSourceRoles(config, { cwd, env });
  for (const role of roles.values()) {
    if (role.kind !== 'owner' || role.source.duplicates.length === 0) continue;
    const { owner, duplicates, description, ownerReason, accounts: ids } = role.source;
    const others = duplicates.join(', ');
    warnings.push({
      account: ids.join(', '),
      message:
        `${accountList(ids)} read the same Messages database (${description}): merged into one watcher (${ownerReason}); ` +
        `${owner} answers every message, and the policy and agent bindings of ${others} are not used`,
      fix: `Give ${others} its own dbPath (its own macOS user or Mac), or remove it.`,
    });
  }
  return warnings;
}
