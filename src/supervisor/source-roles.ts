/**
 * The supervisor's one-watcher-per-source decisions (issue 14, item 7), pure given the injected
 * cliPath check: which runnable account owns each Messages source (and runs its imsg child: the
 * first by id whose cliPath resolves), which are merged into an owner (no child, shown as
 * `merged`), and whose cursor a new owner continues from so that nothing the source's previous
 * reader handled is answered twice. Ownership is decided at start and at each reload only.
 */
import type { AccountConfig, GatewayConfig } from '../config/index.js';
import { unenforcedPolicy } from '../policy/policy-config.js';
import { accountList, groupMessagesSources, type MessagesSource, type SourceAccount, type SourceOptions } from '../config/messages-sources.js';
import { resolveExecutable } from '../util/executable.js';

export interface RoleOptions extends SourceOptions {
  /** The environment whose PATH a bare cliPath is looked up on (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export type SourceRole =
  | { kind: 'owner'; source: MessagesSource }
  | { kind: 'merged'; owner: string; source: MessagesSource };

/**
 * The roles of the runnable accounts (enabled, not refused), in config order. Accounts that do not
 * run have no role: they neither own a source nor are merged into one.
 */
export function sourceRoles(runnable: readonly AccountConfig[], opts: SourceOptions = {}): Map<string, SourceRole> {
  const roles = new Map<string, SourceRole>();
  for (const source of groupMessagesSources(runnable, opts)) {
    roles.set(source.owner, { kind: 'owner', source });
    for (const id of source.duplicates) roles.set(id, { kind: 'merged', owner: source.owner, source });
  }
  return roles;
}

/** Why an enabled account is not started (fail closed: a policy this build cannot enforce, no agent), or undefined. */
export function refusalOf(account: AccountConfig, config: GatewayConfig): string | undefined {
  return unenforcedPolicy(account) ?? (config.defaultAgentId ? undefined : 'no agent is configured (agents.list)');
}

/**
 * The roles under a config: of its enabled accounts that are not refused. A cliPath is checked the
 * way spawn() and `config check` resolve it (resolveExecutable) unless `cliPathProblem` is given.
 */
export function configSourceRoles(config: GatewayConfig, opts: RoleOptions = {}): Map<string, SourceRole> {
  const cliPathProblem = opts.cliPathProblem ?? cliPathProblemOf(opts.env, opts.cwd);
  return sourceRoles(config.accounts.filter((a) => a.enabled && refusalOf(a, config) === undefined), { ...opts, cliPathProblem });
}

/** resolveExecutable as a source's ownership check: why the cliPath does not resolve, or undefined. */
export function cliPathProblemOf(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): (account: SourceAccount) => string | undefined {
  return (account) => {
    const resolved = resolveExecutable(account.cliPath, env, cwd);
    return resolved.ok ? undefined : resolved.detail;
  };
}

/** merged account id → the owner it is merged into (what `send` refuses, enqueue-send.ts). */
export function mergedIntoMap(roles: ReadonlyMap<string, SourceRole>): Map<string, string> {
  const merged = new Map<string, string>();
  for (const [id, role] of roles) if (role.kind === 'merged') merged.set(id, role.owner);
  return merged;
}

/** What a merged account's slot fingerprint carries: a change of owner re-creates the slot. */
export function roleFingerprint(role: SourceRole | undefined): string | null {
  return role?.kind === 'merged' ? `merged:${role.owner}` : null;
}

/**
 * The accounts whose stored cursor the owner `id` adopts (MAX with its own) before its child starts:
 *  - the previous owner of the same source (a reload that removed or demoted it), and
 *  - when the owner has no cursor yet (it never read this source), the accounts merged into it:
 *    a brand-new owner starts where the source's readers got to, not "from now" or a catch-up
 *    window that the previous reader already answered.
 */
export function cursorDonors(
  id: string,
  next: ReadonlyMap<string, SourceRole>,
  previous: ReadonlyMap<string, SourceRole> | undefined,
  hasCursor: boolean,
): string[] {
  const role = next.get(id);
  if (role?.kind !== 'owner') return [];
  const donors = new Set<string>();
  for (const [other, old] of previous ?? []) {
    if (other !== id && old.kind === 'owner' && old.source.key === role.source.key) donors.add(other);
  }
  if (!hasCursor) for (const dup of role.source.duplicates) donors.add(dup);
  return [...donors];
}

/** The reason and the fix a merged account shows in its status. */
export function mergedStatusText(id: string, role: Extract<SourceRole, { kind: 'merged' }>): { reason: string; problem: string; fix: string } {
  return {
    reason: `merged into ${role.owner}`,
    problem:
      `${accountList([role.owner, id])} share one Messages source (${role.source.description}): ${id} is merged into ${role.owner}, ` +
      `whose one imsg watcher, policy, agent bindings and outbox handle every message; ${id}'s own policy and bindings are not used ` +
      `(${role.source.ownerReason})`,
    fix: `give ${id} its own dbPath (its own macOS user or Mac), or remove it from the config`,
  };
}

/**
 * The fix an owner shows while it cannot read its source (`misconfigured`: its cliPath stopped
 * resolving): ownership moves only at a reload, so the fix says so, naming the merged accounts.
 */
export function ownerFix(state: string, remediation: string | null, role: SourceRole | undefined): string | null {
  if (state !== 'misconfigured' || role?.kind !== 'owner' || role.source.duplicates.length === 0) return remediation;
  const reload = `or run \`imessage-gateway reload\` to hand the Messages source to ${role.source.duplicates.join(' or ')} if its cliPath resolves`;
  return remediation ? `${remediation.replace(/\.$/, '')}; ${reload}` : reload;
}

/** The warning logged at start and at each reload, one per shared source. */
export function sharedSourceWarning(source: MessagesSource): {
  owner: string;
  ownerReason: string;
  merged: string[];
  source: string;
  message: string;
} {
  const ids = source.accounts;
  return {
    owner: source.owner,
    ownerReason: source.ownerReason,
    merged: source.duplicates,
    source: source.description,
    message:
      `${accountList(ids)} share one Messages source: merged into ${source.owner}, which runs the one imsg watcher and answers every message ` +
      `(${source.ownerReason}); the policy and bindings of ${source.duplicates.join(', ')} are not used; give each account its own dbPath, or remove the duplicate`,
  };
}
