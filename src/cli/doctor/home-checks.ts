/**
 * The gateway home: it must be a directory only its owner can enter, and the files the gateway
 * keeps there (config, state, control token, status) must not be readable by anyone else.
 */
import { chmodSync, lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { DoctorCheck } from './types.js';

/** Files the gateway writes into its home (SQLite's companions share state.db's mode). */
export const PRIVATE_HOME_FILES = ['config.json5', 'state.db', 'state.db-wal', 'state.db-shm', 'control-token', 'status.json'];

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

function statOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function ownerProblem(st: Stats): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid === undefined || st.uid === uid) return undefined;
  return `owned by uid ${st.uid}, not by you (uid ${uid})`;
}

/**
 * @param home the gateway home
 * @param configPath the config file in use (checked too when it lives outside the home)
 * @param explicitConfig the config was named with --config, so a missing home is not (yet) a problem
 */
export function checkHome(home: string, configPath: string, explicitConfig: boolean): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  let st: Stats | undefined;
  try {
    st = statOrUndefined(home);
  } catch (err) {
    return [{ check: 'home', ok: false, finding: 'home-unreadable', detail: `cannot inspect ${home}: ${(err as Error).message}`, fix: `Check the permissions of ${path.dirname(home)}.` }];
  }
  if (st === undefined) {
    checks.push(
      explicitConfig
        ? { check: 'home', ok: true, detail: `${home} does not exist yet; \`start\` creates it (mode 0700)` }
        : {
            check: 'home',
            ok: false,
            finding: 'home-missing',
            detail: `${home} does not exist`,
            fix: `mkdir -m 700 ${home} and write ${path.join(home, 'config.json5')} (see docs/configuration.md), or set $IMESSAGE_GATEWAY_HOME.`,
          },
    );
  } else if (st.isSymbolicLink() || !st.isDirectory()) {
    checks.push({
      check: 'home',
      ok: false,
      finding: 'home-not-directory',
      detail: `${home} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`,
      fix: `Make ${home} a real directory (mkdir -m 700), or point $IMESSAGE_GATEWAY_HOME at one.`,
    });
  } else {
    const owner = ownerProblem(st);
    if (owner) {
      checks.push({ check: 'home', ok: false, finding: 'home-owner', detail: `${home} is ${owner}`, fix: `Run the gateway as the owner of ${home}, or chown -R "$(id -un)" ${home}.` });
    } else if ((st.mode & 0o077) !== 0) {
      checks.push({
        check: 'home',
        ok: true,
        level: 'warn',
        finding: 'home-mode',
        detail: `${home} is mode ${octal(st.mode)}: other users can ${st.mode & 0o044 ? 'list' : 'enter'} it`,
        fix: `chmod 700 ${home} (or \`imessage-gateway doctor --fix\`)`,
      });
    } else {
      checks.push({ check: 'home', ok: true, detail: `${home} (mode ${octal(st.mode)})` });
    }
  }

  const files = PRIVATE_HOME_FILES.map((name) => path.join(home, name));
  if (!files.includes(configPath)) files.push(configPath);
  const seen: string[] = [];
  let problems = 0;
  for (const file of files) {
    let fst: Stats | undefined;
    try {
      fst = statOrUndefined(file);
    } catch {
      continue; // The home itself is unreadable: reported above.
    }
    if (fst === undefined || fst.isSymbolicLink() || !fst.isFile()) continue;
    seen.push(path.basename(file));
    const owner = ownerProblem(fst);
    if ((fst.mode & 0o077) !== 0 || owner) {
      problems++;
      checks.push(
        owner
          ? { check: 'home-file', ok: false, finding: 'file-owner', detail: `${file} is ${owner}`, fix: `chown "$(id -un)" ${file}; chmod 600 ${file}` }
          : {
              check: 'home-file',
              ok: true,
              level: 'warn',
              finding: 'file-mode',
              detail: `${file} is mode ${octal(fst.mode)}: readable or writable by group or others`,
              fix: `chmod 600 ${file} (or \`imessage-gateway doctor --fix\`)`,
            },
      );
    }
  }
  if (problems === 0 && seen.length > 0) {
    checks.push({ check: 'home-file', ok: true, detail: `private to you: ${seen.join(', ')}` });
  }
  return checks;
}

/** One repair `doctor --fix` made. */
export interface ModeRepair {
  path: string;
  from: string;
  to: string;
}

/**
 * `doctor --fix`: the safe repairs only. The home becomes 0700 and the gateway's files in it (and
 * the config in use) 0600, when they are yours, real (not symbolic links) and too open. Nothing
 * is created, moved, deleted or chowned.
 */
export function repairHomeModes(home: string, configPath: string): ModeRepair[] {
  const repairs: ModeRepair[] = [];
  const repair = (file: string, wantDir: boolean): void => {
    let st: Stats | undefined;
    try {
      st = statOrUndefined(file);
    } catch {
      return;
    }
    if (st === undefined || st.isSymbolicLink() || ownerProblem(st) !== undefined) return;
    if (wantDir ? !st.isDirectory() : !st.isFile()) return;
    if ((st.mode & 0o077) === 0) return;
    const to = wantDir ? 0o700 : 0o600;
    chmodSync(file, to);
    repairs.push({ path: file, from: octal(st.mode), to: octal(to) });
  };
  repair(home, true);
  const files = PRIVATE_HOME_FILES.map((name) => path.join(home, name));
  if (!files.includes(configPath)) files.push(configPath);
  for (const file of files) repair(file, false);
  return repairs;
}
