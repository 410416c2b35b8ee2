/**
 * One watcher per Messages source (issue 14, item 7; field reports S1, L7): accounts that read the
 * same physical Messages database are one source. The first of them in the resolved config's order
 * (accounts sorted by id) whose cliPath resolves to an executable owns it (the first by id when none
 * does); the others are duplicates merged into it, so every message on that source is handled once,
 * by the owner, and a broken account never holds the source while a working one is merged.
 *
 * The same source: the same host (remoteHost, when set) and
 *   - the same dbPath after resolving symlinks (relative paths against `cwd`), or
 *   - no dbPath and the same cliPath: imsg's default chat.db of the user and Mac that cliPath
 *     reaches (an SSH wrapper is its own source).
 * An account with a dbPath and one without are different sources, even if the default happens to
 * be that file. Pure apart from the injectable `realpath` (default: the file system's) and
 * `cliPathProblem` (default: none; the supervisor and `config check` pass resolveExecutable's).
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';

export interface SourceAccount {
  id: string;
  cliPath: string;
  dbPath?: string | undefined;
  remoteHost?: string | undefined;
}

export interface SourceOptions {
  /** What a relative dbPath is relative to (default: process.cwd()). */
  cwd?: string;
  /** Follows symlinks; a path that does not resolve (yet) is kept as it is. Default: realpathSync. */
  realpath?: (file: string) => string;
  /**
   * Why an account's cliPath cannot run (it does not resolve to an executable), or undefined when it
   * resolves. Default: every cliPath resolves (ownership by id alone).
   */
  cliPathProblem?: (account: SourceAccount) => string | undefined;
}

/** An account of the source passed over for ownership because its cliPath does not resolve. */
export interface PassedOver {
  id: string;
  problem: string;
}

export interface MessagesSource {
  /** Identity of the source: equal keys, one source. */
  key: string;
  /** For people: the database file, or which default chat.db. */
  description: string;
  /** Every account on the source, in config order. */
  accounts: string[];
  /** The account that runs the source's one imsg child. */
  owner: string;
  /** The other accounts on the source, in config order (merged into the owner). */
  duplicates: string[];
  /** Accounts before the owner in config order whose cliPath does not resolve (why they do not own it). */
  passedOver: PassedOver[];
  /** Which account owns the source and why, for people: "bot owns it; ops's cliPath does not resolve". */
  ownerReason: string;
}

export function sourceOf(account: SourceAccount, opts: SourceOptions = {}): { key: string; description: string } {
  const host = account.remoteHost ? `host ${account.remoteHost}: ` : '';
  if (account.dbPath) {
    const file = account.remoteHost ? account.dbPath : resolvedFile(path.resolve(opts.cwd ?? process.cwd(), account.dbPath), opts);
    return { key: `${host}db:${file}`, description: `${host}${file}` };
  }
  return {
    key: `${host}default:${account.cliPath}`,
    description: `${host}the default chat.db of the Mac and user that cliPath ${account.cliPath} reaches`,
  };
}

/**
 * Groups the accounts by source, in the order given; every account appears in exactly one source.
 * The owner of each: the first whose cliPath resolves, else the first.
 */
export function groupMessagesSources(accounts: readonly SourceAccount[], opts: SourceOptions = {}): MessagesSource[] {
  const byKey = new Map<string, { key: string; description: string; members: SourceAccount[] }>();
  for (const account of accounts) {
    const { key, description } = sourceOf(account, opts);
    const group = byKey.get(key);
    if (group) group.members.push(account);
    else byKey.set(key, { key, description, members: [account] });
  }
  return [...byKey.values()].map(({ key, description, members }) => ({ key, description, accounts: members.map((m) => m.id), ...chooseOwner(members, opts) }));
}

/** The owner among a source's accounts (config order) and why; pure given `cliPathProblem`. */
export function chooseOwner(
  members: readonly SourceAccount[],
  opts: Pick<SourceOptions, 'cliPathProblem'> = {},
): Pick<MessagesSource, 'owner' | 'duplicates' | 'passedOver' | 'ownerReason'> {
  const ids = members.map((m) => m.id);
  if (members.length < 2) return { owner: ids[0] ?? '', duplicates: [], passedOver: [], ownerReason: `${ids[0] ?? ''} owns it, its only account` };
  const problems = members.map((m) => opts.cliPathProblem?.(m));
  const first = problems.findIndex((p) => p === undefined);
  const at = first === -1 ? 0 : first;
  const owner = ids[at]!;
  const duplicates = ids.filter((_, i) => i !== at);
  const passedOver = members.slice(0, at).map((m, i) => ({ id: m.id, problem: problems[i]! }));
  let ownerReason: string;
  if (first === -1) ownerReason = `${owner} owns it, first by id; no cliPath on this source resolves`;
  else if (at === 0) ownerReason = `${owner} owns it, first by id`;
  else ownerReason = `${owner} owns it; ${possessive(passedOver.map((p) => p.id))} cliPath ${passedOver.length > 1 ? 'do' : 'does'} not resolve`;
  return { owner, duplicates, passedOver, ownerReason };
}

/** The sources that have duplicates. */
export function sharedSources(sources: readonly MessagesSource[]): MessagesSource[] {
  return sources.filter((s) => s.duplicates.length > 0);
}

/** duplicate id → its source (whose owner it is merged into). */
export function mergedAccounts(sources: readonly MessagesSource[]): Map<string, MessagesSource> {
  const merged = new Map<string, MessagesSource>();
  for (const source of sources) for (const id of source.duplicates) merged.set(id, source);
  return merged;
}

/** "accounts a and b" / "accounts a, b and c". */
export function accountList(ids: readonly string[]): string {
  if (ids.length < 2) return `account ${ids[0] ?? ''}`;
  return `accounts ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}

/** "ops's" / "ops's and qa's". */
function possessive(ids: readonly string[]): string {
  const each = ids.map((id) => `${id}'s`);
  return each.length < 2 ? (each[0] ?? '') : `${each.slice(0, -1).join(', ')} and ${each[each.length - 1]}`;
}

function resolvedFile(file: string, opts: SourceOptions): string {
  try {
    return (opts.realpath ?? realpathSync)(file);
  } catch {
    return file;
  }
}
