/**
 * The log lines for imsg stdout lines an account could not use (issue 11, item 10): counted, and
 * logged with safe metadata only (line-summary.ts), never the line or any of its values, so no
 * message text reaches the log at any level. Non-JSON lines are logged at most once per 10 s (an
 * imsg that prints a banner before each answer would otherwise flood the log); malformed JSON-RPC
 * lines each time.
 */
import type { Logger } from 'pino';
import type { ImsgClientHandlers } from '../imsg/rpc-client.js';
import { summarizeLine } from '../imsg/line-summary.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';

const GARBAGE_LOG_INTERVAL_MS = 10_000;

export function imsgLineLogHandlers(
  logger: Logger,
  clock: Clock,
  counters: Pick<AccountCounters, 'garbageLines' | 'malformed'>,
): Required<Pick<ImsgClientHandlers, 'onGarbage' | 'onMalformed'>> {
  let lastGarbageLog = Number.NEGATIVE_INFINITY;
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
  };
}
