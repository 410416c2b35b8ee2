/**
 * The lifecycle of one iMessage account. The machine owns its `imsg rpc` child: the child is an
 * invoked actor (`imsgChild`) on the state `child`, so it lives exactly as long as the machine is
 * in one of child's sub-states, and leaving `child` (exit, hang, STOP, a fatal error) runs the
 * actor's cleanup, which stops the child's whole process group.
 *
 *   child ─── invoke imsgChild: spawns the process; sends CHILD_SPAWNED, then CHILD_FAILED (exit,
 *   │         hang), WATCH_ERROR, WATCH_OVERFLOW back to the machine; and generationWatch
 *   │         (chat.db generations while connected: GENERATION_CHANGED moves the watch to the new
 *   │         file on the same child on imsg 0.14+ (regenerating), and restarts the child before)
 *   │  spawning ──CHILD_SPAWNED──▶ initializing (negotiate: initialize/status, probe, cursor, subscribe)
 *   │     initializing ──done──▶ streaming, or ▶ catching-up when messages.after is advertised
 *   │     catching-up ──CATCH_UP_DONE──▶ streaming ◀──▶ resubscribing (watch `error`, `watch.overflow`)
 *   │     streaming ──GENERATION_CHANGED (0.14+)──▶ regenerating (unsubscribe, new generation, subscribe)
 *   │     streaming = idle ──after liveness / probe (chats.list)──▶ idle; PROBE_FAILED ──▶ by error class
 *   │     awaiting-permissions (imsg 0.14+ -32002): waiting ⇄ probing (`status` on the SAME child)
 *   │  CHILD_FAILED / a failed start, by error class:
 *   ├─ retry ──────▶ backoff-restart ──delay──▶ child
 *   │                     └─ intensity exceeded ─▶ cooling-down ──long delay / RETRY──▶ child
 *   ├─ permission ─▶ awaiting-permissions ──slow timer / RETRY──▶ child (a re-probe: a fresh child)
 *   └─ operator ───▶ misconfigured        ──slow timer / RETRY──▶ child (a re-probe: a fresh child)
 *   any ──STOP──▶ stopping ──▶ stopped
 *
 * The three waiting states are one parameterised definition (waitingState): what they wait for
 * (permission or operator) and how they ask again are parameters. The held child is asked again
 * in place (`probing`, the same child's `status`); the others re-probe by entering `child`, so the
 * re-probe's process is the imsgChild actor like any other: its failure comes back by error class
 * (the same kind waits again), its success simply goes on streaming. While a re-probe runs,
 * `reprobeOf` names the waiting state, which is what operators keep seeing (accountStateName).
 * The machine only decides; the effects are actors that the account runtime provides with
 * machine.provide(). Time comes from the injected clock, both for the `after` delays
 * (createActor({ clock })) and for the timestamps kept in context.
 */
import { assign, fromCallback, fromPromise, sendTo, setup, type SnapshotFrom } from 'xstate';
import type { Clock } from '../util/clock.js';
import { backoffDelay } from '../account-rules/backoff.js';
import { type AccountErrorInfo, childAnswered, keepsChild, toErrorInfo } from '../account-rules/error-info.js';
import { recoveryOfError } from '../util/typed-error.js';
import { intensityExceeded, recordRestart } from '../account-rules/restart-intensity.js';
import type { CatchUpProgress } from '../account-rules/catch-up.js';

export interface AccountTiming {
  backoffInitialMs: number;
  backoffMaxMs: number;
  restartIntensity: { maxRestarts: number; windowMs: number };
  coolDownMs: number;
  permissionReprobeMs: number;
  stableAfterMs: number;
  /** How long `streaming` stays idle before it probes the child again (`liveness` delay). */
  livenessIntervalMs: number;
}

export interface AccountMachineInput {
  accountId: string;
  timing: AccountTiming;
}

export interface AccountContext {
  accountId: string;
  timing: AccountTiming;
  /** Consecutive failed starts; drives the backoff, reset after a stable stretch of streaming. */
  attempt: number;
  /** Restarts since the gateway started. */
  restarts: number;
  restartTimes: number[];
  retryDelayMs: number;
  nextRetryAt: number | null;
  lastError: AccountErrorInfo | null;
  /** Why the machine made its last transition, for status and the live view. */
  reason: string;
  subscription: number | null;
  /** imsg 0.14+ answered -32002 and stays up: awaiting-permissions re-checks it instead of respawning. */
  childHeld: boolean;
  /** The `watch.overflow` resume point for the next resubscribe; null otherwise. */
  resumeAfterRowid: number | null;
  /** The current (or last) catch-up with messages.after: progress for status and the live view. */
  catchUp: CatchUpProgress | null;
  /** `child` was entered to re-probe for this waiting state (operators still see that state). */
  reprobeOf: ReprobeOf | null;
}

/** The waiting states that re-probe with a fresh child. */
export type ReprobeOf = 'awaiting-permissions' | 'misconfigured';

export type AccountEvent =
  | { type: 'STOP' }
  | { type: 'RETRY' }
  /** From the imsgChild actor: the process is up. */
  | { type: 'CHILD_SPAWNED' }
  /** From the imsgChild actor: it could not start, exited, or hung. */
  | { type: 'CHILD_FAILED'; error: unknown }
  /**
   * From the generationWatch actor: chat.db was replaced or restored under the child. `inPlace`:
   * the child's new requests see the new file (imsg 0.14+, §2.4), so only its watch must move.
   */
  | { type: 'GENERATION_CHANGED'; error: unknown; inPlace: boolean }
  | { type: 'WATCH_ERROR'; message: string }
  /** imsg 0.14+ ended the watch (`watch.overflow`): resubscribe from resume_after_rowid. */
  | { type: 'WATCH_OVERFLOW'; resumeAfterRowid: number | undefined }
  /** From the catchUp actor: a page was handled. */
  | { type: 'CATCH_UP_PROGRESS'; progress: CatchUpProgress }
  /** From the catchUp actor: the backlog is read and the watch subscribed from the cursor. */
  | { type: 'CATCH_UP_DONE'; subscription: number; progress: CatchUpProgress }
  | { type: 'CATCH_UP_FAILED'; error: unknown }
  /**
   * From the `probe` action: the liveness probe of this child failed (no answer by its deadline,
   * the child gone, an error answer, -32002). A probe that is answered sends nothing.
   */
  | { type: 'PROBE_FAILED'; error: unknown };

/** What the machine tells its generationWatch actor: watch now (connected), or pause (held). */
export type GenerationWatchEvent = { type: 'WATCH_GENERATIONS' } | { type: 'PAUSE_GENERATIONS' };

export interface ConnectInput {
  accountId: string;
  /** resubscribe only: resume after this row (watch.overflow), else after the stored cursor. */
  resumeAfterRowid?: number | null;
  /** regenerate only: the old generation's subscription, to unsubscribe. */
  subscription?: number | null;
}
export interface ConnectOutput {
  /** null when the connect left subscribing to the catch-up (catchUp: true). */
  subscription: number | null;
  /** imsg advertises `messages.after`: page the backlog first (catching-up), then subscribe. */
  catchUp?: boolean;
}


export interface AccountMachineDeps {
  clock: Clock;
  random?: () => number;
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const notProvided = (name: string) => () => {
  throw new Error(`account machine actor "${name}" was not provided`);
};

/** The waiting states' ids: what each waits for, and how it asks again. */
type WaitingId = '#account.awaiting-permissions' | '#account.misconfigured' | '#account.child.awaiting-permissions';
const PERMISSION: WaitingId = '#account.awaiting-permissions';
const OPERATOR: WaitingId = '#account.misconfigured';
const HELD: WaitingId = '#account.child.awaiting-permissions';

/** Where a failed start (or a child that failed) goes, by the error's recovery class. */
const byErrorClass = [
  { guard: 'keepsChild', target: HELD, actions: 'setError' },
  { guard: 'needsPermission', target: PERMISSION, actions: 'setError' },
  { guard: 'needsOperator', target: OPERATOR, actions: 'setError' },
  { target: '#account.backoff-restart', actions: 'setError' },
] as const;

/**
 * One parameterised waiting state: awaiting-permissions and misconfigured, which re-probe with a
 * fresh child (they enter `child`, marked `reprobeOf`; a failure comes back here by error class),
 * and awaiting-permissions while imsg 0.14+ holds its child, which asks the same child's `status`
 * again (`probing` with `recheck`). Waits `permissionReprobeMs` (or an operator RETRY), asks again,
 * and goes where the answer says; a problem of the same kind waits again (and is logged once by
 * the runtime).
 */
function waitingState(self: WaitingId) {
  if (self !== HELD) {
    const mark = { type: 'markReprobe', params: { of: self === PERMISSION ? 'awaiting-permissions' : 'misconfigured' } } as const;
    return {
      entry: 'scheduleReprobe',
      on: { RETRY: { target: '#account.child', actions: ['operatorRetry', mark] } },
      after: { reprobe: { target: '#account.child', actions: mark } },
    } as const;
  }
  return {
    // The held child's database is unavailable: nothing to watch until it streams again.
    entry: ['scheduleReprobe', 'pauseGenerations'],
    initial: 'waiting',
    on: { RETRY: { target: '.probing', actions: 'operatorRetry' } },
    states: {
      waiting: { after: { reprobe: 'probing' } },
      probing: {
        invoke: {
          src: 'recheck',
          input: ({ context }: { context: AccountContext }) => ({ accountId: context.accountId }),
          onDone: [
            { guard: 'catchUpFirst', target: '#account.child.catching-up', actions: ['connected', 'clearError'] },
            { target: '#account.child.streaming', actions: ['connected', 'clearError'] },
          ],
          onError: [
            { guard: 'keepsChild', target: 'waiting', actions: ['setError', 'scheduleReprobe'] },
            ...byErrorClass.filter((t) => t.target !== HELD),
          ],
        },
      },
    },
  } as const;
}

/** The context an account machine starts with. */
export function initialAccountContext(input: AccountMachineInput): AccountContext {
  return {
    accountId: input.accountId,
    timing: input.timing,
    attempt: 0,
    restarts: 0,
    restartTimes: [],
    retryDelayMs: 0,
    nextRetryAt: null,
    lastError: null,
    reason: 'starting',
    subscription: null,
    childHeld: false,
    resumeAfterRowid: null,
    catchUp: null,
    reprobeOf: null,
  };
}

export function createAccountMachine(deps: AccountMachineDeps) {
  const { clock } = deps;
  const random = deps.random ?? Math.random;
  const errorOf = (event: unknown): unknown => (event as { error?: unknown }).error;

  return setup({
    types: {
      context: {} as AccountContext,
      events: {} as AccountEvent,
      input: {} as AccountMachineInput,
    },
    actors: {
      /**
       * The imsg child itself, for as long as the machine is in `child`: spawns the process, sends
       * CHILD_SPAWNED, then CHILD_FAILED (exit, hang), WATCH_ERROR and WATCH_OVERFLOW. Its cleanup
       * stops the whole process group.
       */
      imsgChild: fromCallback<AccountEvent, ConnectInput>(notProvided('imsgChild')),
      /** On the spawned child: negotiate (initialize/status), probe, first-start cursor, subscribe. */
      initialize: fromPromise<ConnectOutput, ConnectInput>(notProvided('initialize')),
      /** Subscribe again on the live child after a watch `error` or `watch.overflow` notification. */
      resubscribe: fromPromise<ConnectOutput, ConnectInput>(notProvided('resubscribe')),
      /**
       * imsg 0.14+, chat.db replaced under the child: unsubscribe the old generation's watch, start
       * the new generation (cursor), then catch up or subscribe on the same child.
       */
      regenerate: fromPromise<ConnectOutput, ConnectInput>(notProvided('regenerate')),
      /** imsg 0.14+: re-read `status` on the held child; once the database opens, subscribe on it. */
      recheck: fromPromise<ConnectOutput, ConnectInput>(notProvided('recheck')),
      /**
       * Pages `messages.after` from the cursor, then subscribes: sends CATCH_UP_PROGRESS per page,
       * then CATCH_UP_DONE (or CATCH_UP_FAILED). Its cleanup abandons the paging.
       */
      catchUp: fromCallback<AccountEvent, ConnectInput>(() => undefined),
      /**
       * chat.db generations while the child is connected: told WATCH_GENERATIONS on entering
       * catching-up, streaming or resubscribing and PAUSE_GENERATIONS when the child is held; sends
       * GENERATION_CHANGED when the file was replaced or restored. Its cleanup stops the watch.
       */
      generationWatch: fromCallback<GenerationWatchEvent, ConnectInput>(() => undefined),
      /** Waits until every child stopped by a cleanup is gone. */
      disconnect: fromPromise<void, ConnectInput>(async () => undefined),
    },
    actions: {
      /**
       * The liveness probe of `streaming` (the `liveness` timed transition): sends one cheap request
       * with the probe deadline to the live child (skipped while other requests are in flight:
       * their own deadlines watch it), and PROBE_FAILED back only when it fails. An answered probe
       * is no event at all: an idle fleet's probes cost no machine work beyond their timer (issue
       * 15, idle CPU).
       */
      probe: notProvided('probe'),
      clearError: assign({ lastError: null }),
      setError: assign(({ event }) => {
        const info = toErrorInfo(errorOf(event), clock.now());
        return { lastError: info, reason: info.message, childHeld: keepsChild(errorOf(event)) };
      }),
      connected: assign(({ context, event }) => ({
        // A waiting state's problem is solved once its re-probe streams (a crash's error stays shown).
        ...(context.reprobeOf ? { lastError: null } : {}),
        subscription: (event as unknown as { output: ConnectOutput }).output.subscription,
        reason: 'probe answered; watch subscribed',
        nextRetryAt: null,
        childHeld: false,
        resumeAfterRowid: null,
        reprobeOf: null,
      })),
      recordRestart: assign(({ context }) => {
        const now = clock.now();
        const delay = backoffDelay(
          context.attempt,
          { initialMs: context.timing.backoffInitialMs, maxMs: context.timing.backoffMaxMs },
          random,
        );
        return {
          restarts: context.restarts + 1,
          restartTimes: recordRestart(context.restartTimes, now, context.timing.restartIntensity.windowMs),
          attempt: context.attempt + 1,
          retryDelayMs: delay,
          nextRetryAt: now + delay,
        };
      }),
      scheduleReprobe: assign(({ context }) => ({ nextRetryAt: clock.now() + context.timing.permissionReprobeMs })),
      scheduleCoolDown: assign(({ context }) => ({
        nextRetryAt: clock.now() + context.timing.coolDownMs,
        reason: `restarted more than ${context.timing.restartIntensity.maxRestarts} times within ${context.timing.restartIntensity.windowMs} ms; cooling down`,
      })),
      resetIntensity: assign({ restartTimes: [], attempt: 0 }),
      operatorRetry: assign({ reason: 'operator retry' }),
      markReprobe: assign((_, params: { of: ReprobeOf }) => ({ reprobeOf: params.of })),
      watchGenerations: sendTo('generations', { type: 'WATCH_GENERATIONS' }),
      pauseGenerations: sendTo('generations', { type: 'PAUSE_GENERATIONS' }),
      noteWatchError: assign(({ event }) => ({
        reason: `watch error: ${(event as Extract<AccountEvent, { type: 'WATCH_ERROR' }>).message}; resubscribing`,
        resumeAfterRowid: null,
      })),
      noteOverflow: assign(({ context, event }) => {
        const e = event as Extract<AccountEvent, { type: 'WATCH_OVERFLOW' }>;
        const resume = Math.max(e.resumeAfterRowid ?? 0, 0);
        // A second overflow while resubscribing: never resume later than the earlier point.
        const from = context.resumeAfterRowid === null ? resume : Math.min(context.resumeAfterRowid, resume);
        return { reason: `watch.overflow: imsg ended the watch; resuming after row ${from}`, resumeAfterRowid: from };
      }),
    },
    guards: {
      needsPermission: ({ event }) => recoveryOfError(errorOf(event)) === 'permission',
      needsOperator: ({ event }) => recoveryOfError(errorOf(event)) === 'operator',
      /** imsg 0.14+ -32002: the child stays up and recovers in place; wait on it, never respawn. */
      keepsChild: ({ event }) => keepsChild(errorOf(event)),
      /** The child answered the probe with a JSON-RPC error (busy, a peer error): it is alive. */
      childAnswered: ({ event }) => childAnswered(errorOf(event)),
      catchUpFirst: ({ event }) => (event as unknown as { output?: ConnectOutput }).output?.catchUp === true,
      intensityExceeded: ({ context }) =>
        intensityExceeded(context.restartTimes, clock.now(), context.timing.restartIntensity),
    },
    delays: {
      backoff: ({ context }) => context.retryDelayMs,
      reprobe: ({ context }) => context.timing.permissionReprobeMs,
      coolDown: ({ context }) => context.timing.coolDownMs,
      stableAfter: ({ context }) => context.timing.stableAfterMs,
      liveness: ({ context }) => context.timing.livenessIntervalMs,
    },
  }).createMachine({
    id: 'account',
    context: ({ input }) => initialAccountContext(input),
    initial: 'child',
    on: {
      STOP: { target: '.stopping', actions: assign({ reason: 'stop requested' }) },
    },
    states: {
      child: {
        // A re-probe that failed is over; the waiting state it returns to schedules the next one.
        exit: assign({ reprobeOf: null }),
        invoke: [
          { id: 'imsg', src: 'imsgChild', input: ({ context }) => ({ accountId: context.accountId }) },
          { id: 'generations', src: 'generationWatch', input: ({ context }) => ({ accountId: context.accountId }) },
        ],
        on: {
          // An exit or a hang (also the text permission banner of imsg ≤0.8, printed before exiting).
          CHILD_FAILED: byErrorClass.filter((t) => t.target !== HELD),
          // chat.db replaced or restored (a new cursor generation): imsg 0.14+ moves the watch on
          // the same child (§2.4); an older imsg keeps reading the old file until restarted.
          GENERATION_CHANGED: [
            {
              guard: ({ event }) => event.inPlace,
              target: '.regenerating',
              actions: assign(({ event }) => ({ reason: errorMessage(event.error) })),
            },
            { target: '#account.backoff-restart', actions: 'setError' },
          ],
        },
        initial: 'spawning',
        states: {
          spawning: {
            entry: assign(({ context }) => ({
              reason: context.reprobeOf ? `re-probing (${context.reprobeOf}): spawning imsg rpc` : 'spawning imsg rpc',
            })),
            on: { CHILD_SPAWNED: { target: 'initializing', actions: assign({ reason: 'imsg spawned; negotiating' }) } },
          },
          initializing: {
            invoke: {
              src: 'initialize',
              input: ({ context }) => ({ accountId: context.accountId }),
              onDone: [
                { guard: 'catchUpFirst', target: 'catching-up', actions: 'connected' },
                { target: 'streaming', actions: 'connected' },
              ],
              onError: byErrorClass,
            },
          },
          /** imsg 0.14+: the backlog after the cursor, paged with messages.after before the watch. */
          'catching-up': {
            entry: [assign({ reason: 'catching up with messages.after', catchUp: null }), 'watchGenerations'],
            invoke: { src: 'catchUp', input: ({ context }) => ({ accountId: context.accountId }) },
            on: {
              CATCH_UP_PROGRESS: { actions: assign({ catchUp: ({ event }) => event.progress }) },
              CATCH_UP_DONE: {
                target: 'streaming',
                actions: assign(({ event }) => ({
                  subscription: event.subscription,
                  catchUp: event.progress,
                  reason: `caught up (${event.progress.rows} rows); watch subscribed`,
                })),
              },
              CATCH_UP_FAILED: { target: '#account.backoff-restart', actions: 'setError' },
            },
          },
          streaming: {
            entry: 'watchGenerations',
            after: { stableAfter: { actions: assign({ attempt: 0 }) } },
            on: {
              WATCH_ERROR: { target: 'resubscribing', actions: 'noteWatchError' },
              WATCH_OVERFLOW: { target: 'resubscribing', actions: 'noteOverflow' },
              PROBE_FAILED: [
                // imsg 0.14+ -32002 mid-stream: wait for access on the same child.
                { guard: 'keepsChild', target: HELD, actions: 'setError' },
                // An error answer (busy, a peer error): the child is alive.
                { guard: 'childAnswered' },
                // A probe past its deadline is a hang (so is an exit): restart with backoff.
                { target: '#account.backoff-restart', actions: 'setError' },
              ],
            },
            initial: 'idle',
            states: {
              /**
               * Liveness is a timed transition: after `liveness` of quiet, probe the child and wait
               * another `liveness` (the probe's failure comes back as PROBE_FAILED).
               */
              idle: { after: { liveness: { target: 'idle', reenter: true, actions: 'probe' } } },
            },
          },
          resubscribing: {
            entry: 'watchGenerations',
            // The new subscription can overflow (or fail) before its subscribe answer is handled
            // here: the same line batch carries both. Start over from the new resume point.
            on: {
              WATCH_OVERFLOW: { target: 'resubscribing', reenter: true, actions: 'noteOverflow' },
              WATCH_ERROR: { target: 'resubscribing', reenter: true, actions: 'noteWatchError' },
            },
            invoke: {
              src: 'resubscribe',
              input: ({ context }) => ({ accountId: context.accountId, resumeAfterRowid: context.resumeAfterRowid }),
              onDone: { target: 'streaming', actions: 'connected' },
              onError: { target: '#account.backoff-restart', actions: 'setError' },
            },
          },
          /** imsg 0.14+, chat.db replaced: the same child, a new generation, a new watch. */
          regenerating: {
            // The old watch is done with: the next streaming starts one on the new file.
            entry: 'pauseGenerations',
            // The new subscription can end (or fail) before its answer is handled here.
            on: {
              WATCH_OVERFLOW: { target: 'resubscribing', actions: 'noteOverflow' },
              WATCH_ERROR: { target: 'resubscribing', actions: 'noteWatchError' },
            },
            invoke: {
              src: 'regenerate',
              input: ({ context }) => ({ accountId: context.accountId, subscription: context.subscription }),
              onDone: [
                { guard: 'catchUpFirst', target: 'catching-up', actions: 'connected' },
                { target: 'streaming', actions: 'connected' },
              ],
              onError: byErrorClass,
            },
          },
          /** imsg 0.14+ -32002: the same child, asked `status` again; never a respawn while it answers. */
          'awaiting-permissions': waitingState(HELD),
        },
      },
      'awaiting-permissions': waitingState(PERMISSION),
      misconfigured: waitingState(OPERATOR),
      'backoff-restart': {
        entry: 'recordRestart',
        always: { guard: 'intensityExceeded', target: 'cooling-down' },
        after: { backoff: 'child' },
        on: { RETRY: 'child' },
      },
      'cooling-down': {
        entry: 'scheduleCoolDown',
        after: { coolDown: { target: 'child', actions: 'resetIntensity' } },
        on: { RETRY: { target: 'child', actions: 'resetIntensity' } },
      },
      stopping: {
        invoke: {
          src: 'disconnect',
          input: ({ context }) => ({ accountId: context.accountId }),
          onDone: 'stopped',
          onError: 'stopped',
        },
      },
      stopped: { type: 'final' },
    },
  });
}

export type AccountMachine = ReturnType<typeof createAccountMachine>;
export type AccountSnapshot = SnapshotFrom<AccountMachine>;

/**
 * The state name shown to operators: the top-level state, or the state inside `child`
 * (spawning, initializing, catching-up, streaming, resubscribing, awaiting-permissions). Inner
 * steps (a liveness probe, a re-check, a re-probe's fresh child until it streams) are not state
 * changes for operators: a re-probe keeps showing the waiting state it probes for.
 */
export function accountStateName(
  value: AccountSnapshot['value'],
  context?: Pick<AccountContext, 'reprobeOf'>,
): string {
  if (context?.reprobeOf) return context.reprobeOf;
  if (typeof value === 'string') return value;
  const [top, sub] = Object.entries(value)[0] ?? ['unknown', undefined];
  if (top !== 'child') return top;
  if (typeof sub === 'string') return sub;
  const inner = sub ? Object.keys(sub)[0] : undefined;
  return inner ?? top;
}

/** The full path of the active leaf state, e.g. "child.streaming.idle" (the dashboard marks the substate). */
export function accountStatePath(value: AccountSnapshot['value'] | string | Record<string, unknown>): string {
  if (typeof value === 'string') return value;
  const [key, sub] = Object.entries(value)[0] ?? [];
  if (key === undefined) return '';
  const rest = sub === undefined || sub === null ? '' : accountStatePath(sub as string | Record<string, unknown>);
  return rest ? `${key}.${rest}` : key;
}
