/**
 * Runs one command on the Messages Mac over ssh, without a local shell (spawn argv):
 *   ssh -o BatchMode=yes -o ConnectTimeout=5 [wrapper options] -T <host> -- <remote words...>
 * ssh joins the remote words with spaces and the remote login shell parses them, so every piece of
 * data in them goes through shellQuote (field report S2). The child gets its own process group,
 * killed as a whole on timeout.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { TransferProblems } from './errors.js';
import { scrubSecrets } from '../util/scrub-secrets.js';

/** POSIX single-quote quoting for the remote shell. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Like shellQuote, but a leading `~/` stays unquoted so the remote shell expands it. */
export function shellQuotePath(path: string): string {
  if (path === '~') return '~';
  if (path.startsWith('~/')) return `~/${shellQuote(path.slice(2) || '.')}`;
  return shellQuote(path);
}

/** A host must not be mistaken for an option, nor carry whitespace. */
export function isSafeHost(host: string): boolean {
  return host.length > 0 && !host.startsWith('-') && !/[\s\0]/.test(host);
}

export interface SshRun {
  sshPath?: string;
  host: string;
  /** Connection options taken over from the account's wrapper (e.g. ['-p', '2222']). */
  sshArgs?: readonly string[];
  /** Remote words, already shell-quoted where they carry data. */
  remote: readonly string[];
  stdin?: Readable;
  /** Where stdout goes; without it stdout is collected (up to maxStdoutBytes). */
  stdout?: Writable;
  /** Kill the process group once stdout passes this many bytes. */
  maxStdoutBytes?: number;
  timeoutMs: number;
}

export interface SshOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 2 KB of stderr, trimmed, secrets masked (util/scrub-secrets.ts). */
  stderr: string;
  /** Collected stdout when no `stdout` stream was given. */
  output: string;
  stdoutBytes: number;
  timedOut: boolean;
  overCap: boolean;
  /** Set when ssh could not be started at all. */
  spawnError?: string;
}

export function sshArgv(host: string, sshArgs: readonly string[], remote: readonly string[]): string[] {
  return ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', ...sshArgs, '-T', host, '--', ...remote];
}

class CapExceeded extends Error {}

export async function runSsh(run: SshRun): Promise<SshOutcome> {
  const sshPath = run.sshPath ?? 'ssh';
  const cap = run.maxStdoutBytes ?? Number.POSITIVE_INFINITY;
  const child = spawn(sshPath, sshArgv(run.host, run.sshArgs ?? [], run.remote), {
    stdio: [run.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
    shell: false,
  });
  const outcome: SshOutcome = { code: null, signal: null, stderr: '', output: '', stdoutBytes: 0, timedOut: false, overCap: false };
  let stderr = '';
  let collected = '';
  let exited = false;
  const killGroup = (): void => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };

  const exit = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      outcome.spawnError = TransferProblems.sshSpawn(sshPath, err);
      exited = true;
      resolve();
    });
    child.once('close', (code, signal) => {
      outcome.code = code;
      outcome.signal = signal;
      exited = true;
      resolve();
    });
  });
  const timer = setTimeout(() => {
    outcome.timedOut = true;
    killGroup();
  }, run.timeoutMs);

  const childStdout = child.stdout as Readable;
  const childStderr = child.stderr as Readable;
  childStderr.setEncoding('utf8');
  childStderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2048);
  });

  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      outcome.stdoutBytes += chunk.length;
      if (outcome.stdoutBytes > cap) {
        outcome.overCap = true;
        killGroup();
        cb(new CapExceeded('stdout cap'));
        return;
      }
      cb(null, chunk);
    },
  });
  const sink =
    run.stdout ??
    new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) {
        collected += chunk.toString('utf8');
        cb();
      },
    });
  const piping = pipeline(childStdout, counter, sink).catch(() => {
    killGroup();
  });
  if (run.stdin && child.stdin) {
    child.stdin.on('error', () => undefined); // EPIPE when the remote side exits early
    run.stdin.on('error', () => killGroup());
    run.stdin.pipe(child.stdin);
  }

  await exit;
  clearTimeout(timer);
  await piping;
  outcome.stderr = scrubSecrets(stderr.trim());
  outcome.output = collected;
  return outcome;
}

/** One line describing why a run failed (for problems and logs). */
export function describeSshFailure(o: SshOutcome, timeoutMs: number): string {
  if (o.spawnError) return o.spawnError;
  if (o.timedOut) return TransferProblems.remoteTimedOut(timeoutMs);
  return TransferProblems.sshExit(o.code, o.signal, o.stderr);
}
