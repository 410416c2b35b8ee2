/**
 * How a stopping gateway accounts for what it could not write, and the exit code it ends with
 * (docs/supervision.md, "Process and signals"). Nothing is lost in any of these cases: a held
 * message was never journalled, so the cursor did not move past it and imsg sends it again at the
 * next subscribe; an agent turn not written leaves its message `accepted`, dispatched again at the
 * next start (same envelope id, so no reply is sent twice).
 */
import type { Logger } from 'pino';
import type { StopReport } from '../supervisor/account-runtime.js';

export const EXIT_OK = 0;
/** An uncaught exception (the last-resort handler) or a stop that overran its deadline. */
export const EXIT_FAILED = 1;
/** Stopped in time, but some messages or agent turns could not be written (EX_IOERR: the state database refused writes). */
export const EXIT_STOPPED_UNWRITTEN = 74;
/** A second signal during the stop: exit at once. */
export const EXIT_SECOND_SIGNAL = 130;

/** A repeat within this window is the same Ctrl-C delivered twice (terminal + npm), not a second one. */
export const DUPLICATE_SIGNAL_MS = 500;

/** How long the process may linger after an orderly stop before it is ended (a stray handle). */
export const EXIT_LINGER_MS = 1000;

export function shutdownExitCode(base: number, reports: readonly StopReport[]): number {
  if (base !== EXIT_OK) return base;
  return reports.some(unwritten) ? EXIT_STOPPED_UNWRITTEN : EXIT_OK;
}

export function logShutdownReports(logger: Logger, reports: readonly StopReport[]): void {
  for (const r of reports.filter(unwritten)) {
    logger.error(
      {
        account: r.accountId,
        held: r.heldRowids.length,
        heldRowids: r.heldRowids.slice(0, 20),
        unwrittenTurns: r.unwrittenTurns,
        storeError: r.storeError ?? null,
      },
      'stopped with messages not written to the state database. Nothing is lost: the cursor did not move past them, ' +
        'so imsg sends them again at the next start (finished agent turns not written are dispatched again)',
    );
  }
}

function unwritten(r: StopReport): boolean {
  return r.heldRowids.length > 0 || r.unwrittenTurns > 0;
}
