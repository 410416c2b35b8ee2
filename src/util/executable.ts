/**
 * Where an account's cliPath points: resolved the way spawn() will resolve it (a path as is,
 * relative to the working directory; a bare name on $PATH), and whether it is an SSH wrapper.
 * Shared by `config check`/`doctor` and the supervisor, which gives a shared Messages source to an
 * account whose cliPath resolves (source-roles.ts).
 */
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export type ExecutableResolution =
  | { ok: true; path: string; realPath: string }
  | { ok: false; problem: 'not-found' | 'not-executable' | 'not-a-file'; path: string; detail: string; fix: string };

const INSTALL_HINT = 'install imsg (brew install steipete/tap/imsg) or set cliPath to its absolute path';

function isExecutableFile(file: string): 'ok' | 'missing' | 'not-a-file' | 'not-executable' {
  let st;
  try {
    st = statSync(file);
  } catch {
    return 'missing';
  }
  if (!st.isFile()) return 'not-a-file';
  try {
    accessSync(file, constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Resolves cliPath as spawn() would; env.PATH is searched for a bare name. */
export function resolveExecutable(cliPath: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ExecutableResolution {
  if (cliPath.includes('/')) {
    const file = path.resolve(cwd, cliPath);
    const state = isExecutableFile(file);
    switch (state) {
      case 'ok':
        return { ok: true, path: file, realPath: realpathOr(file) };
      case 'missing':
        return { ok: false, problem: 'not-found', path: file, detail: `${file} does not exist`, fix: `Fix cliPath, or ${INSTALL_HINT}.` };
      case 'not-a-file':
        return { ok: false, problem: 'not-a-file', path: file, detail: `${file} is not a file`, fix: `Point cliPath at the imsg executable (or a wrapper script), not a directory.` };
      case 'not-executable':
        return { ok: false, problem: 'not-executable', path: file, detail: `${file} is not executable`, fix: `chmod +x ${file}` };
    }
  }
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  let firstNonExecutable: string | undefined;
  for (const dir of dirs) {
    const file = path.resolve(cwd, dir, cliPath);
    const state = isExecutableFile(file);
    if (state === 'ok') return { ok: true, path: file, realPath: realpathOr(file) };
    if (state === 'not-executable' && firstNonExecutable === undefined) firstNonExecutable = file;
  }
  if (firstNonExecutable !== undefined) {
    return {
      ok: false,
      problem: 'not-executable',
      path: firstNonExecutable,
      detail: `"${cliPath}" was found on PATH as ${firstNonExecutable}, which is not executable`,
      fix: `chmod +x ${firstNonExecutable}`,
    };
  }
  return {
    ok: false,
    problem: 'not-found',
    path: cliPath,
    detail: `"${cliPath}" is not on PATH (${dirs.join(':') || 'PATH is empty'})`,
    fix: `${INSTALL_HINT[0]!.toUpperCase()}${INSTALL_HINT.slice(1)}; a service has a shorter PATH than your shell, so an absolute path is safest.`,
  };
}

export interface WrapperInfo {
  /** The executable is a script that runs ssh: imsg and chat.db live on the other side. */
  ssh: boolean;
  /** `host` or `user@host` found after `-T` in the script, when it looks like ours. */
  destination?: string;
}

/** Reads the head of a script (never a binary) to tell whether it proxies imsg over SSH. */
export function inspectWrapper(file: string): WrapperInfo {
  let head: string;
  try {
    const buf = readFileSync(file);
    if (buf.length < 2 || buf[0] !== 0x23 || buf[1] !== 0x21) return { ssh: false }; // no "#!"
    head = buf.subarray(0, 64 * 1024).toString('utf8');
  } catch {
    return { ssh: false };
  }
  const lines = head
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const sshLine = lines.find((l) => /(^|[\s/"'])ssh(\s|$|["'])/.test(l));
  if (!sshLine) return { ssh: false };
  const dest = /\s-T\s+([A-Za-z0-9._%:@-]+)/.exec(sshLine)?.[1];
  return dest && !dest.startsWith('-') ? { ssh: true, destination: dest } : { ssh: true };
}
