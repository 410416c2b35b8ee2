/**
 * Health that tells the truth (issue 11, item 3): a projection beside the machine state. An account
 * can be `streaming` and still not doing its job: messages held because the state database refuses
 * them, writes failing, messages quarantined, a chat paused by the echo-loop breaker, its machinery
 * restarting after an internal error. Any of these makes it `degraded`, with the reasons.
 * Pure: computed from the runtime's facts and the time, never from I/O.
 */

/** `warning`: a merged account (supervisor.ts); never computed here. */
export type AccountHealth = 'ok' | 'warning' | 'degraded';

export type DegradedCode =
  | 'held-messages'
  | 'store-write-failed'
  | 'quarantined'
  | 'chat-paused'
  | 'internal-error'
  // delivery-health.ts
  | 'sends-overdue'
  | 'sends-unknown'
  | 'dead-letters';

export interface DegradedReason {
  code: DegradedCode;
  /** For the operator: what, how many, since when. Never message text. */
  message: string;
}

export interface HealthFacts {
  now: number;
  /** Messages received but not yet written to the journal. */
  heldMessages: number;
  /** The journal (or finished agent turns) cannot be written: why and since when. */
  storeFailure?: { since: number; error: string } | undefined;
  /** The last quarantine of this run. */
  lastQuarantine?: { at: number; reason: string; rowid: number | null } | undefined;
  /** Quarantined in this run. */
  quarantined: number;
  pausedChats: readonly string[];
  /**
   * The account's machinery failed: the supervisor is restarting it, or (`restarted`) this run
   * replaced a runtime that failed.
   */
  internalError?: { at: number; error: string; restarted?: boolean } | undefined;
}

/** A quarantine keeps the account degraded this long (the rows stay listed by `quarantine list`). */
export const QUARANTINE_DEGRADED_MS = 60 * 60 * 1000;

/** After an internal error the restarted account stays degraded this long, so the crash stays visible. */
export const INTERNAL_ERROR_DEGRADED_MS = QUARANTINE_DEGRADED_MS;

export function accountHealth(f: HealthFacts): { health: AccountHealth; degradedReasons: DegradedReason[] } {
  const reasons: DegradedReason[] = [];
  const iso = (t: number) => new Date(t).toISOString();
  if (f.storeFailure) {
    reasons.push({
      code: 'store-write-failed',
      message: `the state database refuses writes since ${iso(f.storeFailure.since)}: ${f.storeFailure.error}`,
    });
  }
  if (f.heldMessages > 0) {
    reasons.push({
      code: 'held-messages',
      message: `${f.heldMessages} message${f.heldMessages === 1 ? '' : 's'} held, not yet written (the cursor has not moved past them)`,
    });
  }
  if (f.lastQuarantine && quarantineShown(f)) {
    const row = f.lastQuarantine.rowid !== null ? ` (row ${f.lastQuarantine.rowid})` : '';
    reasons.push({
      code: 'quarantined',
      message: `${f.quarantined} message${f.quarantined === 1 ? '' : 's'} quarantined; last at ${iso(f.lastQuarantine.at)}${row}: ${f.lastQuarantine.reason} (\`imessage-gateway quarantine list\`)`,
    });
  }
  if (f.pausedChats.length > 0) {
    reasons.push({
      code: 'chat-paused',
      message: `echo-loop breaker paused ${f.pausedChats.length} chat${f.pausedChats.length === 1 ? '' : 's'}: ${f.pausedChats.join(', ')}`,
    });
  }
  const crash = f.internalError;
  if (crash && internalErrorShown(f)) {
    reasons.push({
      code: 'internal-error',
      message: `internal error at ${iso(crash.at)}, account ${crash.restarted ? 'restarted' : 'restarting'}: ${crash.error}`,
    });
  }
  return { health: reasons.length > 0 ? 'degraded' : 'ok', degradedReasons: reasons };
}

const quarantineShown = (f: HealthFacts): boolean => !!f.lastQuarantine && f.now - f.lastQuarantine.at < QUARANTINE_DEGRADED_MS;
const internalErrorShown = (f: HealthFacts): boolean =>
  !!f.internalError && (!f.internalError.restarted || f.now - f.internalError.at < INTERNAL_ERROR_DEGRADED_MS);

/**
 * The only part of accountHealth(f) that `now` decides: which time windows are open (a recent
 * quarantine, a recent internal error), as a number. Facts that are the same with the same
 * windows give the same health, so a cache of the status may be kept while this does not change.
 */
export function healthWindows(f: HealthFacts): number {
  return (quarantineShown(f) ? 1 : 0) | (internalErrorShown(f) ? 2 : 0);
}
