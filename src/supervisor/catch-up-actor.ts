/**
 * The account machine's `catchUp` actor (state `child.catching-up`): runs the page loop
 * (catch-up-runner.ts) on the live child, reports progress to the machine per page, subscribes the
 * watch from the caught-up cursor (§9.2: an explicit since_rowid closes the window between the last
 * page and the subscribe), and logs ONE summary line. Stopping the actor (child exit, STOP)
 * abandons the loop; nothing it sends after that reaches the machine.
 */
import type { Logger } from 'pino';
import type { CatchUpProgress } from '../account-rules/catch-up.js';
import type { AccountEvent } from '../machines/account-machine.js';
import type { Clock } from '../util/clock.js';
import { type AfterClient, runCatchUp } from './catch-up-runner.js';

export interface CatchUpActorDeps {
  /** The live child (undefined when it is gone). */
  client: () => AfterClient | undefined;
  /** The durable cursor to start after. */
  cursor: () => number;
  attachments: boolean;
  /** Asked when the catch-up starts: include_reactions for messages.after (and the watch after it). */
  includeReactions?: () => boolean;
  clock: Clock;
  logger: Logger;
  deliver: (raw: unknown) => void;
  /** Resolves once the account can take another page (the inbound backlog is low enough). */
  ready?: () => Promise<void>;
  commit: (rowid: number) => void;
  /** Subscribes the watch from the durable cursor on the same child. */
  subscribe: () => Promise<number>;
}

export function startCatchUpActor(deps: CatchUpActorDeps, sendBack: (event: AccountEvent) => void): () => void {
  const abort = new AbortController();
  const send = (event: AccountEvent) => {
    if (!abort.signal.aborted) sendBack(event);
  };
  const work = async (): Promise<void> => {
    const client = deps.client();
    if (!client) throw new Error('no live imsg child to catch up on');
    const { progress } = await runCatchUp({
      client,
      fromRowid: deps.cursor(),
      attachments: deps.attachments,
      includeReactions: deps.includeReactions?.() ?? false,
      clock: deps.clock,
      signal: abort.signal,
      deliver: deps.deliver,
      ...(deps.ready ? { ready: deps.ready } : {}),
      commit: deps.commit,
      onProgress: (p) => send({ type: 'CATCH_UP_PROGRESS', progress: p }),
      onStoppedEarly: (why, problem) =>
        deps.logger.warn(
          { why, problem },
          why === 'stalled'
            ? 'messages.after said more rows follow but did not move its cursor; the watch takes over from here'
            : 'messages.after gave an answer the gateway cannot read; the watch takes over from the cursor',
        ),
    });
    if (abort.signal.aborted) return;
    const subscription = await deps.subscribe();
    logSummary(deps.logger, progress);
    send({ type: 'CATCH_UP_DONE', subscription, progress });
  };
  work().catch((error: unknown) => send({ type: 'CATCH_UP_FAILED', error }));
  return () => abort.abort();
}

function logSummary(logger: Logger, p: CatchUpProgress): void {
  logger.info(
    { rows: p.rows, pages: p.pages, fromRowid: p.fromRowid, cursor: p.cursor, ms: p.elapsedMs, rowsPerSecond: p.rowsPerSecond, stoppedBy: p.stoppedBy },
    `caught up with messages.after: ${p.rows} messages in ${p.pages} pages (${p.elapsedMs} ms); watch subscribed after row ${p.cursor}`,
  );
}
