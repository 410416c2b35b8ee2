/**
 * One account's inbound path, exactly once:
 *   imsg message → decision (policy, backlog fence) → journal + cursor, one group-committed
 *   transaction → a turn in the session's lane (messages.queue: one message, or the messages of
 *   one chat that waited together) → agent → journal `dispatched` for every message of the turn +
 *   the turn's replies into the outbox, one transaction.
 * A guid already in the journal is a duplicate whatever its row id. Rows accepted but not
 * dispatched (a crash, a shutdown mid-agent) are dispatched again at the next start, in one batch,
 * so that a chat's recovered messages are collected into one turn again; the turn's envelope id is
 * its latest message's, and replies carry idempotency keys derived from it, so a re-dispatch never
 * sends a reply twice. Never throws: every outcome is counted and logged (text only at debug).
 */
import type { Logger } from 'pino';
import { errorText, isRetried } from '../util/typed-error.js';
import type { SessionLanes } from '../agents/session-lanes.js';
import { TurnCollector } from '../agents/turn-collector.js';
import type { AgentHandler, AgentResult } from '../agents/types.js';
import type { DmScope, QueueConfig } from '../config/types.js';
import type { ImsgMessage } from '../imsg/types.js';
import type { PolicyDecision as InboundDecision } from '../policy/decide.js';
import type { AccessOutcome, AccessPolicy } from '../policy/access-policy.js';
import { buildEnvelope } from '../routing/build-envelope.js';
import { collectedEnvelope } from '../routing/collect-envelope.js';
import type { Envelope } from '../routing/envelope.js';
import { chatKeyOf, replyTargetFor, type Service } from '../routing/reply-target.js';
import { type CommitHold, type GatewayStore, isStorageFailure, type OutboxInsert } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';
import type { AccountQuarantine } from './account-quarantine.js';
import { InboundRecorder, type JournalFailure, type JournalRiders, MAX_ROWS_PER_COMMIT, type RecordedEntry } from './inbound-recorder.js';
import { resumeRowidOf } from '../account-rules/cursor-generation.js';
import { type JumpRule, RowidJumpGuard } from './rowid-jump.js';
import { type BacklogLimits, holdsReading, INBOUND_BACKLOG } from './inbound-backlog.js';
import { capReply } from './reply-cap.js';
import { encodeAction, type TapbackAction } from './outbox-action.js';
import type { AccountMedia } from './media.js';
import type { TurnSignals } from './chat-signals.js';
import { sharedTurnBudget, type TurnSlices } from '../util/turn-budget.js';
import type { ReactionNotifications } from '../config/types.js';
import { decideReaction, reactionEventOf, type ReactionDecision, senderVerdict } from '../routing/reactions.js';

/** Where one message goes: its agent (bindings), that agent's access policy, and its session scope. */
export interface AgentRoute {
  agent: AgentHandler;
  access: AccessPolicy;
  /** Messages of several accounts reach this agent: group session keys carry the account id. */
  agentShared: boolean;
  /** session.dmScope: one DM session per agent, or one per sender (per-peer scopes run in parallel lanes). */
  dmScope: DmScope;
  /** The account's region (normalising a DM sender into its session key). */
  region: string;
}

export interface InboundPipelineOptions {
  accountId: string;
  /** Where the journal and completion commits run, a slice at a time (default: the process's shared budget). */
  turnSlices?: TurnSlices;
  /** Least time between two journal commits, on `clock` (default 0). The gateway uses JOURNAL_GAP_MS. */
  journalGapMs?: number;
  route: (message: ImsgMessage) => AgentRoute;
  /** The handler of an agent by id (re-dispatching a journalled envelope). */
  agentById: (agentId: string) => AgentHandler | undefined;
  service: Service;
  responsePrefix: string | undefined;
  /** imessage.maxReplyChars: a reply's text past this is cut, with a notice (reply-cap.ts). */
  maxReplyChars: number;
  /** Splits a reply into chunks of at most textChunkLimit (in the worker pool for long texts). */
  chunk: (text: string) => Promise<string[]>;
  /** Attachment ingestion and outbound staging (the worker pool). */
  media: AccountMedia;
  lanes: SessionLanes;
  /** messages.queue: one turn per message (`followup`, the default here) or collected turns. */
  queue?: QueueConfig;
  store: GatewayStore;
  counters: AccountCounters;
  clock: Clock;
  logger: Logger;
  /**
   * A message not from us arrived in this chat (feeds the echo-loop breaker). True when it pays for
   * a reply turn (not a reflection of our own text).
   */
  onHumanMessage: (chatKey: string, text: string) => boolean;
  /**
   * A turn with a paying message is queueing replies into this chat: one reply turn paid for
   * (loop-breaker.ts). Not called for a turn without replies, nor for one of reflections only.
   */
  onPaidReplyTurn?: (chatKey: string) => void;
  /** Replies were committed to the outbox. */
  onReplies: () => void;
  /** Aborted when the gateway shuts down: in-flight agent work is cancelled and re-run next start. */
  signal: AbortSignal;
  /** Where a message that cannot be handled goes (with the reason); the account goes on. */
  quarantine: AccountQuarantine;
  /** The cursor-jump rule (rowid-jump.ts): an implausible row id never moves the cursor. */
  jumpRule: JumpRule;
  /**
   * Finished agent turns wait up to this long to share one commit (0: only those of the same
   * event-loop turn, the default). The gateway uses COMPLETION_WINDOW_MS.
   */
  completionWindowMs?: number;
  /** Typing and read receipts (chat-signals.ts); best effort, never awaited. */
  signals?: TurnSignals;
  /** reactionNotifications: which tapbacks reach the agent as reaction events (default off). */
  reactions?: ReactionNotifications;
  /** Inbound backpressure (inbound-backlog.ts): when reading imsg is held, and read on. */
  backlog?: BacklogLimits;
  /** Reading imsg was held (holdsImsgOutput) and the backlog is down: read on. */
  readOn?: () => void;
}

/**
 * How long a finished agent turn waits for others to share its commit: at 1,000 turns a second,
 * at most 100 commits a second for completions (docs/performance.md). A crash inside the window
 * loses nothing: the message is still `accepted` in the journal and runs again at the next start,
 * its replies keyed so none is queued twice.
 */
export const COMPLETION_WINDOW_MS = 10;
/**
 * Least time between two journal commits of an account: a steady 1,000 messages a second cost one
 * commit per message without it (each event-loop turn had a message or two); a message after a
 * quiet moment (at 100/s, every one) is committed at once (docs/performance.md).
 */
export const JOURNAL_GAP_MS = 3;

interface Arrival {
  message: ImsgMessage;
  route: AgentRoute;
  decision: InboundDecision;
  envelope: Envelope | undefined;
  receivedAt: number;
  /** Part of a catch-up: its per-message info line is debug (the catch-up logs one summary). */
  quiet: boolean;
  /** A tapback (issue 17): decided by the reaction path, never by the policy's side effects. */
  reaction?: ReactionDecision;
}

const AGENT_ATTEMPTS = 3;
const AGENT_RETRY_MS = [1000, 3000];
const STORE_RETRY_MS = 1000;

/** One finished turn: every message of it settles, and its replies enter the outbox, in one transaction. */
interface Completion {
  items: Array<{ guid: string; replies: OutboxInsert[]; turnGuid?: string }>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One accepted message handed to its session lane. */
interface TurnItem {
  envelope: Envelope;
  guid: string;
  agent: AgentHandler;
  /** The envelope's journalled text, while it still matches the envelope. */
  envelopeJson: string | undefined;
  /** Someone else wrote it (not a reflection): a turn with it pays for its replies. */
  paid: boolean;
}

export class InboundPipeline {
  private readonly recorder: InboundRecorder<Arrival>;
  private readonly turns: TurnCollector<TurnItem>;
  private completions: Completion[] = [];
  /** Messages in `completions` (kept as a sum: recounting per finished turn was O(n²) in a burst). */
  private completionRows = 0;
  private completionScheduled = false;
  private completionTimer: unknown;
  private jumps: RowidJumpGuard;
  private completionFailure: JournalFailure | undefined;
  /** The journal's transaction with these completions failed: their next commit is their own. */
  private ownCommitNext = false;
  private unwritten = 0;
  private readonly pairingRetries = new Set<RecordedEntry<Arrival>>();
  private pairingRetryTimer: unknown;
  private pairingFailure: JournalFailure | undefined;
  /** Reading imsg's output is held: too many received messages wait (inbound-backlog.ts). */
  private readingHeld = false;
  /** Catch-up pages waiting for the backlog to fall (whenReadingOn). */
  private readOnWaiters: Array<() => void> = [];
  private readonly backlogLimits: BacklogLimits;
  /** Where the journal and completion commits run (util/turn-budget.ts). */
  private readonly slices: TurnSlices;
  /** The checkpoint thread's request that the completion commits wait for a WAL wrap. */
  private readonly hold: CommitHold;
  /**
   * Journalled messages not acted on yet, oldest first (from `actHead`). Acting runs in slices of
   * its own, so a journal chunk is sized by what its commit costs, not by the policy and dispatch
   * of its rows as well: bigger chunks, fewer commits per message in a burst.
   */
  private toAct: Array<RecordedEntry<Arrival>> = [];
  private actHead = 0;
  private actScheduled = false;
  private closed = false;

  constructor(private readonly o: InboundPipelineOptions) {
    this.backlogLimits = o.backlog ?? INBOUND_BACKLOG;
    this.slices = o.turnSlices ?? sharedTurnBudget;
    this.hold = o.store.commitHold();
    this.recorder = new InboundRecorder<Arrival>({
      turns: this.slices,
      minCommitGapMs: o.journalGapMs ?? 0,
      accountId: o.accountId,
      store: o.store,
      clock: o.clock,
      logger: o.logger,
      onRecorded: (batch) => this.onRecorded(batch),
      riders: () => this.journalRiders(),
      onPoison: (entry, payload, err) =>
        o.quarantine.put({
          stage: 'journal',
          reason: `the journal refused it: ${errorClass(err)}`,
          detail: errorText(err),
          rowid: entry.rowid,
          guid: entry.guid,
          chatId: entry.chatId,
          payload: payload.message,
        }),
    });
    this.jumps = this.newJumpGuard();
    this.turns = new TurnCollector<TurnItem>({
      lanes: o.lanes,
      clock: o.clock,
      mode: o.queue?.mode ?? 'followup',
      collectWindowMs: o.queue?.collectWindowMs ?? 0,
      runTurn: (items) => this.runTurn(items),
      skipWindow: () => this.readingHeld,
      onError: (err) => o.logger.error({ err: errorText(err) }, 'an agent turn failed unexpectedly; its messages run again at the next start'),
    });
  }

  private newJumpGuard(): RowidJumpGuard {
    return new RowidJumpGuard(this.o.jumpRule, () => {
      try {
        return this.o.store.getCursor(this.o.accountId);
      } catch {
        return undefined;
      }
    });
  }

  /**
   * A new chat.db generation started (db-generations.ts): the row-id baseline of the cursor-jump
   * guard belongs to the old file; the next rows are judged against the new cursor.
   */
  newGeneration(): void {
    this.jumps = this.newJumpGuard();
  }

  /**
   * Messages received and not yet settled, outside a running turn: waiting for their journal
   * commit, in a session lane, or answered and waiting for the commit that settles them.
   */
  get backlog(): number {
    return this.recorder.pending + (this.toAct.length - this.actHead) + this.turns.waiting + this.completionRows;
  }

  /**
   * Asked by the imsg client before each line it reads (only while no request of ours waits for
   * its answer): true holds imsg's output in the pipe until the backlog is down (readOn).
   */
  holdsImsgOutput(): boolean {
    const held = holdsReading(this.readingHeld, this.backlog, this.backlogLimits);
    if (held && !this.readingHeld) {
      // Nothing more joins a waiting turn while reading is held: their collect windows end now.
      this.turns.startWaiting();
      this.o.counters.inboundHolds++;
      this.o.logger.debug({ backlog: this.backlog }, 'holding imsg output: received messages wait for their agent turns');
    }
    this.readingHeld = held;
    return held;
  }

  /**
   * Resolves at once when the backlog can take more, else once it has fallen (catch-up pages:
   * messages.after is read at the pace the agents take its messages, like the watch).
   */
  whenReadingOn(): Promise<void> {
    if (!this.holdsImsgOutput()) return Promise.resolve();
    return new Promise<void>((resolve) => this.readOnWaiters.push(resolve));
  }

  /** The backlog fell (a turn started, a batch settled): read imsg on once it is low enough. */
  private backlogFell(): void {
    if (!this.readingHeld || holdsReading(true, this.backlog, this.backlogLimits)) return;
    this.readingHeld = false;
    this.o.logger.debug({ backlog: this.backlog }, 'reading imsg output on');
    const waiters = this.readOnWaiters;
    this.readOnWaiters = [];
    for (const wake of waiters) wake();
    this.o.readOn?.();
  }

  /** Messages received but not yet durable (held while the state database is unavailable). */
  get unrecorded(): number {
    return this.recorder.pending;
  }

  /** Set while the journal or finished agent turns cannot be written (what and since when). */
  get storeFailure(): JournalFailure | undefined {
    return this.recorder.failing ?? this.completionFailure ?? this.pairingFailure;
  }

  /** Finished agent turns that could not be written before the stop (their messages run again next start). */
  get unwrittenTurns(): number {
    return this.unwritten;
  }

  /** Row ids received but never written (reported at shutdown: imsg sends them again). */
  heldRowids(): number[] {
    return this.recorder.heldRowids();
  }

  /**
   * The message boundary: whatever goes wrong while handling one message (a malformed field that
   * got through, a bug in envelope building) quarantines that message, and the account goes on.
   * `quiet`: a catch-up row (messages.after): "message accepted" is logged at debug, not info.
   */
  handle(message: ImsgMessage, quiet = false): void {
    try {
      this.handleOne(message, quiet);
    } catch (err) {
      this.o.logger.error(
        { rowid: message.id, guid: message.guid, errorClass: errorClass(err) },
        'handling a message failed; it is quarantined',
      );
      this.o.quarantine.put({
        stage: 'handling',
        reason: `handling failed: ${errorClass(err)}`,
        detail: detailWithoutText(err, message.text),
        rowid: message.id,
        guid: message.guid,
        chatId: message.chat_id,
        payload: message,
      });
    }
  }

  private handleOne(message: ImsgMessage, quiet: boolean): void {
    this.o.counters.received++;
    const jump = this.jumps.check(message.id);
    if (jump.verdict === 'jump') {
      this.o.logger.warn(
        { rowid: message.id, guid: message.guid, baseline: jump.baseline, distance: jump.distance, maxRowidJump: this.o.jumpRule.window },
        'implausible jump in row id: quarantined; the cursor does not move past rows real messages will use',
      );
      this.o.quarantine.put({
        stage: 'cursor-jump',
        reason: `row id jumps ${jump.distance} past the highest row seen (${jump.baseline}); imessage.maxRowidJump is ${this.o.jumpRule.window}`,
        rowid: message.id,
        guid: message.guid,
        chatId: message.chat_id,
        payload: message,
      });
      return;
    }
    if (jump.verdict === 'confirmed') {
      this.o.logger.warn({ rowid: message.id }, 'row ids jumped ahead and several messages confirm it: accepting the new range');
    }
    const now = this.o.clock.now();
    const route = this.o.route(message);
    // A tapback goes its own way, before the policy: never pairing, mention gating or history.
    if (message.is_reaction === true) return this.handleReaction(message, route, now, quiet);
    let decision: InboundDecision;
    try {
      decision = route.access.decide(message, now);
    } catch (err) {
      // The state database could not be read (approved senders, pairing): the message is not
      // acknowledged; imsg sends it again after the next resubscribe.
      this.o.logger.error({ rowid: message.id, err: errorText(err) }, 'cannot decide on a message (state database); it will be read again');
      return;
    }
    const envelope =
      decision.action === 'dispatch'
        ? buildEnvelope(message, {
            accountId: this.o.accountId,
            agentId: route.agent.agentId,
            agentShared: route.agentShared,
            dmScope: route.dmScope,
            region: route.region,
            kind: decision.kind,
            wasMentioned: decision.wasMentioned,
            service: this.o.service,
            receivedAt: now,
          })
        : undefined;
    if (envelope) this.fillReplyText(envelope);
    const createdAt = Date.parse(message.created_at);
    this.recorder.add(
      {
        guid: message.guid || `rowid-${message.id}`,
        rowid: message.id,
        chatId: message.chat_id,
        sender: message.sender,
        createdAt: Number.isFinite(createdAt) ? createdAt : 0,
        state: decision.action === 'dispatch' ? 'accepted' : 'dropped',
        ...(decision.action !== 'dispatch' ? { reason: decision.reason } : {}),
        ...(envelope ? { envelope: JSON.stringify(envelope) } : {}),
        trace: decision.trace,
      },
      { message, route, decision, envelope, receivedAt: now, quiet },
      resumeRowidOf(message),
    );
  }

  /**
   * A tapback row (imsg include_reactions): journalled like any row (dedupe, cursor); it reaches
   * the agent as a `reaction` envelope when decideReaction allows it, else it is dropped with its
   * reason. The policy is asked only whether the sender would be let through (no side effects).
   */
  private handleReaction(message: ImsgMessage, route: AgentRoute, now: number, quiet: boolean): void {
    let decision: InboundDecision;
    let target: ReturnType<GatewayStore['reactionTarget']>;
    try {
      decision = route.access.decide({ ...message, is_reaction: false, text: message.text || ' ' }, now);
      target = message.reacted_to_guid ? this.o.store.reactionTarget(this.o.accountId, message.reacted_to_guid) : undefined;
    } catch (err) {
      this.o.logger.error({ rowid: message.id, err: errorText(err) }, 'cannot decide on a tapback (state database); it will be read again');
      return;
    }
    const reaction = decideReaction({
      mode: this.o.reactions ?? 'off',
      fromMe: message.is_from_me,
      sender: senderVerdict(decision),
      target,
    });
    let envelope: Envelope | undefined;
    if (reaction.action === 'dispatch') {
      envelope = buildEnvelope(message, {
        accountId: this.o.accountId,
        agentId: route.agent.agentId,
        agentShared: route.agentShared,
        dmScope: route.dmScope,
        region: route.region,
        kind: decision.kind,
        wasMentioned: false,
        service: this.o.service,
        receivedAt: now,
      });
      envelope.kind = 'reaction';
      envelope.reaction = reactionEventOf(message, target);
      envelope.attachments = [];
    }
    const createdAt = Date.parse(message.created_at);
    this.recorder.add(
      {
        guid: message.guid || `rowid-${message.id}`,
        rowid: message.id,
        chatId: message.chat_id,
        sender: message.sender,
        createdAt: Number.isFinite(createdAt) ? createdAt : 0,
        state: envelope ? 'accepted' : 'dropped',
        ...(reaction.action === 'drop' ? { reason: reaction.reason } : {}),
        ...(envelope ? { envelope: JSON.stringify(envelope) } : {}),
        trace: reactionTrace(this.o.reactions ?? 'off', senderVerdict(decision), target, reaction),
      },
      { message, route, decision, envelope, receivedAt: now, quiet, reaction },
      resumeRowidOf(message),
    );
  }

  /** A journalled tapback: to the agent as a reaction event, or counted as dropped. */
  private actOnReaction(recorded: RecordedEntry<Arrival>, reaction: ReactionDecision): void {
    const { entry, payload, isNew } = recorded;
    const { counters, logger } = this.o;
    const { message, route, envelope } = payload;
    if (!isNew) {
      counters.dropped.duplicate = (counters.dropped.duplicate ?? 0) + 1;
      logger.debug({ rowid: message.id, guid: message.guid }, 'tapback dropped: duplicate (already in the journal)');
      return;
    }
    if (reaction.action === 'drop' || !envelope) {
      const reason = reaction.action === 'drop' ? reaction.reason : 'reaction';
      counters.dropped[reason] = (counters.dropped[reason] ?? 0) + 1;
      logger.debug({ rowid: message.id, chatId: message.chat_id, sender: message.sender, reason }, `tapback dropped: ${reason}`);
      return;
    }
    logger[payload.quiet ? 'debug' : 'info'](
      {
        envelopeId: envelope.id,
        rowid: message.id,
        chatId: message.chat_id,
        sender: message.sender,
        reaction: envelope.reaction?.type,
        target: envelope.reaction?.target === 'unknown' ? 'unknown' : 'known',
      },
      'tapback → agent as a reaction event',
    );
    this.dispatch(envelope, entry.guid, route.agent, entry.envelope, false);
  }

  /** Writes whatever is pending: received messages and finished agent turns (graceful shutdown). */
  flush(): void {
    this.recorder.flush();
    this.actAll();
    while (this.completions.length > 0) {
      const before = this.completions.length;
      this.flushCompletions(true);
      if (this.completions.length >= before) break; // the store refused: retried on its timer
    }
  }

  /** Shutdown: one last write, then no retry timer is left to keep the process alive. */
  close(): void {
    this.flush();
    this.closed = true;
    this.recorder.close();
    // A catch-up waiting for the backlog is being stopped too: let it see its abort.
    for (const wake of this.readOnWaiters.splice(0)) wake();
    if (this.completionTimer !== undefined) this.o.clock.clearTimeout(this.completionTimer);
    this.completionTimer = undefined;
    if (this.pairingRetryTimer !== undefined) this.o.clock.clearTimeout(this.pairingRetryTimer);
    this.pairingRetryTimer = undefined;
    if (this.pairingRetries.size > 0) {
      this.o.logger.warn(
        { unsent: this.pairingRetries.size },
        'pairing codes not sent (the state database refused them until the stop); those senders get a code when they write again',
      );
    }
  }

  /** Dispatches journal rows accepted but never completed (crash, shutdown mid-agent). */
  redispatchPending(): number {
    let pending: Array<{ guid: string; envelope: string }>;
    try {
      pending = this.o.store.pendingInbound(this.o.accountId);
    } catch (err) {
      this.o.logger.error({ err: errorText(err) }, 'cannot read pending journal rows');
      return 0;
    }
    for (const row of pending) {
      let envelope: Envelope;
      try {
        envelope = JSON.parse(row.envelope) as Envelope;
      } catch (err) {
        this.o.logger.error({ guid: row.guid, errorClass: errorClass(err) }, 'a journalled envelope cannot be read; dropped');
        this.withStore(() => this.o.store.dropInbound(this.o.accountId, row.guid, 'unreadable-envelope'));
        continue;
      }
      const agent = this.o.agentById(envelope.agentId);
      if (!agent) {
        this.o.logger.error({ envelopeId: envelope.id, agent: envelope.agentId }, 'the agent of a journalled message no longer exists; dropped');
        this.withStore(() => this.o.store.dropInbound(this.o.accountId, row.guid, 'agent-removed'));
        continue;
      }
      this.o.logger.info({ envelopeId: envelope.id }, 'dispatching again a message accepted before the last stop');
      // It was taken as someone else's message when it first came (its reply turn is paid for).
      this.dispatch(envelope, row.guid, agent, row.envelope, true);
    }
    return pending.length;
  }

  /**
   * Runs the agent again for one message whose journal row is accepted (an operator retried its
   * dead letter). False when the row is not pending (already running or settled) or unreadable.
   */
  redispatchOne(guid: string): boolean {
    const row = this.o.store.pendingInbound(this.o.accountId).find((r) => r.guid === guid);
    if (!row) return false;
    const envelope = JSON.parse(row.envelope) as Envelope;
    const agent = this.o.agentById(envelope.agentId);
    if (!agent) return false;
    this.o.logger.info({ envelopeId: envelope.id }, 'running the agent again for a dead-lettered turn (operator retry)');
    this.dispatch(envelope, guid, agent, row.envelope, true);
    return true;
  }

  /** A journal chunk is durable: its messages are acted on in order, in slices of the turn budget. */
  private onRecorded(batch: Array<RecordedEntry<Arrival>>): void {
    for (const recorded of batch) this.toAct.push(recorded);
    if (this.actScheduled || this.closed) return;
    this.actScheduled = true;
    this.slices.run(() => this.actSlice());
  }

  /** Acts on journalled messages until the turn's budget is spent; the rest goes in a later slice. */
  private actSlice(): void {
    this.actScheduled = false;
    if (this.closed) return;
    while (this.actHead < this.toAct.length) {
      const recorded = this.toAct[this.actHead]!;
      this.toAct[this.actHead++] = undefined as unknown as RecordedEntry<Arrival>;
      this.actSafely(recorded);
      if (this.actHead < this.toAct.length && this.slices.spent()) {
        this.actScheduled = true;
        this.slices.run(() => this.actSlice());
        break;
      }
    }
    if (this.actHead === this.toAct.length) {
      this.toAct = [];
      this.actHead = 0;
    } else if (this.actHead > 1024) {
      this.toAct = this.toAct.slice(this.actHead);
      this.actHead = 0;
    }
    this.backlogFell();
  }

  /** Acts on every journalled message still waiting, whatever the budget (flush, shutdown). */
  private actAll(): void {
    const waiting = this.toAct.slice(this.actHead);
    this.toAct = [];
    this.actHead = 0;
    for (const recorded of waiting) this.actSafely(recorded);
    if (waiting.length > 0) this.backlogFell();
  }

  private actSafely(recorded: RecordedEntry<Arrival>): void {
    const { counters, logger } = this.o;
    try {
      this.actOn(recorded);
    } catch (err) {
      // Journalled already: settle it as dropped so it is not re-dispatched into the same failure.
      const { entry, payload } = recorded;
      logger.error({ rowid: entry.rowid, guid: entry.guid, errorClass: errorClass(err) }, 'acting on a message failed; it is quarantined');
      this.withStore(() => this.o.store.dropInbound(this.o.accountId, entry.guid, 'quarantined'));
      counters.dropped.quarantined = (counters.dropped.quarantined ?? 0) + 1;
      this.o.quarantine.put({
        stage: 'handling',
        reason: `handling failed: ${errorClass(err)}`,
        detail: detailWithoutText(err, payload.message.text),
        rowid: entry.rowid,
        guid: entry.guid,
        chatId: entry.chatId,
        payload: payload.message,
      });
    }
  }

  private actOn(recorded: RecordedEntry<Arrival>): void {
    const { entry, payload, isNew } = recorded;
    const { counters, logger } = this.o;
    const { message, route, decision, envelope } = payload;
    if (payload.reaction) return this.actOnReaction(recorded, payload.reaction);
    if (!isNew) {
      counters.dropped.duplicate = (counters.dropped.duplicate ?? 0) + 1;
      logger.debug({ rowid: message.id, guid: message.guid }, 'message dropped: duplicate (already in the journal)');
      return;
    }
    const paid =
      !message.is_from_me && message.sender.trim() !== '' && this.o.onHumanMessage(chatKeyOf(replyTargetFor(message, decision.kind, this.o.service)), message.text);
    // The decision's side effects (pairing request and code, group history), for new rows only.
    const outcome = this.carryOut(recorded);
    if (outcome === 'retrying') return;
    const settled = outcome ?? decision;
    if (outcome && outcome.action !== 'dispatch' && outcome.trace !== decision.trace) this.journalOutcome(entry.guid, outcome);
    if (settled.action !== 'dispatch') {
      this.countDrop(message, settled.reason, settled.trace, outcome?.replyQueued ?? false);
      return;
    }
    if (!envelope) return;
    let envelopeJson = entry.envelope;
    if (outcome && outcome.history.length > 0) {
      envelope.history = outcome.history;
      // The history was taken out of the store: keep it with the journalled envelope.
      const withHistory = JSON.stringify(envelope);
      envelopeJson = withHistory;
      this.withStore(() => this.o.store.replaceInboundEnvelope(this.o.accountId, entry.guid, withHistory));
    }
    counters.accepted++;
    logger[payload.quiet ? 'debug' : 'info'](
      { envelopeId: envelope.id, rowid: message.id, kind: decision.kind, chatId: message.chat_id, sender: message.sender, session: envelope.sessionKey },
      'message accepted → agent',
    );
    logger.debug({ envelopeId: envelope.id, text: message.text }, 'message text');
    this.o.signals?.accepted(envelope);
    this.dispatch(envelope, entry.guid, route.agent, envelopeJson, paid);
  }

  /**
   * Carries out the policy decision of a new row. A pairing decision whose store write fails
   * (the request and the outbox row carrying the code are one transaction) is not counted or
   * logged as sent: it is retried every second until the store accepts it ('retrying'), and only
   * then is the code counted and logged as sent. Other side effects (group history) are best
   * effort: undefined when they failed, and the message goes on as decided.
   */
  private carryOut(recorded: RecordedEntry<Arrival>): AccessOutcome | undefined | 'retrying' {
    const { message, route, decision, receivedAt } = recorded.payload;
    try {
      return route.access.carryOut(message, decision, receivedAt);
    } catch (err) {
      if (!isPairingDecision(decision)) {
        this.o.logger.error({ rowid: message.id, err: errorText(err) }, 'could not record the policy outcome (state database)');
        return undefined;
      }
      if (!isStorageFailure(err)) throw err; // the message boundary quarantines it
      this.o.logger.error(
        { rowid: message.id, chatId: message.chat_id, err: errorText(err), retryInMs: STORE_RETRY_MS },
        'could not record the pairing request or queue its reply (state database); retrying',
      );
      this.pairingFailure ??= { since: this.o.clock.now(), error: errorText(err) };
      this.pairingRetries.add(recorded);
      this.schedulePairingRetry();
      return 'retrying';
    }
  }

  private schedulePairingRetry(): void {
    if (this.pairingRetryTimer !== undefined) return;
    this.pairingRetryTimer = this.o.clock.setTimeout(() => {
      this.pairingRetryTimer = undefined;
      this.retryPairing();
    }, STORE_RETRY_MS);
  }

  /** Pairing decisions whose store write failed, again in arrival order. */
  private retryPairing(): void {
    if (this.o.signal.aborted) return;
    const waiting = [...this.pairingRetries];
    this.pairingRetries.clear();
    for (const recorded of waiting) {
      const { message } = recorded.payload;
      let outcome: ReturnType<InboundPipeline['carryOut']>;
      try {
        outcome = this.carryOut(recorded);
      } catch (err) {
        this.o.logger.error({ rowid: message.id, errorClass: errorClass(err) }, 'carrying out a pairing decision failed; it is quarantined');
        this.o.counters.dropped.quarantined = (this.o.counters.dropped.quarantined ?? 0) + 1;
        this.o.quarantine.put({
          stage: 'handling',
          reason: `handling failed: ${errorClass(err)}`,
          detail: detailWithoutText(err, message.text),
          rowid: recorded.entry.rowid,
          guid: recorded.entry.guid,
          chatId: recorded.entry.chatId,
          payload: message,
        });
        continue;
      }
      if (outcome === 'retrying' || outcome === undefined || outcome.action === 'dispatch') continue;
      if (outcome.trace !== recorded.payload.decision.trace) this.journalOutcome(recorded.entry.guid, outcome);
      this.countDrop(message, outcome.reason, outcome.trace, outcome.replyQueued);
    }
    if (this.pairingRetries.size === 0) this.pairingFailure = undefined;
  }

  /**
   * Pairing decisions still waiting for the store when the gateway stops. Their requests were never
   * stored, so the sender is still a stranger: their next message gets a code (not a silent drop).
   */
  get unsentPairingCodes(): number {
    return this.pairingRetries.size;
  }

  /** The journal row keeps what the store settled on when it differed from the decision (a pairing race). */
  private journalOutcome(guid: string, outcome: AccessOutcome & { reason: string }): void {
    this.withStore(() => this.o.store.setInboundOutcome(this.o.accountId, guid, outcome.reason, outcome.trace));
  }

  /** Counts and logs a settled drop; a pairing code is reported as sent only once its reply is queued. */
  private countDrop(message: ImsgMessage, reason: string, trace: readonly string[], replyQueued: boolean): void {
    const { counters, logger } = this.o;
    counters.dropped[reason] = (counters.dropped[reason] ?? 0) + 1;
    if (replyQueued) this.o.onReplies();
    if (reason === 'pairing-requested' || reason === 'pairing-cap') {
      logger.info(
        { rowid: message.id, sender: message.sender, chatId: message.chat_id },
        reason === 'pairing-requested'
          ? 'unknown sender: a pairing code was sent (approve with `imessage-gateway pairing approve`)'
          : 'unknown sender dropped without a reply: 3 pairing requests are already pending (`imessage-gateway pairing list`)',
      );
    } else {
      logger.debug({ rowid: message.id, chatId: message.chat_id, sender: message.sender, reason, trace }, `message dropped: ${reason}`);
    }
  }

  /**
   * Hands one accepted message to its session lane (messages.queue decides whether it joins a
   * waiting turn of its chat). `envelopeJson`: the envelope's journalled text, handed to the agent
   * so it is not stringified again.
   */
  private dispatch(envelope: Envelope, guid: string, agent: AgentHandler, envelopeJson: string | undefined, paid: boolean): void {
    if (envelope.kind !== 'reaction') this.o.signals?.working(envelope);
    // A tapback is never collected with messages (nor they with it): a turn of its own.
    const collectKey = envelope.kind === 'reaction' ? `reaction:${envelope.id}` : chatKeyOf(envelope.replyTarget);
    this.turns.add(envelope.sessionKey, collectKey, { envelope, guid, agent, envelopeJson, paid });
  }

  /**
   * One agent turn for one message or a collected few (the latest last), run in the session lane
   * until the agent is done: the agent is retried on the turn as a whole; when it fails every
   * attempt, every message of the turn is kept as a dead letter, in one transaction; when it
   * answers, every message is marked dispatched with the replies, in one transaction (after the
   * lane has moved on, as before collected turns).
   */
  private async runTurn(items: TurnItem[]): Promise<void> {
    this.backlogFell();
    const { logger, counters } = this.o;
    const latest = items[items.length - 1];
    if (latest === undefined) return;
    const { agent } = latest;
    const guids = items.map((i) => i.guid);
    const tries = { attempts: 0, firstAt: 0 };
    // Typing was shown for each message (dispatch); it stops once the turn's replies are queued or it fails.
    const done = this.signalsDone(items);
    let envelope = latest.envelope;
    let result: AgentResult;
    try {
      // Only a turn with attachments to ingest waits for anything before its agent.
      if (items.some(needsIngesting)) await this.ingestTurn(items);
      const turn = this.turnOf(items);
      envelope = turn.envelope;
      if (items.length > 1) {
        logger.info(
          { envelopeId: envelope.id, collected: items.length - 1, session: envelope.sessionKey, guids },
          `collected turn: ${items.length} messages of one chat → agent`,
        );
      }
      result = await this.runAgent(envelope, agent, tries, turn.json);
    } catch (err) {
      done();
      if (this.o.signal.aborted) {
        logger.info({ envelopeId: envelope.id, messages: items.length }, 'agent interrupted by shutdown; it runs again at the next start');
        return;
      }
      counters.agentErrors++;
      logger.error(
        { envelopeId: envelope.id, agent: agent.agentId, attempts: tries.attempts, ...(items.length > 1 ? { guids } : {}) },
        `agent failed; the turn is kept as a dead letter (\`imessage-gateway delivery list\`): ${errorText(err)}`,
      );
      const reason =
        items.length > 1 ? `${errorText(err)} [collected turn of ${items.length} messages; latest ${latest.guid}]` : errorText(err);
      this.withStore(() =>
        this.o.store.failTurns(
          guids.map((guid) => ({
            accountId: this.o.accountId,
            guid,
            chatKey: chatKeyOf(envelope.replyTarget),
            target: JSON.stringify(envelope.replyTarget),
            agentId: agent.agentId,
            reason,
            attempts: tries.attempts,
            firstAttemptAt: tries.firstAt || this.o.clock.now(),
            ...(items.length > 1 ? { turnGuid: latest.guid } : {}),
          })),
        ),
      );
      return;
    }
    // The lane is free for the next turn now; this turn's replies are written beside it (group
    // commit with the other turns that finish in the same event-loop turn).
    this.finishTurn(envelope, guids, result, items.some((i) => i.paid), done);
  }

  /** What stops the typing of a turn's messages: their ids only, so a turn waiting for its commit keeps no envelope. */
  private signalsDone(items: readonly TurnItem[]): () => void {
    const signals = this.o.signals;
    if (signals === undefined) return () => undefined;
    const ids = items.filter((i) => i.envelope.kind !== 'reaction').map((i) => i.envelope.id);
    return () => {
      for (const id of ids) signals.done(id);
    };
  }

  /**
   * Completes a turn the agent answered. Until its group commit, a finished turn keeps only its
   * envelope's id, its messages' guids and its reply rows (nothing of the envelope or its text): in
   * a burst, hundreds of turns wait for their commits, and what they keep is what each scavenge
   * copies (docs/performance.md).
   */
  private finishTurn(envelope: Envelope, guids: string[], result: AgentResult, paid: boolean, done: () => void): void {
    const envelopeId = envelope.id;
    this.complete(envelope, guids, result, paid)
      .catch((err: unknown) =>
        this.o.logger.error(
          { envelopeId, messages: guids.length, err: errorText(err) },
          'the replies of a finished agent turn could not be prepared; its messages run again at the next start',
        ),
      )
      .finally(done);
  }

  /** Each message's attachments ingested (their envelopes change: serialised again by turnOf). */
  private async ingestTurn(items: TurnItem[]): Promise<void> {
    for (const item of items) {
      if (!needsIngesting(item)) continue;
      item.envelope.attachments = await this.o.media.ingestAll(item.envelope.attachments);
      item.envelopeJson = undefined;
    }
  }

  /**
   * The turn's envelope and its text (attachments already ingested): for several messages, the
   * latest one's envelope with the earlier ones in `collected`, serialised once. A single message
   * whose envelope did not change is handed over as it was journalled.
   */
  private turnOf(items: TurnItem[]): { envelope: Envelope; json: string } {
    const latest = items[items.length - 1]!;
    if (items.length === 1) return { envelope: latest.envelope, json: latest.envelopeJson ?? JSON.stringify(latest.envelope) };
    const envelope = collectedEnvelope(items.map((i) => i.envelope));
    return { envelope, json: JSON.stringify(envelope) };
  }

  private async runAgent(
    envelope: Envelope,
    agent: AgentHandler,
    tries: { attempts: number; firstAt: number },
    envelopeJson: string,
  ): Promise<AgentResult> {
    for (let attempt = 1; ; attempt++) {
      tries.attempts = attempt;
      if (attempt === 1) tries.firstAt = this.o.clock.now();
      try {
        return await agent.handle(envelope, this.o.signal, envelopeJson);
      } catch (err) {
        if (!isRetried(err) || this.o.signal.aborted || attempt >= AGENT_ATTEMPTS) throw err;
        const delay = AGENT_RETRY_MS[attempt - 1] ?? 3000;
        this.o.logger.warn({ envelopeId: envelope.id, attempt, retryInMs: delay }, `agent failed, retrying: ${errorText(err)}`);
        await new Promise((r) => this.o.clock.setTimeout(() => r(undefined), delay));
      }
    }
  }

  /**
   * The agent's replies into the outbox, in order: each reply's text as chunks (the response prefix
   * on its first chunk), then its files, staged where Messages can read them. Idempotency keys come
   * from the turn's envelope id (a collected turn's is its latest message's), so a re-dispatch after
   * a crash queues nothing twice. `guids`: every message of the turn, the latest last.
   */
  private async complete(envelope: Envelope, guids: string[], result: AgentResult, paid: boolean): Promise<void> {
    const replies: OutboxInsert[] = [];
    // What every row of the turn shares, built with its first row: a turn without replies (most
    // of a burst's, with an agent that mostly stays silent) needs none of it.
    let shared: Pick<OutboxInsert, 'accountId' | 'chatKey' | 'target' | 'source' | 'envelopeId'> | undefined;
    const base = () =>
      (shared ??= {
        accountId: this.o.accountId,
        chatKey: chatKeyOf(envelope.replyTarget),
        target: JSON.stringify(envelope.replyTarget),
        source: 'reply',
        envelopeId: envelope.id,
      });
    const row = (key: string, text: string, file: string | undefined, replyTo: string | undefined): OutboxInsert => ({
      ...base(),
      idempotencyKey: `${envelope.id}:reply:${key}`,
      text,
      ...(file ? { file } : {}),
      ...(replyTo ? { replyTo } : {}),
    });
    const isReaction = envelope.kind === 'reaction';
    if (isReaction && (result.replies.length > 0 || result.reaction)) {
      this.o.logger.info(
        { envelopeId: envelope.id, replies: result.replies.length },
        'the agent answered a reaction event; a tapback is not a turn, so nothing is sent',
      );
    }
    for (const refusal of result.refused ?? []) {
      this.o.logger.warn({ envelopeId: envelope.id, agentId: envelope.agentId }, `agent action ${refusal}; the rest of the reply is delivered`);
    }
    // The tapback first (it reacts to the message the replies answer), once: its key is the envelope's.
    if (!isReaction && result.reaction && envelope.imsg.guid) {
      const action: TapbackAction = {
        kind: 'tapback',
        target: envelope.imsg.guid,
        ...(envelope.chat.guid ? { chatGuid: envelope.chat.guid } : {}),
        ...(envelope.chat.chatId > 0 ? { chatId: envelope.chat.chatId } : {}),
        reaction: result.reaction,
      };
      replies.push({ ...base(), idempotencyKey: `${envelope.id}:reaction`, text: '', action: encodeAction(action) });
    }
    for (const [i, reply] of (isReaction ? [] : result.replies).entries()) {
      // Into the thread: asked for, or (by default) because the message answered was in one.
      const threaded = reply.thread ?? envelope.threadOriginator !== undefined;
      const replyTo = threaded && envelope.imsg.guid ? envelope.imsg.guid : undefined;
      if (reply.text.trim().length > 0) {
        const chunks = await this.o.chunk(this.withPrefix(this.capped(envelope.id, i, reply.text)));
        chunks.forEach((chunk, j) => replies.push(row(chunks.length === 1 ? `${i}` : `${i}:${j}`, chunk, undefined, replyTo)));
      }
      for (const [k, file] of (reply.media ?? []).entries()) {
        const staged = await this.o.media.stage(file);
        if (staged) replies.push(row(`${i}:file:${k}`, '', staged, replyTo));
      }
    }
    // One reply turn paid for, granted before the rows are written so the sender never sees them
    // unpaid. If the write fails, the credit outlives the turn (the messages run again next start).
    if (paid && replies.length > 0) this.o.onPaidReplyTurn?.(base().chatKey);
    // Returned, not awaited: this frame (the envelope, the agent's result) is let go while the commit waits.
    return this.settleTurn(envelope.id, guids, replies);
  }

  /** The turn's rows in the group commit; then it is counted and logged. */
  private async settleTurn(envelopeId: string, guids: string[], replies: OutboxInsert[]): Promise<void> {
    try {
      await this.commitDispatch(guids, replies);
    } catch (err) {
      this.o.logger.error(
        { envelopeId, messages: guids.length, err: errorText(err) },
        'a finished agent turn could not be written; its messages run again at the next start',
      );
      return;
    }
    this.o.counters.dispatched += guids.length;
    // `messages`: how many messages the turn settled (a collected turn settles several).
    if (replies.length === 0) this.o.logger.info({ envelopeId, messages: guids.length }, 'agent chose not to reply');
    else this.o.onReplies();
  }

  /**
   * Group commit of finished agent turns: completions within `completionWindowMs` (else of the
   * same event-loop turn) share one transaction (one disk flush), at most MAX_ROWS_PER_COMMIT per
   * transaction; a full batch is written at the next turn without waiting for the window. A store
   * that refuses (busy, full) is retried every second until it accepts or the gateway stops; a
   * completion the store rejects on its own merits (a message no longer in the journal) fails alone.
   */
  private commitDispatch(guids: string[], replies: OutboxInsert[]): Promise<void> {
    // The replies go with the latest message; the earlier ones of a collected turn settle with them,
    // each naming the turn's latest message (the journal keeps it: the flow and `why` show it).
    const latest = guids.length > 1 ? guids[guids.length - 1] : undefined;
    const items = guids.map((guid, i) => ({
      guid,
      replies: i === guids.length - 1 ? replies : [],
      ...(latest !== undefined ? { turnGuid: latest } : {}),
    }));
    return new Promise((resolve, reject) => {
      this.completions.push({ items, resolve, reject });
      this.completionRows += items.length;
      this.scheduleCompletions();
    });
  }

  private scheduleCompletions(): void {
    const full = this.completionRows >= MAX_ROWS_PER_COMMIT;
    if (this.completionScheduled) {
      if (!full || this.completionTimer === undefined || this.completionFailure) return;
      // A full batch does not wait for the rest of the window.
      this.o.clock.clearTimeout(this.completionTimer);
      this.completionTimer = undefined;
      this.slices.run(() => this.flushCompletions());
      return;
    }
    this.completionScheduled = true;
    const window = this.o.completionWindowMs ?? 0;
    if (window > 0 && !full) {
      this.completionTimer = this.o.clock.setTimeout(() => {
        this.completionTimer = undefined;
        // A slice like the others: the commit counts against the turn's budget.
        this.slices.run(() => this.flushCompletions());
      }, window);
    } else {
      this.slices.run(() => this.flushCompletions());
    }
  }

  /**
   * The next group commit's finished turns, taken off the queue: at most MAX_ROWS_PER_COMMIT
   * messages (a collected turn counts each of its messages; it is never split).
   */
  private takeCompletions(): Completion[] {
    let take = 0;
    for (let rows = 0; take < this.completions.length; take++) {
      rows += this.completions[take]!.items.length;
      if (rows > MAX_ROWS_PER_COMMIT && take > 0) break;
    }
    const batch = this.completions.splice(0, take);
    for (const c of batch) this.completionRows -= c.items.length;
    return batch;
  }

  /** Finished turns whose settles committed: their turns go on (counted, logged), the backlog falls. */
  private completionsWritten(batch: readonly Completion[]): void {
    this.completionFailure = undefined;
    for (const c of batch) c.resolve();
    this.moreCompletions();
    this.backlogFell();
  }

  /** Finished turns left waiting (what did not fit a transaction) get their own group commit at a later turn. */
  private moreCompletions(): void {
    if (this.completions.length > 0 && !this.completionScheduled) {
      this.completionScheduled = true;
      this.slices.run(() => this.flushCompletions());
    }
  }

  /**
   * Finished turns for the journal's next chunk to settle in its own transaction (one commit
   * instead of two in a burst); none while their own group commit is retrying a refusing store.
   */
  private journalRiders(): JournalRiders | undefined {
    if (!this.mayRide() || this.completions.length === 0) return undefined;
    const batch = this.takeCompletions();
    return {
      items: batch.flatMap((c) => c.items),
      committed: () => this.completionsWritten(batch),
      returned: () => {
        // Their own transaction next: one that cannot be settled must not hold the journal back.
        this.ownCommitNext = true;
        this.putBackCompletions(batch);
        this.moreCompletions();
      },
    };
  }

  /** Whether finished turns may ride the journal's transaction: not while their own commit is failing or owed. */
  private mayRide(): boolean {
    return !this.completionFailure && !this.ownCommitNext;
  }

  /** Taken finished turns back at the head of the queue, unwritten. */
  private putBackCompletions(batch: readonly Completion[]): void {
    this.completions.unshift(...batch);
    for (const c of batch) this.completionRows += c.items.length;
  }

  /** `now`: whatever a WAL wrap asks (shutdown does not wait). */
  private flushCompletions(now = false): void {
    if (!now && this.completions.length > 0 && this.hold.held()) {
      // A WAL wrap of the checkpoint thread: a moment (the completions gather meanwhile).
      this.completionScheduled = true;
      this.hold.afterHold(() => this.slices.run(() => this.flushCompletions()));
      return;
    }
    this.completionScheduled = false;
    if (this.completionTimer !== undefined) {
      this.o.clock.clearTimeout(this.completionTimer);
      this.completionTimer = undefined;
    }
    if (this.completions.length === 0) return;
    // Messages wait for the journal too: one transaction settles the turns and records them.
    if (!now && this.mayRide() && this.recorder.commitNow()) {
      this.moreCompletions();
      return;
    }
    this.ownCommitNext = false;
    const batch = this.takeCompletions();
    try {
      this.o.store.completeDispatchMany(this.o.accountId, batch.flatMap((c) => c.items));
      this.completionsWritten(batch);
      return;
    } catch (err) {
      if (!isStorageFailure(err)) {
        for (const c of batch) {
          try {
            this.o.store.completeDispatchMany(this.o.accountId, c.items);
            c.resolve();
          } catch (one) {
            c.reject(one);
          }
        }
        this.moreCompletions();
        this.backlogFell();
        return;
      }
      if (this.o.signal.aborted) {
        this.unwritten += batch.length;
        for (const c of batch) c.reject(err);
        return;
      }
      this.o.logger.error({ err: errorText(err), pending: batch.length }, 'cannot write finished agent turns (state database); retrying');
      this.completionFailure ??= { since: this.o.clock.now(), error: errorText(err) };
      this.putBackCompletions(batch);
      this.completionScheduled = true;
      this.completionTimer = this.o.clock.setTimeout(() => {
        this.completionTimer = undefined;
        this.flushCompletions();
      }, STORE_RETRY_MS);
    }
  }

  /**
   * imsg named the message this one answers but not its text (no reply_to_text): the journal (a
   * message that came in) or the outbox (one the gateway sent) may know it. Best effort: a store
   * that cannot answer leaves the envelope as imsg described it.
   */
  private fillReplyText(envelope: Envelope): void {
    const replyTo = envelope.replyTo;
    if (!replyTo || replyTo.text !== undefined) return;
    try {
      const known = this.o.store.knownText(this.o.accountId, replyTo.guid);
      if (!known) return;
      replyTo.text = known.text;
      if (replyTo.sender === undefined && known.sender !== undefined) replyTo.sender = known.sender;
    } catch {
      // the envelope keeps what imsg said
    }
  }

  /** The reply within imessage.maxReplyChars; a cut is logged (sizes only, never the text). */
  private capped(envelopeId: string, reply: number, text: string): string {
    const { text: sent, cutChars } = capReply(text, this.o.maxReplyChars);
    if (cutChars > 0) {
      this.o.logger.info(
        { envelopeId, reply, chars: text.length, cutChars, maxReplyChars: this.o.maxReplyChars },
        'reply cut at imessage.maxReplyChars; the rest is not sent and a notice says so',
      );
    }
    return sent;
  }

  private withPrefix(text: string): string {
    const prefix = this.o.responsePrefix;
    if (!prefix || text.startsWith(prefix)) return text;
    return `${prefix} ${text}`;
  }

  private withStore(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.logger.error({ err: errorText(err) }, 'state database write failed');
    }
  }


}


/**
 * An exception's message for the quarantine reason, unless it quotes the message's text: errors
 * the runtime builds from input do (JSON.parse: `"secret pla"... is not valid JSON`, a property
 * read `(reading 'secret')`), and the reason is listed without --payload. Any run of 6 characters
 * of the text (the whole text when shorter) in it leaves the exception's message out.
 */
function detailWithoutText(err: unknown, text: string): string {
  const detail = errorText(err);
  const QUOTE = 6;
  const quoted =
    text.length <= QUOTE
      ? text.trim() !== '' && detail.includes(text)
      : Array.from({ length: text.length - QUOTE + 1 }, (_, i) => text.slice(i, i + QUOTE)).some((run) => detail.includes(run));
  return quoted ? 'its message quotes the message text and is left out (`quarantine list --payload` shows the message)' : detail;
}

/** The journal's trace of a tapback's decision (`why <guid>` shows it). */
function reactionTrace(
  mode: ReactionNotifications,
  sender: ReturnType<typeof senderVerdict>,
  target: { fromGateway: boolean } | undefined,
  reaction: ReactionDecision,
): string[] {
  return [
    'tapback: decided before the policy (no pairing, mention gating or history)',
    `reactionNotifications: ${mode}`,
    sender.admitted ? 'sender: let through by the policy' : `sender: ${sender.reason}`,
    `target: ${target === undefined ? 'unknown' : target.fromGateway ? 'sent by the gateway' : 'in the journal'}`,
    reaction.action === 'dispatch' ? 'reaction event → agent' : `dropped: ${reaction.reason}`,
  ];
}

/** A decision whose carry-out is a pairing request (and, for a new code, the reply carrying it). */
function isPairingDecision(decision: InboundDecision): boolean {
  return decision.action === 'pair' || (decision.action === 'drop' && (decision.reason === 'pairing-pending' || decision.reason === 'pairing-cap' || decision.reason === 'pairing-denied'));
}

/** The error's class name only (TypeError, RangeError): safe to log, never built from input. */
function errorClass(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** A message of the turn with attachments not yet ingested. */
function needsIngesting(item: TurnItem): boolean {
  const { attachments } = item.envelope;
  return attachments.length > 0 && attachments.some((a) => !a.ingested);
}
