/**
 * The access-policy statechart: for one inbound message, dispatch | drop(reason) | pair, with the
 * path of states it went through.
 *
 *   screening ─ own-message / reaction / empty-sender / empty-message / backlog ─────────▶ dropped
 *      ├─ kind dm ──▶ dm
 *      │     dm.policy ─ disabled ─────────────────────────────────────────────────────▶ dropped (dm-disabled)
 *      │               ─ open, or sender allowed (allowFrom ∪ approved) ───────────────▶ dispatched
 *      │               ─ allowlist ────────────────────────────────────────────────────▶ dropped (not-allowlisted)
 *      │               ─ pairing ──▶ dm.pairing ─ denied (deny/revoke, until expiry) ────────▶ dropped (pairing-denied)
 *      │                                        ─ pending ─────────────────────────────▶ dropped (pairing-pending)
 *      │                                        ─ cap-reached ─────────────────────────▶ dropped (pairing-cap)
 *      │                                        ─ none / expired ──────────────────────▶ paired (reply with a code)
 *      └─ kind group ──▶ group
 *            group.chat    ─ no chat_id ──────────────────────────────────────────────▶ dropped (group-without-chat)
 *            group.policy  ─ disabled ────────────────────────────────────────────────▶ dropped (group-disabled)
 *            group.chats   ─ groups map non-empty, chat not in it, no "*" ────────────▶ dropped (group-not-allowed)
 *            group.senders ─ allowlist, sender/chat not in groupAllowFrom ─────────────▶ dropped (not-allowlisted)
 *            group.mention ─ requireMention and not mentioned ────────────────────────▶ dropped (no-mention)
 *                          ─ otherwise ───────────────────────────────────────────────▶ dispatched
 *
 * Speed: running an actor costs ~19 µs, far too much per message. So the work is split:
 * `policyFacts` (pure, cheap) reduces a message to a handful of booleans and enums, and the chart
 * runs once per distinct facts combination; its outcome is memoized under `factsKey(facts)`.
 * Facts the chart cannot read for a message take a canonical value (false / "none"), so that the
 * store is not asked about pairing for a tapback, and the memo stays small.
 */
import { assign, createActor, setup } from 'xstate';
import type { DmPolicy, GroupConfig, GroupPolicy } from '../config/types.js';
import type { ImsgMessage } from '../imsg/types.js';
import { compileAllowlist, type Allowlist } from '../routing/allowlist.js';
import { DEFAULT_REGION } from '../routing/handles.js';
import type { PairingState, PairingView } from './pairing-service.js';

// ── reasons and outcomes ──────────────────────────────────────────────────

export type DropReason =
  | 'own-message'
  | 'reaction'
  | 'empty-sender'
  | 'empty-message'
  | 'backlog'
  | 'dm-disabled'
  | 'not-allowlisted'
  | 'pairing-pending'
  | 'pairing-cap'
  /** A sender denied (`pairing deny`) or revoked (`pairing revoke`): no reply, no new code. */
  | 'pairing-denied'
  | 'group-without-chat'
  | 'group-disabled'
  | 'group-not-allowed'
  | 'no-mention'
  /** Set by the pipeline: the guid is already in the journal. */
  | 'duplicate'
  /** Journal reason of a message answered with a pairing code (action "pair"): not processed. */
  | 'pairing-requested';

export const DROP_REASONS: readonly DropReason[] = [
  'own-message',
  'reaction',
  'empty-sender',
  'empty-message',
  'backlog',
  'dm-disabled',
  'not-allowlisted',
  'pairing-pending',
  'pairing-cap',
  'pairing-denied',
  'group-without-chat',
  'group-disabled',
  'group-not-allowed',
  'no-mention',
  'duplicate',
  'pairing-requested',
];

export type ChatKind = 'dm' | 'group';

/** The chart's answer. Memoized outcomes are frozen and shared: never mutate one. */
export type PolicyDecision =
  | { action: 'dispatch'; kind: ChatKind; wasMentioned: boolean; path: readonly string[] }
  | { action: 'drop'; reason: DropReason; kind: ChatKind; wasMentioned: boolean; path: readonly string[] }
  | { action: 'pair'; reason: 'pairing-requested'; kind: 'dm'; wasMentioned: false; path: readonly string[] };

/** Kept for the pipeline's existing imports. */
export type InboundDecision = PolicyDecision;

// ── facts ─────────────────────────────────────────────────────────────────

export interface PolicyFacts {
  fromMe: boolean;
  reaction: boolean;
  emptySender: boolean;
  emptyMessage: boolean;
  backlog: boolean;
  /** is_group, or promoted to group because its chat_id is a key of `groups`. */
  kind: ChatKind;
  /** Groups: chat_id > 0. */
  hasChat: boolean;
  /** Effective: "open" without "*" in allowFrom is read as "allowlist" (fail closed). */
  dmPolicy: DmPolicy;
  /** DMs: allowFrom (handles and chat entries) ∪ the account's approved senders. */
  senderAllowed: boolean;
  /** DMs under "pairing" whose sender is not allowed. */
  pairingState: PairingState;
  groupPolicy: GroupPolicy;
  /** Groups: the groups map, as an allowlist of chats, admits this chat (an empty map admits all). */
  groupAllowed: boolean;
  /** Groups under "allowlist": groupAllowFrom (unset → allowFrom; [] → nobody) admits sender or chat. */
  groupSenderAllowed: boolean;
  requireMention: boolean;
  mentioned: boolean;
}

export interface InboundPolicy {
  dmPolicy: DmPolicy;
  groupPolicy: GroupPolicy;
  allowFrom: readonly string[];
  /** undefined: fall back to allowFrom; []: nobody. */
  groupAllowFrom?: readonly string[] | undefined;
  groups: Readonly<Record<string, GroupConfig>>;
  /** Compiled case-insensitive mention patterns of the account's agent. */
  mentionPatterns: readonly RegExp[];
  /** Backlog fence: a message older than this when it arrives is recorded, not acted on. null = off. */
  backlogMaxAgeMs?: number | null;
  /** Region for national phone numbers (default US). */
  region?: string;
}

export interface PolicyInput {
  message: ImsgMessage;
  /** Treated as immutable: its compiled form is cached per object. */
  policy: InboundPolicy;
  now: number;
  /** The account's pairing store; without it no sender is approved and pairingState is "none". */
  pairing?: PairingView | undefined;
}

interface CompiledPolicy {
  dmPolicy: DmPolicy;
  allow: Allowlist;
  groupAllow: Allowlist;
  hasGroups: boolean;
  hasStarGroup: boolean;
  starRequireMention: boolean | undefined;
}

const compiledPolicies = new WeakMap<InboundPolicy, CompiledPolicy>();

function compile(policy: InboundPolicy): CompiledPolicy {
  let c = compiledPolicies.get(policy);
  if (!c) {
    const region = policy.region ?? DEFAULT_REGION;
    const allow = compileAllowlist(policy.allowFrom, region);
    const groupAllow = policy.groupAllowFrom === undefined ? allow : compileAllowlist(policy.groupAllowFrom, region);
    c = {
      dmPolicy: policy.dmPolicy === 'open' && !allow.isWildcard ? 'allowlist' : policy.dmPolicy,
      allow,
      groupAllow,
      hasGroups: Object.keys(policy.groups).length > 0,
      hasStarGroup: Object.hasOwn(policy.groups, '*'),
      starRequireMention: Object.hasOwn(policy.groups, '*') ? policy.groups['*']?.requireMention : undefined,
    };
    compiledPolicies.set(policy, c);
  }
  return c;
}

/** Zero-width, bidi-control, word-joiner, BOM and soft-hyphen characters cannot hide a mention. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

export function isMentioned(text: string, patterns: readonly RegExp[]): boolean {
  if (patterns.length === 0) return false;
  const clean = text.replace(INVISIBLE, '');
  return patterns.some((re) => {
    re.lastIndex = 0;
    return re.test(clean);
  });
}

/** True when the message's own date is older than the fence allows at `now`. */
export function isBacklog(createdAt: string, now: number, maxAgeMs: number | null | undefined): boolean {
  if (maxAgeMs === null || maxAgeMs === undefined) return false;
  const at = Date.parse(createdAt);
  return Number.isFinite(at) && now - at > maxAgeMs;
}

/** True for a promoted group-ish thread: is_group false, but its chat_id is configured under groups. */
export function isGroupish(message: Pick<ImsgMessage, 'is_group' | 'chat_id'>, groups: Readonly<Record<string, unknown>>): boolean {
  return !message.is_group && message.chat_id > 0 && Object.hasOwn(groups, String(message.chat_id));
}

const OBJECT_REPLACEMENT = /\uFFFC/g;

export function policyFacts(input: PolicyInput): PolicyFacts {
  const { message, policy, now, pairing } = input;
  const c = compile(policy);
  const kind: ChatKind = message.is_group || isGroupish(message, policy.groups) ? 'group' : 'dm';
  const fromMe = message.is_from_me === true;
  const reaction = message.is_reaction === true;
  const emptySender = message.sender.trim() === '';
  const emptyMessage = message.attachments.length === 0 && message.text.replace(OBJECT_REPLACEMENT, '').trim() === '';
  const backlog = isBacklog(message.created_at, now, policy.backlogMaxAgeMs);
  const facts: PolicyFacts = {
    fromMe,
    reaction,
    emptySender,
    emptyMessage,
    backlog,
    kind,
    hasChat: false,
    dmPolicy: c.dmPolicy,
    senderAllowed: false,
    pairingState: 'none',
    groupPolicy: policy.groupPolicy,
    groupAllowed: false,
    groupSenderAllowed: false,
    requireMention: false,
    mentioned: false,
  };
  if (fromMe || reaction || emptySender || emptyMessage || backlog) return facts;

  const chat = { chatId: message.chat_id, guid: message.chat_guid, identifier: message.chat_identifier };
  if (kind === 'dm') {
    if (c.dmPolicy === 'open') facts.senderAllowed = true;
    else if (c.dmPolicy !== 'disabled') {
      facts.senderAllowed = c.allow.admits(message.sender, chat) || (pairing?.isApproved(message.sender) ?? false);
      if (!facts.senderAllowed && c.dmPolicy === 'pairing') {
        facts.pairingState = pairing ? pairing.pairingState(message.sender, now) : 'none';
      }
    }
    return facts;
  }

  facts.hasChat = message.chat_id > 0;
  if (!facts.hasChat || policy.groupPolicy === 'disabled') return facts;
  const chatKey = String(message.chat_id);
  const own = Object.hasOwn(policy.groups, chatKey) ? policy.groups[chatKey] : undefined;
  facts.groupAllowed = !c.hasGroups || own !== undefined || c.hasStarGroup;
  if (!facts.groupAllowed) return facts;
  if (policy.groupPolicy === 'allowlist') facts.groupSenderAllowed = c.groupAllow.admits(message.sender, chat);
  facts.requireMention = own?.requireMention ?? c.starRequireMention ?? true;
  facts.mentioned = isMentioned(message.text, policy.mentionPatterns);
  return facts;
}

/** The memo key: every fact, in a fixed order. */
export function factsKey(f: PolicyFacts): string {
  return (
    (f.fromMe ? '1' : '0') +
    (f.reaction ? '1' : '0') +
    (f.emptySender ? '1' : '0') +
    (f.emptyMessage ? '1' : '0') +
    (f.backlog ? '1' : '0') +
    (f.hasChat ? '1' : '0') +
    (f.senderAllowed ? '1' : '0') +
    (f.groupAllowed ? '1' : '0') +
    (f.groupSenderAllowed ? '1' : '0') +
    (f.requireMention ? '1' : '0') +
    (f.mentioned ? '1' : '0') +
    `|${f.kind}|${f.dmPolicy}|${f.pairingState}|${f.groupPolicy}`
  );
}

// ── the chart ─────────────────────────────────────────────────────────────

interface ChartContext {
  facts: PolicyFacts;
  path: string[];
  reason: DropReason | undefined;
}

type Visit = { type: 'visit'; params: { state: string } };
const visit = (state: string): Visit => ({ type: 'visit', params: { state } });
type Drop = { type: 'drop'; params: { reason: DropReason } };
const drop = (reason: DropReason): { target: string; actions: Drop } => ({
  target: '#policy.dropped',
  actions: { type: 'drop', params: { reason } },
});

export const policyChart = setup({
  types: {
    context: {} as ChartContext,
    input: {} as PolicyFacts,
    output: {} as PolicyDecision,
  },
  actions: {
    visit: assign(({ context }, params: { state: string }) => ({ path: [...context.path, params.state] })),
    drop: assign((_, params: { reason: DropReason }) => ({ reason: params.reason })),
  },
  guards: {
    fromMe: ({ context }) => context.facts.fromMe,
    reaction: ({ context }) => context.facts.reaction,
    emptySender: ({ context }) => context.facts.emptySender,
    emptyMessage: ({ context }) => context.facts.emptyMessage,
    backlog: ({ context }) => context.facts.backlog,
    isGroup: ({ context }) => context.facts.kind === 'group',
    dmDisabled: ({ context }) => context.facts.dmPolicy === 'disabled',
    dmOpen: ({ context }) => context.facts.dmPolicy === 'open',
    senderAllowed: ({ context }) => context.facts.senderAllowed,
    dmPairing: ({ context }) => context.facts.dmPolicy === 'pairing',
    pairingDenied: ({ context }) => context.facts.pairingState === 'denied',
    pairingPending: ({ context }) => context.facts.pairingState === 'pending',
    pairingCapReached: ({ context }) => context.facts.pairingState === 'cap-reached',
    noChat: ({ context }) => !context.facts.hasChat,
    groupDisabled: ({ context }) => context.facts.groupPolicy === 'disabled',
    chatNotAllowed: ({ context }) => !context.facts.groupAllowed,
    senderNotInGroupAllowlist: ({ context }) =>
      context.facts.groupPolicy === 'allowlist' && !context.facts.groupSenderAllowed,
    mentionMissing: ({ context }) => context.facts.requireMention && !context.facts.mentioned,
  },
}).createMachine({
  id: 'policy',
  context: ({ input }) => ({ facts: input, path: [], reason: undefined }),
  initial: 'screening',
  states: {
    screening: {
      entry: visit('screening'),
      always: [
        { guard: 'fromMe', ...drop('own-message') },
        { guard: 'reaction', ...drop('reaction') },
        { guard: 'emptySender', ...drop('empty-sender') },
        { guard: 'emptyMessage', ...drop('empty-message') },
        { guard: 'backlog', ...drop('backlog') },
        { guard: 'isGroup', target: 'group' },
        { target: 'dm' },
      ],
    },
    dm: {
      entry: visit('dm'),
      initial: 'policy',
      states: {
        policy: {
          entry: visit('dm.policy'),
          always: [
            { guard: 'dmDisabled', ...drop('dm-disabled') },
            { guard: 'dmOpen', target: '#policy.dispatched' },
            { guard: 'senderAllowed', target: '#policy.dispatched' },
            { guard: 'dmPairing', target: 'pairing' },
            drop('not-allowlisted'),
          ],
        },
        pairing: {
          entry: visit('dm.pairing'),
          always: [
            { guard: 'pairingDenied', ...drop('pairing-denied') },
            { guard: 'pairingPending', ...drop('pairing-pending') },
            { guard: 'pairingCapReached', ...drop('pairing-cap') },
            { target: '#policy.paired' },
          ],
        },
      },
    },
    group: {
      entry: visit('group'),
      initial: 'chat',
      states: {
        chat: {
          entry: visit('group.chat'),
          always: [{ guard: 'noChat', ...drop('group-without-chat') }, { target: 'policy' }],
        },
        policy: {
          entry: visit('group.policy'),
          always: [{ guard: 'groupDisabled', ...drop('group-disabled') }, { target: 'chats' }],
        },
        chats: {
          entry: visit('group.chats'),
          always: [{ guard: 'chatNotAllowed', ...drop('group-not-allowed') }, { target: 'senders' }],
        },
        senders: {
          entry: visit('group.senders'),
          always: [{ guard: 'senderNotInGroupAllowlist', ...drop('not-allowlisted') }, { target: 'mention' }],
        },
        mention: {
          entry: visit('group.mention'),
          always: [{ guard: 'mentionMissing', ...drop('no-mention') }, { target: '#policy.dispatched' }],
        },
      },
    },
    dispatched: { type: 'final', entry: visit('dispatched') },
    paired: { type: 'final', entry: visit('paired') },
    dropped: { type: 'final', entry: visit('dropped') },
  },
  output: ({ context }): PolicyDecision => {
    const { facts, path, reason } = context;
    const last = path[path.length - 1];
    if (last === 'dispatched') return { action: 'dispatch', kind: facts.kind, wasMentioned: facts.mentioned, path };
    if (last === 'paired') return { action: 'pair', reason: 'pairing-requested', kind: 'dm', wasMentioned: false, path };
    return { action: 'drop', reason: reason ?? 'not-allowlisted', kind: facts.kind, wasMentioned: facts.mentioned, path };
  },
});

/** Runs the chart afresh (an actor per call: ~tens of µs). Tests and the memo use it. */
export function evaluatePolicyChart(facts: PolicyFacts): PolicyDecision {
  const actor = createActor(policyChart, { input: { ...facts } });
  actor.start();
  const snapshot = actor.getSnapshot();
  actor.stop();
  if (snapshot.status !== 'done' || snapshot.output === undefined) {
    throw new Error(`policy chart did not reach a final state for facts ${factsKey(facts)}`);
  }
  return snapshot.output;
}

const MEMO_LIMIT = 4096;
const memo = new Map<string, PolicyDecision>();

/** The chart's outcome for these facts, evaluated once per distinct combination. Frozen and shared. */
export function decideFacts(facts: PolicyFacts): PolicyDecision {
  const key = factsKey(facts);
  let hit = memo.get(key);
  if (hit === undefined) {
    const fresh = evaluatePolicyChart(facts);
    Object.freeze(fresh.path);
    hit = Object.freeze(fresh);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(key, hit);
  }
  return hit;
}

export function policyMemoSize(): number {
  return memo.size;
}

export function clearPolicyMemo(): void {
  memo.clear();
}

/**
 * The decision for one inbound message. `pairing` is the account's pairing store view
 * (PairingService.view(accountId)); it is consulted only for DMs from senders not in allowFrom.
 */
export function decideInbound(
  message: ImsgMessage,
  policy: InboundPolicy,
  now: number = Date.now(),
  pairing?: PairingView,
): PolicyDecision {
  return decideFacts(policyFacts({ message, policy, now, pairing }));
}
