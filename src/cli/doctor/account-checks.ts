/**
 * One account: does cliPath resolve to an executable, and does `cliPath rpc [--db dbPath]`
 * answer `chats.list {limit:1}` within the deadline? A failure is classified into something an
 * operator can act on (Full Disk Access, missing database, SSH, unsupported imsg, timeout).
 */
import { realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AccountConfig } from '../../config/index.js';
import { ImsgError, PermissionDeniedError, SpawnError, SshError } from '../../imsg/errors.js';
import { ImsgRpcClient } from '../../imsg/rpc-client.js';
import type { Clock } from '../../util/clock.js';
import { inspectWrapper, resolveExecutable, type WrapperInfo } from '../../util/executable.js';
import type { DoctorCheck } from './types.js';

export interface ProbeOptions {
  timeoutMs: number;
  stopTimeoutMs: number;
  clock: Clock;
  env?: NodeJS.ProcessEnv;
}

const TCC_PANE = 'System Settings → Privacy & Security → Full Disk Access';

/** Whether a local file exists; `unknown` when even looking is refused (this process lacks FDA too). */
function localFileState(file: string): 'exists' | 'missing' | 'unknown' {
  try {
    statSync(file);
    return 'exists';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unknown';
  }
}

function runningFrom(): string {
  try {
    return realpathSync(process.execPath);
  } catch {
    return process.execPath;
  }
}

export async function checkAccount(account: AccountConfig, opts: ProbeOptions): Promise<DoctorCheck[]> {
  const id = account.id;
  const resolved = resolveExecutable(account.cliPath, opts.env ?? process.env);
  if (!resolved.ok) {
    return [{ account: id, check: 'cliPath', ok: false, finding: `cliPath-${resolved.problem}`, detail: resolved.detail, fix: resolved.fix }];
  }
  const wrapper = inspectWrapper(resolved.path);
  const shown = resolved.realPath !== resolved.path ? `${resolved.path} (→ ${resolved.realPath})` : resolved.path;
  const checks: DoctorCheck[] = [
    {
      account: id,
      check: 'cliPath',
      ok: true,
      detail: `${shown}${wrapper.ssh ? `, an SSH wrapper${wrapper.destination ? ` to ${wrapper.destination}` : ''}` : ''}`,
    },
  ];
  checks.push(await probe(account, resolved.path, resolved.realPath, wrapper, opts));
  return checks;
}

/** Spawns `executable` (as resolved from cliPath); messages name `binary`, its real path, which TCC keys grants on. */
async function probe(account: AccountConfig, executable: string, binary: string, wrapper: WrapperInfo, opts: ProbeOptions): Promise<DoctorCheck> {
  const client = new ImsgRpcClient({
    cliPath: executable,
    ...(account.dbPath !== undefined ? { dbPath: account.dbPath } : {}),
    clock: opts.clock,
    requestTimeoutMs: opts.timeoutMs,
    stopTimeoutMs: opts.stopTimeoutMs,
    handlers: { onExit: () => undefined, onHang: () => undefined, onGarbage: () => undefined, onStderr: () => undefined },
  });
  try {
    await client.start();
    const result = await client.request<{ chats?: unknown } | undefined>('chats.list', { limit: 1 }, opts.timeoutMs);
    const chats = Array.isArray(result?.chats) ? result.chats.length : 0;
    return {
      account: account.id,
      check: 'imsg',
      ok: true,
      detail: `\`${path.basename(binary)} rpc\` answered chats.list (${chats === 0 ? 'no chats yet' : 'the database is readable'})`,
    };
  } catch (err) {
    return classify(account, binary, wrapper, err, opts.timeoutMs);
  } finally {
    await client.stop();
  }
}

function classify(account: AccountConfig, binary: string, wrapper: WrapperInfo, err: unknown, timeoutMs: number): DoctorCheck {
  const base = { account: account.id, check: 'imsg', ok: false } as const;
  if (!(err instanceof ImsgError)) {
    return { ...base, finding: 'error', detail: err instanceof Error ? err.message : String(err), fix: `Run \`${binary} rpc\` by hand to see what it does.` };
  }
  const destination = wrapper.destination ?? account.remoteHost;
  switch (err.kind) {
    case 'full-disk-access':
      return permissionFinding(account, binary, wrapper, err as PermissionDeniedError);
    case 'spawn': {
      const e = err as SpawnError;
      return {
        ...base,
        finding: 'spawn',
        detail: `cannot start ${binary}: ${e.errno}${e.errno === 'ENOENT' ? ' (a script whose #! interpreter does not exist?)' : ''}`,
        fix: e.remediation,
      };
    }
    case 'ssh-host-key':
      return {
        ...base,
        finding: 'ssh-host-key',
        detail: `SSH host key ${/changed/i.test((err as SshError).detail) ? 'changed' : 'unknown'}: ${(err as SshError).detail}`,
        fix: destination
          ? `Run \`ssh ${destination} true\` once by hand and accept the host key (BatchMode cannot ask); if the key changed, check why, then ssh-keygen -R ${hostOf(destination)}.`
          : `Run the wrapper's ssh command once by hand (without BatchMode) and accept the host key.`,
      };
    case 'ssh-auth':
      return {
        ...base,
        finding: 'ssh-auth',
        detail: `SSH login refused: ${(err as SshError).detail}`,
        fix: `Set up key-based login${destination ? ` for ${destination}` : ''} (ssh-copy-id${destination ? ` ${destination}` : ''}); BatchMode cannot type a password.`,
      };
    case 'ssh-unreachable':
      return {
        ...base,
        finding: 'ssh-unreachable',
        detail: `SSH host unreachable: ${(err as SshError).detail}`,
        fix: `Check that ${destination ?? 'the Mac'} is reachable and Remote Login is on (System Settings → General → Sharing).`,
      };
    case 'unsupported':
      return { ...base, finding: 'unsupported', detail: err.message, fix: err.remediation };
    case 'deadline':
      return {
        ...base,
        finding: 'timeout',
        detail: `no answer to chats.list within ${timeoutMs} ms`,
        fix:
          `A first-run permission prompt may be waiting in the GUI session of the user imsg runs as: log in there ` +
          `(Screen Sharing), run \`imsg chats --limit 1\` and approve the prompts${wrapper.ssh ? '; or the SSH connection stalls (run the wrapper by hand)' : ''}. ` +
          `Run \`${binary} rpc\` by hand to see it.`,
      };
    case 'exited':
      return {
        ...base,
        finding: 'exited',
        detail: err.message,
        fix: `Run \`${binary} rpc${account.dbPath ? ` --db ${account.dbPath}` : ''}\` by hand to see why it exits.`,
      };
    default:
      return { ...base, finding: err.kind, detail: err.message, fix: err.remediation };
  }
}

function hostOf(destination: string): string {
  return destination.includes('@') ? destination.slice(destination.lastIndexOf('@') + 1) : destination;
}

/**
 * imsg cannot tell a missing Full Disk Access grant from a missing database. When imsg runs on
 * this machine (no SSH wrapper), look at the file ourselves to say which it is.
 */
function permissionFinding(account: AccountConfig, binary: string, wrapper: WrapperInfo, err: PermissionDeniedError): DoctorCheck {
  const base = { account: account.id, check: 'imsg', ok: false } as const;
  const db = account.dbPath ?? path.join(os.homedir(), 'Library', 'Messages', 'chat.db');
  if (wrapper.ssh) {
    const where = wrapper.destination ?? account.remoteHost ?? 'the other side of the SSH wrapper';
    return {
      ...base,
      finding: 'full-disk-access',
      detail: `imsg on ${where} cannot open ${db}: Full Disk Access is missing there, or the database does not exist (imsg cannot tell them apart) [${err.form} form]`,
      fix:
        `Log into ${where}'s GUI session (Screen Sharing), grant Full Disk Access to imsg there (${TCC_PANE}; toggle stale entries off and on), ` +
        `run \`imsg chats --limit 1\` once, and check that ${db} exists on that side.`,
    };
  }
  const state = localFileState(db);
  if (state === 'missing') {
    return {
      ...base,
      finding: 'database-missing',
      detail: `${db} does not exist (imsg reports a missing database as a Full Disk Access error)`,
      fix: account.dbPath
        ? `Fix dbPath, or sign into Messages as this user so that ${db} is created.`
        : `Open Messages and sign into iMessage as this user (that creates ${db}), or set dbPath.`,
    };
  }
  return {
    ...base,
    finding: 'full-disk-access',
    detail:
      `Full Disk Access is missing for ${binary}: it cannot open ${db}` +
      (state === 'unknown' ? ' (this process cannot look at it either)' : ' (the file exists)') +
      ` [${err.form} form]`,
    fix:
      `Grant Full Disk Access (${TCC_PANE}) to ${binary} and to the process that starts it: ` +
      `your terminal app when you run doctor, the node binary under the service (\`imessage-gateway service status\` names it; ` +
      `doctor runs under ${runningFrom()}). Toggle stale entries off and on, then run doctor again.`,
  };
}
