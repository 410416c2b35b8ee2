/** `imessage-gateway status [--json]`: reads the status the running gateway keeps in its home. */
import { resolveHome } from '../config/index.js';
import { lockState } from '../supervisor/gateway-lock.js';
import { callGateway } from './control-client.js';
import { readStatusFile } from '../supervisor/status-file.js';
import type { AccountStatus, GatewayStatus } from '../supervisor/status.js';
import { errorText } from '../util/typed-error.js';

export async function statusCommand(json: boolean, out: (line: string) => void): Promise<number> {
  const home = resolveHome();
  // The running gateway's own answer when its control API is up; else the status file it keeps.
  const live = await callGateway(home, 'GET', '/api/status');
  const saved = live?.status === 200 ? (live.body as GatewayStatus) : readStatusFile(home);
  // Whether a gateway runs is the lock's answer (the kernel drops it when the holder dies); the
  // pid the holder recorded only says whether the status file is that run's or an older one's.
  const lock = lockState(home);
  const running = lock.held;
  const current = saved !== undefined && (!running || lock.pid === undefined || saved.pid === lock.pid);
  const status: GatewayStatus =
    saved && current
      ? { ...saved, running }
      : { running, pid: lock.pid ?? 0, startedAt: '', updatedAt: '', configPath: null, accounts: [] };
  const code = statusExitCode(running, status.accounts, status.removedAccounts);
  if (json) {
    out(JSON.stringify(status, null, 2));
    return code;
  }
  if (!running) {
    out(saved ? `gateway is not running (last status from ${saved.updatedAt}):` : `gateway is not running (home ${home})`);
  } else if (!current) {
    out(`gateway running: pid ${lock.pid ?? '(not recorded yet)'}, starting (its status is not written yet)`);
  } else {
    out(`gateway running: pid ${status.pid}, since ${status.startedAt}${status.configPath ? `, config ${status.configPath}` : ' (demo)'}`);
    if (status.runtime) out(`  on Node.js ${status.runtime.node}, SQLite ${status.runtime.sqlite}`);
  }
  if (status.store && !status.store.ok) {
    const problem = { message: `${status.store.problem ?? 'the state database is gone'}; nothing is recorded`, remediation: status.store.remediation };
    out(`  STATE DATABASE PROBLEM since ${status.store.since}: ${errorText(problem)}`);
  }
  for (const a of status.accounts) out(formatAccount(a));
  for (const r of status.removedAccounts ?? []) {
    out(`  ${r.id.padEnd(12)} not in the config any more: ${r.deadLetters} dead letter${r.deadLetters === 1 ? '' : 's'}, ${r.unknown} unknown send${r.unknown === 1 ? '' : 's'} (\`imessage-gateway delivery list --account ${r.id}\`)`);
  }
  return code;
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

function formatAccount(a: AccountStatus): string {
  const health = a.health === 'degraded' ? '  DEGRADED' : '';
  const lines = [`  ${a.id.padEnd(12)} ${a.state.padEnd(22)} since ${a.since}  restarts ${a.restarts}${health}`];
  for (const r of a.degradedReasons ?? []) lines.push(`    degraded [${r.code}]: ${r.message}`);
  const c = a.counters;
  lines.push(
    `    received ${c.received}, dispatched ${c.dispatched}, sent ${c.sent}` +
      (Object.keys(c.dropped).length ? `, dropped ${Object.entries(c.dropped).map(([r, n]) => `${r}=${n}`).join(' ')}` : ''),
  );
  const age = a.outbox.oldestQueuedAt ? ` (oldest queued ${Math.round((Date.now() - Date.parse(a.outbox.oldestQueuedAt)) / 1000)} s ago)` : '';
  lines.push(`    journal lag ${a.journalLag}, outbox depth ${a.outbox.depth}${age}, failed sends ${a.outbox.failed}, unknown ${a.outbox.unknown}`);
  if (a.imsg) {
    lines.push(`    imsg ${a.imsg.version ?? '(version not reported)'}, protocol ${a.imsg.protocol}${a.imsg.fallback ? ` (${a.imsg.fallback})` : ''}`);
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
  if (a.nextRetryAt && a.state !== 'streaming') lines.push(`    next retry: ${a.nextRetryAt}`);
  return lines.join('\n');
}
