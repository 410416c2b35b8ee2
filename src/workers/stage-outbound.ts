/**
 * Outbound files are staged where Messages.app can read them before `send` with `file`: Messages
 * is sandboxed and a file under /tmp or ~/Downloads "sends" but arrives as "failed to send"
 * (field report A4). Each file is checked against mediaMaxMb and copied into
 * `<stagingDir>/<uuid>/<basename>`; for an SSH account the copy goes over ssh onto the Messages
 * Mac (field report S2) and the remote path is returned. cleanupStaged removes the `<uuid>`
 * directory again once the send is confirmed.
 */
import { randomUUID } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { TransferProblems } from './errors.js';
import { absolutePath } from './paths.js';
import { describeSshFailure, isSafeHost, runSsh, shellQuote, shellQuotePath } from './ssh.js';

/** Inside Messages' own attachment tree, which the sandbox lets it read. */
export const DEFAULT_STAGING_DIR = '~/Library/Messages/Attachments/imessage-gateway';
export const DEFAULT_STAGE_TIMEOUT_MS = 60_000;

export interface StageOutboundOptions {
  /** The file on this host (`~` expanded). */
  file: string;
  maxBytes: number;
  /** Local directory, or with remoteHost a directory on the Messages Mac (`~/` allowed). */
  stagingDir: string;
  remoteHost?: string;
  sshPath?: string;
  sshArgs?: readonly string[];
  timeoutMs?: number;
}

export type StageResult = { ok: true; stagedPath: string } | { ok: false; problem: string };

export interface RemoteCleanup {
  remoteHost?: string;
  sshPath?: string;
  sshArgs?: readonly string[];
  timeoutMs?: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function stageOutboundFile(opts: StageOutboundOptions): Promise<StageResult> {
  const file = absolutePath(opts.file);
  try {
    const st = await stat(file);
    if (!st.isFile()) return { ok: false, problem: TransferProblems.stageNotAFile(file) };
    if (st.size > opts.maxBytes) return { ok: false, problem: TransferProblems.stageTooLarge(file, st.size, opts.maxBytes) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: TransferProblems.stageMissing(file) };
    return { ok: false, problem: TransferProblems.stageUnreadable(file, err) };
  }
  const name = basename(file);
  const id = randomUUID();
  return opts.remoteHost !== undefined ? stageRemote(opts, opts.remoteHost, file, name, id) : stageLocal(opts, file, name, id);
}

async function stageLocal(opts: StageOutboundOptions, file: string, name: string, id: string): Promise<StageResult> {
  const dir = join(absolutePath(opts.stagingDir), id);
  const stagedPath = join(dir, name);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await copyFile(file, stagedPath, fsConstants.COPYFILE_EXCL);
    await chmod(stagedPath, 0o600);
    return { ok: true, stagedPath };
  } catch (err) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return { ok: false, problem: TransferProblems.stageCopyFailed(file, dir, err) };
  }
}

/** The remote script: $1 = directory, $2 = file name; prints the absolute staged path. */
const REMOTE_STAGE_SCRIPT =
  'umask 077 && mkdir -p -- "$1" && cat > "$1/$2" && cd -- "$1" && printf "%s/%s\\n" "$(pwd)" "$2"';

async function stageRemote(opts: StageOutboundOptions, host: string, file: string, name: string, id: string): Promise<StageResult> {
  if (!isSafeHost(host)) return { ok: false, problem: TransferProblems.stageRemoteFailed(file, host, 'invalid host') };
  const dir = posix.join(opts.stagingDir, id);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS;
  const outcome = await runSsh({
    sshPath: opts.sshPath,
    host,
    sshArgs: opts.sshArgs,
    remote: ['sh', '-c', shellQuote(REMOTE_STAGE_SCRIPT), 'sh', shellQuotePath(dir), shellQuote(name)],
    stdin: createReadStream(file),
    maxStdoutBytes: 64 * 1024,
    timeoutMs,
  });
  if (outcome.spawnError || outcome.timedOut || outcome.code !== 0) {
    await cleanupStaged(posix.join(dir, name), { remoteHost: host, sshPath: opts.sshPath, sshArgs: opts.sshArgs, timeoutMs }).catch(() => undefined);
    return { ok: false, problem: TransferProblems.stageRemoteFailed(file, host, describeSshFailure(outcome, timeoutMs)) };
  }
  const printed = outcome.output.trim().split('\n').pop() ?? '';
  return { ok: true, stagedPath: printed.startsWith('/') ? printed : posix.join(dir, name) };
}

/**
 * Removes a staged file and its `<uuid>` directory (nothing else: a path whose parent is not a
 * uuid directory is left alone). Local by default; remote with `remoteHost`.
 */
export async function cleanupStaged(stagedPath: string, remote: RemoteCleanup = {}): Promise<void> {
  if (remote.remoteHost !== undefined) {
    const dir = posix.dirname(stagedPath);
    if (!UUID_RE.test(posix.basename(dir)) || !isSafeHost(remote.remoteHost)) return;
    await runSsh({
      sshPath: remote.sshPath,
      host: remote.remoteHost,
      sshArgs: remote.sshArgs,
      remote: ['rm', '-rf', '--', shellQuotePath(dir)],
      timeoutMs: remote.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS,
    });
    return;
  }
  const dir = dirname(absolutePath(stagedPath));
  if (!UUID_RE.test(basename(dir))) return;
  await rm(dir, { recursive: true, force: true });
}
