/**
 * Tracked sends (issue 13, item 2; imsg-rpc-current.md §8.4, §8.5): when the connected imsg offers
 * `send.tracked` and `message.send_status`, a text row is sent under an attempt id persisted before
 * the call, and an unknown outcome is settled by asking for that id, not by matching history.
 * This file holds the decisions; outbox-sender.ts runs them.
 */
import type { ImsgRpcClient } from '../imsg/rpc-client.js';
import { methodAvailable } from '../imsg/server-info.js';
import { interpretSendStatus, type SendStatusVerdict } from '../imsg/send-status.js';
import type { OutboxRow } from '../store/index.js';

/** While no message has the attempt id, ask again this often... */
export const TRACKED_POLL_MS = 2000;
/** ...for this long after the attempt, then re-submit the same attempt id (at most once by imsg's rule). */
export const TRACKED_PENDING_MS = 60_000;

/** Whether this child takes tracked sends and answers for them (both methods usable now). */
export function trackedAvailable(client: ImsgRpcClient): boolean {
  const info = client.server;
  return info !== undefined && methodAvailable(info, 'send.tracked') && methodAvailable(info, 'message.send_status');
}

/** Whether this child can answer for an attempt id (reconcile a tracked row), whatever its bridge does now. */
export function statusAvailable(client: ImsgRpcClient): boolean {
  const info = client.server;
  return info !== undefined && methodAvailable(info, 'message.send_status');
}

/** A row goes by send.tracked: text only (send.tracked sends exactly one text message), on a child that offers it. */
export function sendsTracked(row: OutboxRow, client: ImsgRpcClient): boolean {
  return row.file === null && row.text !== '' && trackedAvailable(client);
}

export type TrackedReconcile =
  /** The message exists under the attempt id: record the row as sent. */
  | { action: 'sent'; state: string }
  /** Not there yet, within the window: ask again after `inMs`. */
  | { action: 'poll'; inMs: number }
  /** Not there after the window: send.tracked again with the same attempt id (imsg sends it at most once). */
  | { action: 'resubmit' }
  /** An answer that cannot be read: the outcome stays unknown; ask again after `inMs`. */
  | { action: 'unreadable'; reason: string; inMs: number };

/** What to do with a tracked row whose outcome was unknown, given imsg's answer. Pure. */
export function decideTracked(
  verdict: SendStatusVerdict,
  now: number,
  lastAttemptAt: number | null,
  windowMs = TRACKED_PENDING_MS,
  pollMs = TRACKED_POLL_MS,
): TrackedReconcile {
  switch (verdict.kind) {
    case 'exists':
      return { action: 'sent', state: verdict.state };
    case 'unknown':
      return { action: 'unreadable', reason: verdict.reason, inMs: pollMs };
    case 'pending': {
      const since = lastAttemptAt ?? now;
      return now - since < windowMs ? { action: 'poll', inMs: pollMs } : { action: 'resubmit' };
    }
  }
}

/** Asks imsg about the attempt id and reads the answer strictly. */
export async function askSendStatus(client: ImsgRpcClient, attemptId: string): Promise<SendStatusVerdict> {
  const result = await client.request<unknown>('message.send_status', { guid: attemptId });
  return interpretSendStatus(result, attemptId);
}
