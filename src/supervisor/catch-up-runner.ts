/**
 * The catch-up work of the account machine's `catching-up` state (imsg 0.14+ with `messages.after`
 * advertised; imsg-rpc-current.md §9.2). Pages the backlog after the durable cursor, 500 rows at a
 * time: each page's messages go through the normal inbound path (the journal dedupes by guid),
 * then the page is made durable and the cursor moves to `next_rowid`. The decisions are pure
 * (src/account-rules/catch-up.ts); this file only does the requests and the effects.
 */
import type { ImsgChat, ImsgMessage } from '../imsg/types.js';
import {
  afterPage,
  type CatchUpProgress,
  type CatchUpState,
  pageParams,
  parseAfterResult,
  progressOf,
  startCatchUp,
  type StopReason,
} from '../account-rules/catch-up.js';
import type { Clock } from '../util/clock.js';

export const CATCH_UP_PAGE_LIMIT = 500;

/** The one method of the client the loop needs (the client gates it on the advertised methods). */
export interface AfterClient {
  request<T = unknown>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
}

export interface CatchUpRun {
  client: AfterClient;
  fromRowid: number;
  attachments: boolean;
  /** include_reactions: the same value as the watch that follows (§9.2), so the cursor covers tapbacks. */
  includeReactions?: boolean;
  clock: Clock;
  signal: AbortSignal;
  pageLimit?: number;
  /** One message as imsg sent it, into the normal inbound path (validation, journal, agent). */
  deliver(raw: unknown): void;
  /**
   * Resolves once the account can take another page (inbound-backlog.ts: the messages already
   * received are not too many); awaited before each page, so a long catch-up never piles up more
   * than the live watch would.
   */
  ready?(): Promise<void>;
  /** Makes the page's messages durable and the cursor `rowid`; throws when they cannot be written. */
  commit(rowid: number): void;
  onProgress(progress: CatchUpProgress): void;
  /** Why paging stopped early (a fixed text), for one warning. */
  onStoppedEarly?(why: StopReason, problem: string | undefined): void;
}

export interface CatchUpResult {
  progress: CatchUpProgress;
  cursor: number;
}

/**
 * "How far behind": the newest message of the most recently active chat (2 reads), the way the
 * first-start anchor is found. An estimate (there is no max-ROWID method); null if it fails.
 */
export async function estimateHead(client: AfterClient): Promise<number | null> {
  try {
    const { chats } = await client.request<{ chats: ImsgChat[] }>('chats.list', { limit: 1 });
    const newest = chats[0];
    if (!newest) return null;
    const { messages } = await client.request<{ messages: ImsgMessage[] }>('messages.history', { chat_id: newest.id, limit: 1 });
    return messages[0]?.id ?? null;
  } catch {
    return null;
  }
}

export async function runCatchUp(run: CatchUpRun): Promise<CatchUpResult> {
  const { client, clock, signal } = run;
  const limit = run.pageLimit ?? CATCH_UP_PAGE_LIMIT;
  const head = await estimateHead(client);
  let state: CatchUpState = startCatchUp(run.fromRowid, head, clock.now());
  run.onProgress(progressOf(state, clock.now()));
  for (;;) {
    if (signal.aborted) throw new Error('catch-up aborted');
    await run.ready?.();
    if (signal.aborted) throw new Error('catch-up aborted');
    const result = await client.request('messages.after', run.includeReactions ? { ...pageParams(state, limit, run.attachments), include_reactions: true } : pageParams(state, limit, run.attachments));
    if (signal.aborted) throw new Error('catch-up aborted');
    const parsed = parseAfterResult(result);
    if (parsed.ok) for (const raw of parsed.page.messages) run.deliver(raw);
    const step = afterPage(state, parsed);
    // Persist after every page, even an empty one (§9.2); never past rows that are not durable.
    if (parsed.ok) run.commit(step.state.cursor);
    state = step.state;
    if (step.decision.next === 'subscribe') {
      const why = step.decision.why;
      if (why !== 'caught-up') run.onStoppedEarly?.(why, parsed.ok ? undefined : parsed.problem);
      const progress = progressOf(state, clock.now(), why);
      run.onProgress(progress);
      return { progress, cursor: state.cursor };
    }
    run.onProgress(progressOf(state, clock.now()));
  }
}
