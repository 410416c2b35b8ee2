/**
 * Attachments of accounts whose cliPath is an SSH wrapper live on the Messages Mac, not here
 * (field reports S2, S5). detectRemoteHost reads the wrapper to find the host; fetchRemoteFile
 * copies one file over ssh (`cat`), with a byte cap, a deadline per attempt and a bounded retry
 * with backoff: a file Messages is still writing can fail or come back short the first time (A3).
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TransferProblems } from './errors.js';
import { describeSshFailure, isSafeHost, runSsh, shellQuotePath } from './ssh.js';

// ---------------------------------------------------------------------------------------------
// Wrapper parsing

/** ssh options that take a value (OpenSSH 9). */
const VALUE_OPTIONS = new Set('BbcDEeFIiJLlmOoPpQRSWw'.split(''));
/** Of those, the ones that describe the connection and are reused for file transfers. */
const CONNECTION_OPTIONS = new Set('BbcFIiJmoPpS'.split(''));

export interface RemoteSshTarget {
  /** `host` or `user@host` (a `-l user` option is folded in). */
  host: string;
  /** The wrapper's connection options, e.g. ['-p', '2222', '-i', '/path/key']. */
  sshArgs: string[];
}

/** The host of the first `ssh` invocation in a wrapper script, or undefined. */
export function detectRemoteHost(wrapperScriptPath: string): string | undefined {
  return detectRemoteSsh(wrapperScriptPath)?.host;
}

/** Host and connection options of the first `ssh` invocation in a wrapper script. */
export function detectRemoteSsh(wrapperScriptPath: string): RemoteSshTarget | undefined {
  let script: string;
  try {
    script = readFileSync(wrapperScriptPath, 'utf8');
  } catch {
    return undefined;
  }
  return parseWrapperScript(script);
}

/** detectRemoteSsh on the script's text (pure). */
export function parseWrapperScript(script: string): RemoteSshTarget | undefined {
  const vars = new Map<string, string>();
  const lines = script.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of lines) {
    const words = shellWords(line);
    if (words.length === 0) continue;
    // NAME=value (optionally after export/readonly/local) records a variable for later lines.
    const assignment = words[0] === 'export' || words[0] === 'readonly' || words[0] === 'local' ? words.slice(1) : words;
    if (assignment.length > 0 && assignment.every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w))) {
      for (const w of assignment) {
        const eq = w.indexOf('=');
        const value = substitute(w.slice(eq + 1), vars);
        if (value !== undefined) vars.set(w.slice(0, eq), value);
      }
      continue;
    }
    const at = words.findIndex((w) => w === 'ssh' || w.endsWith('/ssh'));
    if (at < 0) continue;
    return parseSshArgs(words.slice(at + 1), vars);
  }
  return undefined;
}

function parseSshArgs(args: string[], vars: Map<string, string>): RemoteSshTarget | undefined {
  const sshArgs: string[] = [];
  let user: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') return finish(args[i + 1], user, sshArgs, vars);
    if (word.startsWith('-') && word.length > 1) {
      for (let k = 1; k < word.length; k++) {
        const opt = word[k]!;
        if (!VALUE_OPTIONS.has(opt)) continue; // a flag such as -T, -q, -4
        const attached = word.slice(k + 1);
        const raw = attached !== '' ? attached : args[++i];
        if (raw === undefined) return undefined;
        const value = substitute(raw, vars);
        if (value === undefined) return undefined;
        if (opt === 'l') user = value;
        else if (CONNECTION_OPTIONS.has(opt)) sshArgs.push(`-${opt}`, value);
        break;
      }
      continue;
    }
    return finish(word, user, sshArgs, vars);
  }
  return undefined;
}

function finish(
  rawHost: string | undefined,
  user: string | undefined,
  sshArgs: string[],
  vars: Map<string, string>,
): RemoteSshTarget | undefined {
  if (rawHost === undefined) return undefined;
  const host = substitute(rawHost, vars);
  if (host === undefined || !isSafeHost(host)) return undefined;
  return { host: user && !host.includes('@') ? `${user}@${host}` : host, sshArgs };
}

/** `$NAME`, `${NAME}` and `${NAME:-default}` from earlier assignments; undefined if unresolvable. */
function substitute(word: string, vars: Map<string, string>): string | undefined {
  let unresolved = false;
  const out = word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = vars.get(name) ?? fallback;
    if (value === undefined) {
      unresolved = true;
      return '';
    }
    return value;
  });
  return unresolved || out.includes('$') ? undefined : out;
}

/**
 * Splits one shell line into words: quotes and backslashes are honoured, a `#` at the start of a
 * word starts a comment, and `;`, `&&`, `||`, `|` end the command (only the first one is kept).
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const close = line.indexOf("'", i + 1);
      const end = close < 0 ? line.length : close;
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        cur += line[i];
        i++;
      }
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else if ((ch === ';' || ch === '|' || ch === '&') && !inWord) {
      break;
    } else if (ch === ';' || ch === '|' || ch === '&') {
      words.push(cur);
      return words;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

// ---------------------------------------------------------------------------------------------
// Fetching

export interface RemoteFetchOptions {
  remoteHost: string;
  /** Path on the remote host (`~/` is expanded there). */
  remotePath: string;
  /** Local destination; written through `<destPath>.part` (mode 0600), renamed when complete. */
  destPath: string;
  maxBytes: number;
  /** Deadline of one attempt. */
  timeoutMs: number;
  /** Attempts in all (default 3). */
  attempts?: number;
  sshPath?: string;
  /** Connection options from the wrapper (detectRemoteSsh). */
  sshArgs?: readonly string[];
  /** Size imsg reported (`total_bytes`): fewer bytes means "still being written", retried. */
  expectedBytes?: number;
  /** First backoff delay (default 500 ms), doubled per attempt up to backoffMaxMs (default 4000). */
  backoffMs?: number;
  backoffMaxMs?: number;
}

export type RemoteFetchFailureKind = 'too-large' | 'missing' | 'timeout' | 'failed';

export type RemoteFetchResult =
  | { ok: true; destPath: string; sizeBytes: number; attempts: number }
  | { ok: false; kind: RemoteFetchFailureKind; problem: string; attempts: number };

export const DEFAULT_FETCH_ATTEMPTS = 3;

export async function fetchRemoteFile(opts: RemoteFetchOptions): Promise<RemoteFetchResult> {
  const attempts = Math.max(1, opts.attempts ?? DEFAULT_FETCH_ATTEMPTS);
  const base = opts.backoffMs ?? 500;
  const cap = opts.backoffMaxMs ?? 4000;
  if (!isSafeHost(opts.remoteHost)) {
    return { ok: false, kind: 'failed', attempts: 0, problem: TransferProblems.remoteFailed(opts.remoteHost, opts.remotePath, 0, 'invalid host') };
  }
  await mkdir(dirname(opts.destPath), { recursive: true, mode: 0o700 });
  let last: { kind: RemoteFetchFailureKind; detail: string } = { kind: 'failed', detail: '' };
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    made = attempt;
    if (attempt > 1) await delay(Math.min(cap, base * 2 ** (attempt - 2)));
    const part = `${opts.destPath}.part`;
    const out = createWriteStream(part, { mode: 0o600 });
    const outcome = await runSsh({
      sshPath: opts.sshPath,
      host: opts.remoteHost,
      sshArgs: opts.sshArgs,
      remote: ['cat', '--', shellQuotePath(opts.remotePath)],
      stdout: out,
      maxStdoutBytes: opts.maxBytes,
      timeoutMs: opts.timeoutMs,
    });
    const complete =
      !outcome.spawnError && !outcome.timedOut && !outcome.overCap && outcome.code === 0 &&
      (opts.expectedBytes === undefined || outcome.stdoutBytes >= opts.expectedBytes);
    if (complete) {
      await rename(part, opts.destPath);
      return { ok: true, destPath: opts.destPath, sizeBytes: outcome.stdoutBytes, attempts: attempt };
    }
    await unlink(part).catch(() => undefined);
    if (outcome.overCap) {
      return { ok: false, kind: 'too-large', attempts: attempt, problem: TransferProblems.remoteTooLarge(opts.remoteHost, opts.remotePath, opts.maxBytes) };
    }
    if (outcome.code === 0 && !outcome.timedOut && opts.expectedBytes !== undefined) {
      last = { kind: 'failed', detail: TransferProblems.remoteShort(outcome.stdoutBytes, opts.expectedBytes) };
    } else {
      const detail = describeSshFailure(outcome, opts.timeoutMs);
      const kind: RemoteFetchFailureKind = outcome.timedOut ? 'timeout' : /no such file/i.test(outcome.stderr) ? 'missing' : 'failed';
      last = { kind, detail };
      if (outcome.spawnError) break; // no ssh binary: retrying cannot help
    }
  }
  return {
    ok: false,
    kind: last.kind,
    attempts: made,
    problem: TransferProblems.remoteFailed(opts.remoteHost, opts.remotePath, made, last.detail),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
