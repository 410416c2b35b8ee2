/**
 * One watcher per Messages source (issue 14, item 7; field reports S1, L7): accounts that read the
 * same physical Messages database are one source. The first of them in the resolved config's order
 * (accounts sorted by id) owns it; the others are duplicates merged into it, so every message on
 * that source is handled once, by the owner.
 *
 * The same source: the same host (remoteHost, when set) and
 *   - the same dbPath after resolving symlinks (relative paths against `cwd`), or
 *   - no dbPath and the same cliPath: imsg's default chat.db of the user and Mac that cliPath
 *     reaches (an SSH wrapper is its own source).
 * An account with a dbPath and one without are different sources, even if the default happens to
 * be that file. Pure apart from the injectable `realpath` (default: the file system's).
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
}

export interface MessagesSource {
  /** Identity of the source: equal keys, one source. */
  key: string;
  /** For people: the database file, or which default chat.db. */
  description: string;
  /** The account that runs the source's one imsg child. */
  owner: string;
  /** The other accounts on the source, in config order (merged into the owner). */
  duplicates: string[];
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

/** Groups the accounts by source, in the order given; every account appears in exactly one source. */
export function groupMessagesSources(accounts: readonly SourceAccount[], opts: SourceOptions = {}): MessagesSource[] {
  const byKey = new Map<string, MessagesSource>();
  for (const account of accounts) {
    const { key, description } = sourceOf(account, opts);
    const source = byKey.get(key);
    if (source) source.duplicates.push(account.id);
    else byKey.set(key, { key, description, owner: account.id, duplicates: [] });
  }
  return [...byKey.values()];
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

function resolvedFile(file: string, opts: SourceOptions): string {
  try {
    return (opts.realpath ?? realpathSync)(file);
  } catch {
    return file;
  }
}
