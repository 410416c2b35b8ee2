/**
 * `imessage-gateway config check`: validate without starting; say what start would do, and warn
 * (exit 0 still) on a cliPath that does not resolve and on accounts sharing one chat.db.
 */
import { resolveHome } from '../config/index.js';
import { unenforcedPolicy } from '../policy/policy-config.js';
import { loadConfigSource } from './config-source.js';
import { configWarnings } from './config-warnings.js';

export function configCheckCommand(explicitPath: string | undefined, out: (line: string) => void): number {
  const { path, config } = loadConfigSource(resolveHome(), explicitPath);
  out(`${path}: valid`);
  let refused = 0;
  for (const account of config.accounts) {
    if (!account.enabled) {
      out(`  account ${account.id}: disabled`);
      continue;
    }
    const reason = unenforcedPolicy(account);
    if (reason) refused++;
    out(`  account ${account.id}: ${reason ? `WILL NOT START: ${reason}` : 'ok'} (cliPath ${account.cliPath}${account.dbPath ? `, dbPath ${account.dbPath}` : ''})`);
  }
  out(`  agents: ${config.agents.map((a) => `${a.id} (${a.handler.type}${a.id === config.defaultAgentId ? ', default' : ''})`).join(', ') || 'none'}`);
  const warnings = configWarnings(config);
  for (const w of warnings) out(`  WARNING (${w.account}): ${w.message}. ${w.fix}`);
  return refused > 0 ? 1 : 0;
}
