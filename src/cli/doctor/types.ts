export type DoctorLevel = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report. */
export interface DoctorCheck {
  /** The account the check is about; absent for host-wide checks (home, config). */
  account?: string;
  /** What was checked: home, home-file, config, accounts, cliPath, imsg. */
  check: string;
  /** False for a failed check only; a warning is ok (the gateway runs) but worth fixing. */
  ok: boolean;
  /** ok, warn (it runs, but should be fixed; `doctor --fix` repairs file modes) or fail (it cannot work). */
  level?: DoctorLevel;
  /** What was found, in one sentence. */
  detail: string;
  /** Machine-readable class of a failed check (e.g. full-disk-access, ssh-host-key, timeout). */
  finding?: string;
  /** What to do about it (failed checks and warnings). */
  fix?: string;
}

export interface DoctorReport {
  /** No check failed (warnings allowed): the exit code is 0. */
  ok: boolean;
  /** How many checks warned. */
  warnings: number;
  checks: DoctorCheck[];
}
