/**
 * What a `message.send_status` answer says about a tracked send (imsg-rpc-current.md §8.4, §8.5).
 * Pure and strict: the answer is validated field by field, and anything this gateway does not know
 * (an extra field, a new state, a guid that is not the one asked about) means "cannot tell", never
 * "delivered", so a malformed answer can only delay a send, not lose one.
 */
import { z } from 'zod';

const iso = z.string().min(1);

const statusFields = z
  .object({
    is_sent: z.boolean(),
    is_delivered: z.boolean(),
    is_finished: z.boolean(),
    error: z.number().int(),
    date_delivered: iso.nullable(),
    date_read: iso.nullable(),
    is_delayed: z.boolean(),
    is_prepared: z.boolean(),
    is_pending_satellite_send: z.boolean(),
    was_downgraded: z.boolean(),
  })
  .strict();

const sendStatus = z
  .object({
    ok: z.literal(true),
    guid: z.string(),
    send_state: z.enum(['pending', 'sent', 'delivered', 'failed']),
    service: z.string().nullable(),
    checked_at: iso,
    delivered_at: iso.optional(),
    status_fields: statusFields.nullable(),
  })
  .strict();

export type SendStatusVerdict =
  /** A message with the attempt id exists: the send went out (`failed`: Messages recorded an error after sending). */
  | { kind: 'exists'; state: 'sent' | 'delivered' | 'failed' }
  /** No such message yet (or one not sent yet): it may still appear; poll, then re-submit the same attempt id. */
  | { kind: 'pending' }
  /** An answer this gateway cannot read: treat the outcome as still unknown. */
  | { kind: 'unknown'; reason: string };

export function interpretSendStatus(result: unknown, attemptId: string): SendStatusVerdict {
  const parsed = sendStatus.safeParse(result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the answer';
    return { kind: 'unknown', reason: `message.send_status answer not understood (${where}: ${issue?.message ?? 'invalid'})` };
  }
  const s = parsed.data;
  if (s.guid.trim().toLowerCase() !== attemptId.toLowerCase()) {
    return { kind: 'unknown', reason: 'message.send_status answered about another guid than the attempt id asked about' };
  }
  if (s.send_state === 'pending') return { kind: 'pending' };
  if (s.status_fields === null) {
    return { kind: 'unknown', reason: `message.send_status says ${s.send_state} without the message's status fields` };
  }
  return { kind: 'exists', state: s.send_state };
}
