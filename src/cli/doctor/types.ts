/** One line of the doctor's report. */
export interface DoctorCheck {
  /** The account the check is about; absent for host-wide checks (home, config). */
  account?: string;
  /** What was checked: home, home-file, config, accounts, cliPath, imsg. */
  check: string;
  ok: boolean;
  /** What was found, in one sentence. */
  detail: string;
  /** Machine-readable class of a failed check (e.g. full-disk-access, ssh-host-key, timeout). */
  finding?: string;
  /** What to do about it (failed checks only). */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}
