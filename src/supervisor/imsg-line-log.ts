/**
 * The log lines for imsg stdout lines an account could not use (issue 11, item 10): counted, and
 * logged with safe metadata only (line-summary.ts), never the line or any of its values, so no
 * message text reaches the log at any level. Non-JSON lines are logged at most once per 10 s (an
 * imsg that prints a banner before each answer would otherwise flood the log); malformed JSON-RPC
 * lines each time. Input the gateway does not know (issue 12, bad input: an unknown notification
 * method, an unknown error code, a negotiation note such as a thin status snapshot or an unknown
 * version) is logged once per account, however often it comes, and never ends the account.
 */
import type { Logger } from 'pino';
import type { ImsgClientHandlers, UnknownInput } from '../imsg/rpc-client.js';
import { summarizeLine } from '../imsg/line-summary.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';

const GARBAGE_LOG_INTERVAL_MS = 10_000;
/** Distinct bad-input keys remembered per account (error codes are keyed one by one); past it, only counted. */
const MAX_ONCE_KEYS = 64;

/** Says yes the first time it sees a key, no after; for log lines that come once per account. */
export class OncePerAccount {
  private readonly seen = new Set<string>();
  first(key: string): boolean {
    if (this.seen.has(key) || this.seen.size >= MAX_ONCE_KEYS) return false;
    this.seen.add(key);
    return true;
  }
}

export function imsgLineLogHandlers(
  logger: Logger,
  clock: Clock,
  counters: Pick<AccountCounters, 'garbageLines' | 'malformed' | 'unknownInput'>,
): Required<Pick<ImsgClientHandlers, 'onGarbage' | 'onMalformed' | 'onUnknownInput'>> {
  let lastGarbageLog = Number.NEGATIVE_INFINITY;
  const once = new OncePerAccount();
  return {
    onGarbage: (line) => {
      counters.garbageLines++;
      const now = clock.now();
      if (now - lastGarbageLog <= GARBAGE_LOG_INTERVAL_MS) return;
      lastGarbageLog = now;
      logger.warn({ line: summarizeLine(line), total: counters.garbageLines }, 'ignored a non-JSON line from imsg');
    },
    onMalformed: (problem, line) => {
      counters.malformed++;
      logger.warn({ line: summarizeLine(line), problem, total: counters.malformed }, 'ignored a malformed line from imsg');
    },
    onUnknownInput: (input: UnknownInput, line) => {
      counters.unknownInput++;
      if (input.what === 'notification') {
        if (!once.first('notification')) return;
        logger.warn(
          { line: summarizeLine(line), total: counters.unknownInput },
          'imsg sent a notification method this gateway does not know (a newer imsg?); ignored, the account keeps streaming ' +
            '(logged once per account; later ones are only counted in counters.unknownInput)',
        );
        return;
      }
      if (!once.first(`error-code:${input.code}`)) return;
      logger.warn(
        { method: input.method, code: input.code, total: counters.unknownInput },
        `imsg answered ${input.method} with error code ${input.code}, which this gateway does not know (a newer or forked imsg?); ` +
          'that request failed as a plain RPC error, the account carries on (logged once per account and code)',
      );
    },
  };
}

/** Negotiation's notes (legacy fallback, thin status snapshot, unknown version): each logged once per account. */
export function negotiationNoteLog(logger: Logger): (notes: readonly string[], imsgVersion: string | null) => void {
  const once = new OncePerAccount();
  return (notes, imsgVersion) => {
    for (const note of notes) if (once.first(note)) logger.warn({ imsgVersion }, `${note} (logged once per account)`);
  };
}
