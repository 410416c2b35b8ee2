/**
 * Which binaries need Full Disk Access (and Automation → Messages) when the gateway runs as a
 * LaunchAgent. TCC keys a grant on the resolved path of the binary (field report P4): a symlink
 * such as /opt/homebrew/bin/node is not what System Settings must list, its Cellar target is.
 */
import { existsSync, realpathSync } from 'node:fs';
import type { GatewayConfig } from '../../config/index.js';
import { loadConfigFile } from '../../config/index.js';
import { inspectWrapper, resolveExecutable } from '../../util/executable.js';

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Lines explaining the grants; `configPath` may be undefined or missing (then only node is listed). */
export function permissionLines(nodePath: string, configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const realNode = realpathOr(nodePath);
  const lines = [
    'Full Disk Access (System Settings → Privacy & Security → Full Disk Access) is needed by:',
    `  ${realNode}    the service's process (launchd starts node, so node is the responsible process)`,
  ];
  const notes: string[] = [];
  if (realNode !== nodePath) {
    notes.push(`${nodePath} resolves to ${realNode}: grant the resolved path.`);
  }
  if (/\/Cellar\/|\/\.?nvm\/versions\/|\/\.volta\/|\/fnm\//.test(realNode)) {
    notes.push('That path changes when node is upgraded (brew upgrade node, a new nvm version): grant the new path again after every upgrade, then `service install` again.');
  }

  let config: GatewayConfig | undefined;
  if (configPath !== undefined && existsSync(configPath)) {
    try {
      config = loadConfigFile(configPath);
    } catch (err) {
      notes.push(`${configPath} does not load, so its imsg binaries are not listed (\`imessage-gateway config check\`): ${(err as Error).message.split('\n')[0]}`);
    }
  } else {
    notes.push(`no config at ${configPath ?? 'the default path'} yet: the imsg binaries of its accounts are not listed.`);
  }
  const remote: string[] = [];
  const local = new Map<string, string[]>();
  for (const account of config?.accounts.filter((a) => a.enabled) ?? []) {
    const resolved = resolveExecutable(account.cliPath, env);
    if (!resolved.ok) {
      lines.push(`  ${account.cliPath}    account ${account.id}: NOT FOUND (${resolved.detail}); a service's PATH is short, use an absolute path`);
      continue;
    }
    const wrapper = inspectWrapper(resolved.path);
    if (wrapper.ssh) {
      remote.push(
        `  account ${account.id}: ${resolved.path} runs imsg over SSH${wrapper.destination ? ` (${wrapper.destination})` : ''}: grant Full Disk Access ` +
          'and Automation to imsg in that user\'s GUI session on that side, not here.',
      );
      continue;
    }
    local.set(resolved.realPath, [...(local.get(resolved.realPath) ?? []), account.id]);
  }
  for (const [binary, ids] of local) {
    lines.push(`  ${binary}    imsg of account${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
  }
  lines.push('Automation → Messages (to send) is asked for on the first send: answer the prompt in the logged-in session.');
  if (remote.length) lines.push('Accounts behind an SSH wrapper:', ...remote);
  return [...lines, ...notes.map((n) => `note: ${n}`)];
}
