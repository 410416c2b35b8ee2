/**
 * Which lane a request runs in, and so which deadline it gets (issue 12, item 1;
 * imsg-rpc-current.md §4). imsg 0.14+ runs three lanes: a FIFO mutation lane (a send holds it
 * through its post-send verification, up to 8 s), up to 4 concurrent reads, and a FIFO control
 * lane; each lane's answers come independently of the others. Before 0.14, imsg served one request
 * at a time, in arrival order: everything is one serial lane.
 *
 * Deadlines come in two kinds: mutations (`send`, `send.tracked`, ...) get the mutation deadline,
 * which must outlast imsg's receipt verification, and missing it leaves the send's outcome unknown;
 * everything else (reads and control) gets the shorter read deadline, and missing it is a hang.
 */
import type { ImsgProtocol } from './server-info.js';

export type Lane = 'mutation' | 'read' | 'control' | 'serial';
export type DeadlineKind = 'read' | 'mutation';

/** The mutation lane's methods (§4.1): every one changes something in Messages. */
const MUTATIONS: ReadonlySet<string> = new Set([
  'send',
  'send.tracked',
  'send.rich',
  'send.attachment',
  'send.multipart',
  'send.sticker',
  'tapback',
  'typing',
  'read',
  'message.edit',
  'message.unsend',
  'message.delete',
  'message.notifyAnyways',
  'chats.create',
  'chats.delete',
  'chats.markUnread',
  'contacts.shareContactCard',
]);

const READS: ReadonlySet<string> = new Set([
  'status',
  'chats.list',
  'chats.get',
  'messages.history',
  'messages.after',
  'message.send_status',
  'messages.search',
  'messages.stats',
  'messages.scheduled',
  'handles.check',
  'contacts.shouldShareContact',
]);

export function isMutation(method: string): boolean {
  return MUTATIONS.has(method) || method.startsWith('poll.') || method.startsWith('group.');
}

export function deadlineKind(method: string): DeadlineKind {
  return isMutation(method) ? 'mutation' : 'read';
}

/** imsg 0.14+ holds a send in its lane for up to this long while it looks for the sent row (§8.2). */
export const RECEIPT_VERIFICATION_MS = 8000;

/**
 * A note when the mutation deadline does not outlast imsg 0.14+'s receipt verification: a send
 * still being verified would count as unknown (and restart the child). Undefined when it does, or
 * for an older imsg, which does not verify.
 */
export function shortMutationDeadline(protocol: ImsgProtocol, mutationTimeoutMs: number): string | undefined {
  if (protocol !== 'v1' || mutationTimeoutMs > RECEIPT_VERIFICATION_MS) return undefined;
  return (
    `gateway.supervision.mutationTimeoutMs (${mutationTimeoutMs} ms) is not above the ${RECEIPT_VERIFICATION_MS / 1000} s ` +
    `this imsg may spend verifying a send: such a send would count as unknown; raise it (default 30000)`
  );
}

/** The lane a request waits in: v1 (0.14+) by method; legacy or not negotiated yet, one serial lane. */
export function laneOf(method: string, protocol: ImsgProtocol | undefined): Lane {
  if (protocol !== 'v1') return 'serial';
  if (isMutation(method)) return 'mutation';
  if (READS.has(method)) return 'read';
  // initialize, watch.subscribe, watch.unsubscribe, bridge.events.subscribe, and unknown methods.
  return 'control';
}
