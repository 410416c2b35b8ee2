/**
 * `imessage-gateway status [ACCOUNT] [--json]`: a one-line summary, then each account (or the one
 * named), read from the running gateway's control API or the status file it keeps in its home.
 * The one-account view also lists that account's recent decisions with the policy trace of each
 * (issue 16, item 3); `status --message GUID` shows why any one message was dispatched or dropped.
 * Exit codes (docs/operations.md): 0 running and healthy, 4 running with an account degraded,
 * 3 not running, 2 no such account; with --message: 0 found, 1 not in the journal.
 */
import { resolveHome } from '../config/index.js';
import { lockState } from '../supervisor/gateway-lock.js';
import { askGateway } from './control-client.js';
import { readStatusFile } from '../supervisor/status-file.js';
import type { AccountStatus, GatewayStatus } from '../supervisor/status.js';
import { errorText } from '../util/typed-error.js';
import { relativeTime } from './duration-text.js';
import { GatewayUnreachableError } from './control-client.js';
import { messageDecisions, recentDecisions } from './decision-source.js';
import { recentDecisionLines } from './decision-text.js';
import { printDecisions } from './why-command.js';
import type { FlowEntry } from '../store/index.js';

/** How many recent decisions the one-account view lists. */
export const RECENT_DECISIONS = 10;

export class StatusUsageError extends Error {}

export interface StatusOptions {
  json: boolean;
  /** Only this account (`status bot`). */
  account?: string;
  /** Default Date.now(): what "3m ago" is measured from. */
  now?: number;
  /** `--message GUID`: why that message was dispatched or dropped (as `why`), instead of the status. */
  message?: string;
}

export async function statusCommand(
  options: StatusOptions,
  out: (line: string) => void,
  err: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): Promise<number> {
  const { json } = options;
  const now = options.now ?? Date.now();
  const home = resolveHome();
  if (options.message !== undefined) {
    const guid = options.message.trim();
    if (guid === '') throw new StatusUsageError('--message needs the guid of a message (`status ACCOUNT` lists recent ones)');
    const account = options.account?.trim().toLowerCase() || undefined;
    return printDecisions(await messageDecisions(home, guid, account), { guid, account, json }, out, err);
  }
  // The running gateway's own answer when its control API is up; else the status file it keeps.
  const live = await askGateway(home, 'GET', '/api/status');
  const saved = live?.status === 200 ? (live.body as GatewayStatus) : readStatusFile(home);
  // Whether a gateway runs is the lock's answer (the kernel drops it when the holder dies); the
  // pid the holder recorded only says whether the status file is that run's or an older one's.
  const lock = lockState(home);
  const running = lock.held;
  const current = saved !== undefined && (!running || lock.pid === undefined || saved.pid === lock.pid);
  const whole: GatewayStatus =
    saved && current
      ? { ...saved, running }
      : { running, pid: lock.pid ?? 0, startedAt: '', updatedAt: '', configPath: null, accounts: [] };
  const wanted = options.account?.trim().toLowerCase();
  let status = whole;
  if (wanted !== undefined) {
    const one = whole.accounts.filter((a) => a.id === wanted);
    // Not running and no status: nothing to say about any account; the exit code says not running.
    if (one.length === 0 && whole.accounts.length > 0) {
      const known = whole.accounts.map((a) => a.id).join(', ');
      throw new StatusUsageError(`no account ${JSON.stringify(wanted)} in the gateway's status; its accounts: ${known}`);
    }
    status = { ...whole, accounts: one, removedAccounts: [] };
  }
  const code = statusExitCode(running, status.accounts, status.removedAccounts);
  // One account: its recent decisions too, with the trace of the rules that fired.
  const decisions = wanted !== undefined && status.accounts.length === 1 ? await decisionsOf(home, status.accounts[0]!.id) : undefined;
  if (json) {
    out(JSON.stringify(decisions && 'entries' in decisions ? { ...status, recentDecisions: decisions.entries } : status, null, 2));
    return code;
  }
  if (wanted === undefined) out(statusSummary(running && current, whole.accounts));
  if (!running) {
    out(saved ? `gateway is not running (last status from ${saved.updatedAt}, ${relativeTime(saved.updatedAt, now)}):` : `gateway is not running (home ${home})`);
  } else if (!current) {
    out(`gateway running: pid ${lock.pid ?? '(not recorded yet)'}, starting (its status is not written yet)`);
  } else {
    out(
      `gateway running: pid ${status.pid}, since ${relativeTime(status.startedAt, now)}` +
        `${status.configPath ? `, config ${status.configPath}` : ' (demo)'}`,
    );
    if (status.runtime) out(`  on Node.js ${status.runtime.node}, SQLite ${status.runtime.sqlite}`);
  }
  if (status.store && !status.store.ok) {
    const problem = { message: `${status.store.problem ?? 'the state database is gone'}; nothing is recorded`, remediation: status.store.remediation };
    out(`  STATE DATABASE PROBLEM since ${status.store.since}: ${errorText(problem)}`);
  }
  for (const a of status.accounts) out(formatAccount(a, now));
  if (decisions) {
    if ('entries' in decisions) for (const line of recentDecisionLines(decisions.entries)) out(line);
    else out(`    recent decisions: not available (${decisions.unavailable})`);
  }
  for (const r of status.removedAccounts ?? []) {
    out(`  ${r.id.padEnd(12)} not in the config any more: ${r.deadLetters} dead letter${r.deadLetters === 1 ? '' : 's'}, ${r.unknown} unknown send${r.unknown === 1 ? '' : 's'} (\`imessage-gateway delivery list --account ${r.id}\`)`);
  }
  return code;
}

/** The account's recent decisions; a running gateway whose API does not answer makes them unavailable, not an error. */
async function decisionsOf(home: string, accountId: string): Promise<{ entries: FlowEntry[] } | { unavailable: string }> {
  try {
    return { entries: await recentDecisions(home, accountId, RECENT_DECISIONS) };
  } catch (e) {
    if (e instanceof GatewayUnreachableError) return { unavailable: `${e.message}; ${e.remediation}` };
    throw e;
  }
}

/**
 * 0: running and every account healthy; 4: running, at least one account degraded (which includes
 * sends overdue or unknown, and dead letters) or dead letters of a removed account; 3: not running.
 */
export function statusExitCode(
  running: boolean,
  accounts: readonly AccountStatus[],
  removedAccounts: GatewayStatus['removedAccounts'] = [],
): number {
  if (!running) return 3;
  return accounts.some((a) => a.health === 'degraded') || removedAccounts.length > 0 ? 4 : 0;
}

/**
 * The first line: how many accounts, in which states, and how many degraded, e.g.
 * "3 accounts: 2 streaming, 1 backoff-restart; 1 degraded".
 */
export function statusSummary(live: boolean, accounts: readonly AccountStatus[]): string {
  if (!live) return accounts.length === 0 ? 'gateway not running' : `gateway not running (${plural(accounts.length, 'account')} in its last status)`;
  if (accounts.length === 0) return 'gateway running, no accounts';
  const byState = new Map<string, number>();
  for (const a of accounts) byState.set(a.state, (byState.get(a.state) ?? 0) + 1);
  const states = [...byState].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([s, n]) => `${n} ${s}`);
  const degraded = accounts.filter((a) => a.health === 'degraded').length;
  return `${plural(accounts.length, 'account')}: ${states.join(', ')}${degraded > 0 ? `; ${degraded} degraded` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatAccount(a: AccountStatus, now: number): string {
  const health = a.health === 'degraded' ? '  DEGRADED' : '';
  const lines = [`  ${a.id.padEnd(12)} ${a.state.padEnd(22)} since ${relativeTime(a.since, now).padEnd(12)} restarts ${a.restarts}${health}`];
  for (const r of a.degradedReasons ?? []) lines.push(`    degraded [${r.code}]: ${r.message}`);
  const c = a.counters;
  lines.push(
    `    received ${c.received}, dispatched ${c.dispatched}, sent ${c.sent}` +
      (Object.keys(c.dropped).length ? `, dropped ${Object.entries(c.dropped).map(([r, n]) => `${r}=${n}`).join(' ')}` : ''),
  );
  const age = a.outbox.oldestQueuedAt ? ` (oldest queued ${relativeTime(a.outbox.oldestQueuedAt, now)})` : '';
  lines.push(`    journal lag ${a.journalLag}, outbox depth ${a.outbox.depth}${age}, failed sends ${a.outbox.failed}, unknown ${a.outbox.unknown}`);
  if (a.imsg) {
    lines.push(`    imsg ${a.imsg.version ?? '(version not reported)'}, protocol ${a.imsg.protocol}${a.imsg.fallback ? ` (${a.imsg.fallback})` : ''}`);
    if (a.imsg.methods) lines.push(`    imsg methods: ${a.imsg.methods.length ? [...a.imsg.methods].sort().join(', ') : 'none usable now'}`);
  }
  if (a.generation) {
    const why = a.generation.number > 1 ? `, ${a.generation.reason}` : '';
    lines.push(`    cursor ${a.cursor ?? '—'}, chat.db generation ${a.generation.number} (since ${a.generation.since}${why})`);
  }
  if (a.delivery) {
    lines.push(`    delivery: ${a.delivery.pendingOverdue} overdue, ${a.delivery.unknown} unknown, ${a.delivery.deadLetters} dead letters`);
  }
  if (a.pausedChats.length) lines.push(`    paused by the echo-loop breaker: ${a.pausedChats.join(', ')}`);
  // The fix is shown while the account is not streaming (once it streams, the error is history).
  const fix = a.state !== 'streaming' ? a.remediation : null;
  if (a.lastError) lines.push(`    last error [${a.lastErrorClass}]: ${errorText({ message: a.lastError, remediation: fix })}`);
  else if (fix) lines.push(`    To fix: ${fix}`);
  if (a.nextRetryAt && a.state !== 'streaming') lines.push(`    next retry ${relativeTime(a.nextRetryAt, now)} (${a.nextRetryAt})`);
  return lines.join('\n');
}
