/**
 * One account's access policy with its side effects: it reads the sender's standing from the
 * store, the pure decision (decide.ts) decides, and this class carries the decision out against
 * the store.
 *
 * - pair: a pairing request is stored and the reply carrying the code queued in the outbox, in
 *   one transaction; the store has the last word (another stranger may have taken the last slot
 *   since the facts were read), so the outcome may become drop pairing-pending or pairing-cap.
 * - drop pairing-cap: the stranger is recorded (cap-dropped) so `pairing list` shows them.
 * - drop pairing-pending / pairing-denied: the request's last-seen time and message count are updated.
 * - drop no-mention in a group: the message is kept as group history (historyLimit > 0).
 * - dispatch in a group: the chat's kept history is taken (oldest first) and cleared.
 */
import type { EnvelopeHistoryEntry } from '../routing/envelope.js';
import { chatKeyOf, replyTargetFor, type Service } from '../routing/reply-target.js';
import type { GatewayStore, OutboxInsert } from '../store/index.js';
import type { ImsgMessage } from '../imsg/types.js';
import { decide, readsSender, type PolicyDecision } from './decide.js';
import { PairingService, pairingReplyText } from './pairing-service.js';
import { compilePolicy, type CompiledPolicy, type InboundPolicy } from './policy-config.js';
import { STRANGER } from './sender-standing.js';

export interface AccessPolicyOptions {
  accountId: string;
  /** Compiled once, here. */
  policy: InboundPolicy;
  store: GatewayStore;
  /** Default: a PairingService over `store` with the policy's region. */
  pairing?: PairingService;
  /** Group messages kept per chat for context; 0 disables. */
  historyLimit: number;
  /** Service of the pairing reply when the chat guid does not tell it. */
  service: Service;
}

export type AccessOutcome = PolicyDecision & {
  /** Group dispatch: the kept messages of the chat, oldest first (put them in envelope.history). */
  history: EnvelopeHistoryEntry[];
  /** action pair: the code sent to the stranger. */
  pairingCode?: string;
  /** A reply (the pairing code) was queued in the outbox: kick the outbox sender. */
  replyQueued: boolean;
};

export class AccessPolicy {
  readonly accountId: string;
  readonly pairing: PairingService;
  readonly policy: CompiledPolicy;

  constructor(private readonly o: AccessPolicyOptions) {
    this.accountId = o.accountId;
    this.pairing = o.pairing ?? new PairingService(o.store, { region: o.policy.region ?? 'US' });
    this.policy = compilePolicy(o.policy);
  }

  /**
   * The decision only: reads the sender's standing from the store when the decision needs it (a
   * DM under allowlist or pairing), writes nothing.
   */
  decide(message: ImsgMessage, now: number): PolicyDecision {
    const sender = readsSender(message, this.policy, now) ? this.pairing.standing(this.accountId, message.sender, now) : STRANGER;
    return decide({ message, policy: this.policy, sender, now });
  }

  /** The decision, carried out (see the module comment). Throws StoreError when the store fails. */
  admit(message: ImsgMessage, now: number): AccessOutcome {
    return this.carryOut(message, this.decide(message, now), now);
  }

  /**
   * Carries out a decision taken earlier by decide() (the pipeline decides when a message
   * arrives, journals it, and carries the decision out only for messages new to the journal, so a
   * replayed row never takes a chat's history or bumps a pairing request twice).
   */
  carryOut(message: ImsgMessage, decision: PolicyDecision, now: number): AccessOutcome {
    if (decision.action === 'pair' || (decision.action === 'drop' && isPairingDrop(decision.reason))) {
      return this.pair(message, decision, now);
    }
    if (decision.action === 'drop' && decision.reason === 'no-mention' && decision.kind === 'group') {
      this.o.store.appendGroupHistory(this.accountId, message.chat_id, historyEntryOf(message), this.o.historyLimit);
      return { ...decision, history: [], replyQueued: false };
    }
    if (decision.action === 'dispatch' && decision.kind === 'group' && this.o.historyLimit > 0) {
      return { ...decision, history: this.o.store.takeGroupHistory(this.accountId, message.chat_id), replyQueued: false };
    }
    return { ...decision, history: [], replyQueued: false };
  }

  /** The outbox row that carries a code to the stranger. */
  pairingReply(message: ImsgMessage, code: string): OutboxInsert {
    const target = replyTargetFor(message, 'dm', this.o.service);
    return {
      accountId: this.accountId,
      idempotencyKey: `pairing:${this.accountId}:${code}`,
      chatKey: chatKeyOf(target),
      target: JSON.stringify(target),
      text: pairingReplyText(code, message.sender),
      source: 'pairing',
    };
  }

  private pair(message: ImsgMessage, decision: PolicyDecision, now: number): AccessOutcome {
    const result = this.pairing.requestFor(this.accountId, message.sender, message.chat_id, now, (code) =>
      this.pairingReply(message, code),
    );
    const base = { kind: 'dm' as const, wasMentioned: false as const, history: [] };
    if ('capReached' in result) {
      return { ...base, action: 'drop', reason: 'pairing-cap', trace: settled(decision, 'pairing-cap'), replyQueued: false };
    }
    if ('denied' in result) {
      return { ...base, action: 'drop', reason: 'pairing-denied', trace: settled(decision, 'pairing-denied'), replyQueued: false };
    }
    if ('approved' in result || !result.created) {
      return { ...base, action: 'drop', reason: 'pairing-pending', trace: settled(decision, 'pairing-pending'), replyQueued: false };
    }
    return {
      ...base,
      action: 'pair',
      reason: 'pairing-requested',
      trace: settled(decision, 'pairing-requested'),
      pairingCode: result.code,
      replyQueued: true,
    };
  }
}

function isPairingDrop(reason: string): boolean {
  return reason === 'pairing-cap' || reason === 'pairing-pending' || reason === 'pairing-denied';
}

/** The decision's trace, plus a marker when the store's answer (read again under its lock) differed. */
function settled(
  decision: PolicyDecision,
  outcome: 'pairing-cap' | 'pairing-pending' | 'pairing-denied' | 'pairing-requested',
): readonly string[] {
  const decided = decision.action === 'drop' ? decision.reason : 'pairing-requested';
  if (decided === outcome) return decision.trace;
  return [...decision.trace.slice(0, -1), `store:${outcome}`, outcome === 'pairing-requested' ? 'pair' : 'drop'];
}

/** What a group message contributes to a later envelope's history. */
export function historyEntryOf(message: ImsgMessage): EnvelopeHistoryEntry & { guid?: string } {
  const text = message.text.replace(/\uFFFC/g, '').trim();
  const files = message.attachments.length;
  return {
    sender: message.sender,
    text: text !== '' ? text : files > 0 ? `[${files} attachment${files === 1 ? '' : 's'}]` : '',
    at: message.created_at,
    ...(message.guid ? { guid: message.guid } : {}),
  };
}
