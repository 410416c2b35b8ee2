/**
 * The lifecycle of one iMessage account: one `imsg rpc` child, probed, subscribed and watched.
 *
 *   spawning ──ok──▶ connected.streaming ◀──▶ connected.resubscribing (watch `error`, or `watch.overflow`
 *      │   │              ▲                     resuming from its resume_after_rowid)
 *      │   └─ messages.after advertised ─▶ connected.catching-up (pages the backlog, then subscribes)
 *      │                  │
 *      │                  │   streaming = idle ──after liveness──▶ probing (chats.list) ──answer──▶ idle
 *      │                  │   (probe hang → backoff-restart; -32002 → awaiting-permissions, same child)
 *      │                  │ child exit / hang
 *      │                  ▼
 *      ├──────────▶ backoff-restart ──delay──▶ spawning
 *      │                  └─ intensity exceeded ─▶ cooling-down ──long delay / RETRY──▶ spawning
 *      ├─ permission ─▶ awaiting-permissions (waiting ⇄ probing on a slow timer) ──ok──▶ connected
 *      │                 (imsg 0.14+ -32002: waiting ⇄ rechecking `status` on the SAME child, no respawn)
 *      └─ operator ───▶ misconfigured       (waiting ⇄ probing on a slow timer) ──ok──▶ connected
 *   any ──STOP──▶ stopping ──▶ stopped
 *
 * The machine only decides; the effects (spawning, probing, subscribing, stopping) are actors that
 * the account runtime provides with machine.provide(). Time comes from the injected clock, both
 * for the `after` delays (createActor({ clock })) and for the timestamps kept in context.
 */
import { assign, enqueueActions, fromCallback, fromPromise, setup, type SnapshotFrom } from 'xstate';
import type { Clock } from '../util/clock.js';
import { backoffDelay } from './backoff.js';
import { type AccountErrorInfo, childAnswered, keepsChild, recoveryOfError, toErrorInfo } from './error-info.js';
import { intensityExceeded, recordRestart } from './restart-intensity.js';
import type { CatchUpProgress } from './catch-up.js';

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
}

export type AccountEvent =
  | { type: 'STOP' }
  | { type: 'RETRY' }
  | { type: 'CHILD_FAILED'; error: unknown }
  | { type: 'WATCH_ERROR'; message: string }
  /** imsg 0.14+ ended the watch (`watch.overflow`): resubscribe from resume_after_rowid. */
  | { type: 'WATCH_OVERFLOW'; resumeAfterRowid: number | undefined }
  /** From the catchUp actor: a page was handled. */
  | { type: 'CATCH_UP_PROGRESS'; progress: CatchUpProgress }
  /** From the catchUp actor: the backlog is read and the watch subscribed from the cursor. */
  | { type: 'CATCH_UP_DONE'; subscription: number; progress: CatchUpProgress }
  | { type: 'CATCH_UP_FAILED'; error: unknown };

export interface ConnectInput {
  accountId: string;
  /** resubscribe only: resume after this row (watch.overflow), else after the stored cursor. */
  resumeAfterRowid?: number | null;
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

const notProvided = (name: string) => () => {
  throw new Error(`account machine actor "${name}" was not provided`);
};

export function createAccountMachine(deps: AccountMachineDeps) {
  const { clock } = deps;
  const random = deps.random ?? Math.random;
  const errorOf = (event: unknown): unknown => (event as { error?: unknown }).error;

  /** Either way of asking again while permissions are missing (same child, or a fresh spawn). */
  const permissionProbe = {
    input: ({ context }: { context: AccountContext }) => ({ accountId: context.accountId }),
    onDone: [
      { guard: 'catchUpFirst', target: '#account.connected.catching-up', actions: ['connected', 'clearError'] },
      { target: '#account.connected', actions: ['connected', 'clearError'] },
    ],
    onError: [
      { guard: 'needsPermission', target: 'waiting', actions: ['setError', 'scheduleReprobe'] },
      { guard: 'needsOperator', target: '#account.misconfigured', actions: 'setError' },
      { target: '#account.backoff-restart', actions: 'setError' },
    ],
  } as const;

  return setup({
    types: {
      context: {} as AccountContext,
      events: {} as AccountEvent,
      input: {} as AccountMachineInput,
    },
    actors: {
      /** Spawn the child, probe it, subscribe from the cursor. */
      connect: fromPromise<ConnectOutput, ConnectInput>(notProvided('connect')),
      /** Subscribe again on the live child after a watch `error` or `watch.overflow` notification. */
      resubscribe: fromPromise<ConnectOutput, ConnectInput>(notProvided('resubscribe')),
      /** imsg 0.14+: re-read `status` on the held child; once the database opens, subscribe on it. */
      recheck: fromPromise<ConnectOutput, ConnectInput>(notProvided('recheck')),
      /**
       * Pages `messages.after` from the cursor, then subscribes: sends CATCH_UP_PROGRESS per page,
       * then CATCH_UP_DONE (or CATCH_UP_FAILED). Its cleanup abandons the paging.
       */
      catchUp: fromCallback<AccountEvent, ConnectInput>(() => undefined),
      /** Watches the live child: sends CHILD_FAILED (exit, hang) and WATCH_ERROR. */
      monitor: fromCallback<AccountEvent, ConnectInput>(() => undefined),
      /**
       * The liveness probe of `streaming.probing`: one cheap request with the probe deadline on the
       * live child (skipped while other requests are in flight: their own deadlines watch it).
       */
      probe: fromPromise<void, ConnectInput>(notProvided('probe')),
      /** Stops the child (and waits for any earlier one still being stopped). */
      disconnect: fromPromise<void, ConnectInput>(async () => undefined),
    },
    actions: {
      clearError: assign({ lastError: null }),
      /** Provided by the runtime: stop the current child in the background. */
      releaseChild: () => undefined,
      setError: assign(({ event }) => {
        const info = toErrorInfo(errorOf(event), clock.now());
        return { lastError: info, reason: info.message, childHeld: keepsChild(errorOf(event)) };
      }),
      connected: assign(({ event }) => ({
        subscription: (event as unknown as { output: ConnectOutput }).output.subscription,
        reason: 'probe answered; watch subscribed',
        nextRetryAt: null,
        childHeld: false,
        resumeAfterRowid: null,
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
      childHeld: ({ context }) => context.childHeld,
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
    context: ({ input }) => ({
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
    }),
    initial: 'spawning',
    on: {
      STOP: { target: '.stopping', actions: assign({ reason: 'stop requested' }) },
    },
    states: {
      spawning: {
        invoke: {
          src: 'connect',
          input: ({ context }) => ({ accountId: context.accountId }),
          onDone: [
            { guard: 'catchUpFirst', target: 'connected.catching-up', actions: 'connected' },
            { target: 'connected', actions: 'connected' },
          ],
          onError: [
            { guard: 'needsPermission', target: 'awaiting-permissions', actions: 'setError' },
            { guard: 'needsOperator', target: 'misconfigured', actions: 'setError' },
            { target: 'backoff-restart', actions: 'setError' },
          ],
        },
      },
      connected: {
        invoke: { src: 'monitor', input: ({ context }) => ({ accountId: context.accountId }) },
        // Leaving for awaiting-permissions on imsg 0.14+ -32002 keeps the child: it recovers in place.
        exit: enqueueActions(({ event, enqueue }) => {
          if (!keepsChild(errorOf(event))) enqueue('releaseChild');
        }),
        on: {
          CHILD_FAILED: { target: 'backoff-restart', actions: 'setError' },
        },
        initial: 'streaming',
        states: {
          /** imsg 0.14+: the backlog after the cursor, paged with messages.after before the watch. */
          'catching-up': {
            entry: assign({ reason: 'catching up with messages.after', catchUp: null }),
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
            after: { stableAfter: { actions: assign({ attempt: 0 }) } },
            initial: 'idle',
            states: {
              /** Liveness is a timed transition: after `liveness` of quiet, probe the child. */
              idle: { after: { liveness: 'probing' } },
              probing: {
                invoke: {
                  src: 'probe',
                  input: ({ context }) => ({ accountId: context.accountId }),
                  onDone: 'idle',
                  onError: [
                    // imsg 0.14+ -32002 mid-stream: wait for access on the same child.
                    { guard: 'needsPermission', target: '#account.awaiting-permissions', actions: 'setError' },
                    { guard: 'childAnswered', target: 'idle' },
                    // A probe past its deadline is a hang (so is an exit): restart with backoff.
                    { target: '#account.backoff-restart', actions: 'setError' },
                  ],
                },
              },
            },
            on: {
              WATCH_ERROR: {
                target: 'resubscribing',
                actions: assign(({ event }) => ({ reason: `watch error: ${event.message}; resubscribing`, resumeAfterRowid: null })),
              },
              WATCH_OVERFLOW: { target: 'resubscribing', actions: 'noteOverflow' },
            },
          },
          resubscribing: {
            // The new subscription can overflow (or fail) before its subscribe answer is handled
            // here: the same line batch carries both. Start over from the new resume point.
            on: {
              WATCH_OVERFLOW: { target: 'resubscribing', reenter: true, actions: 'noteOverflow' },
              WATCH_ERROR: {
                target: 'resubscribing',
                reenter: true,
                actions: assign(({ event }) => ({ reason: `watch error: ${event.message}; resubscribing`, resumeAfterRowid: null })),
              },
            },
            invoke: {
              src: 'resubscribe',
              input: ({ context }) => ({ accountId: context.accountId, resumeAfterRowid: context.resumeAfterRowid }),
              onDone: { target: 'streaming', actions: 'connected' },
              onError: { target: '#account.backoff-restart', actions: 'setError' },
            },
          },
        },
      },
      'awaiting-permissions': {
        entry: 'scheduleReprobe',
        initial: 'waiting',
        on: {
          RETRY: [
            { guard: 'childHeld', target: '.rechecking', actions: assign({ reason: 'operator retry' }) },
            { target: '.probing', actions: assign({ reason: 'operator retry' }) },
          ],
        },
        states: {
          waiting: { after: { reprobe: [{ guard: 'childHeld', target: 'rechecking' }, { target: 'probing' }] } },
          /** imsg 0.14+: the same child, asked `status` again; never a respawn while it answers. */
          rechecking: { invoke: { src: 'recheck', ...permissionProbe } },
          probing: { invoke: { src: 'connect', ...permissionProbe } },
        },
      },
      misconfigured: {
        entry: 'scheduleReprobe',
        initial: 'waiting',
        on: { RETRY: { target: '.probing', actions: assign({ reason: 'operator retry' }) } },
        states: {
          waiting: { after: { reprobe: 'probing' } },
          probing: {
            invoke: {
              src: 'connect',
              input: ({ context }) => ({ accountId: context.accountId }),
              onDone: [
                { guard: 'catchUpFirst', target: '#account.connected.catching-up', actions: ['connected', 'clearError'] },
                { target: '#account.connected', actions: ['connected', 'clearError'] },
              ],
              onError: [
                { guard: 'needsOperator', target: 'waiting', actions: ['setError', 'scheduleReprobe'] },
                { guard: 'needsPermission', target: '#account.awaiting-permissions', actions: 'setError' },
                { target: '#account.backoff-restart', actions: 'setError' },
              ],
            },
          },
        },
      },
      'backoff-restart': {
        entry: 'recordRestart',
        always: { guard: 'intensityExceeded', target: 'cooling-down' },
        after: { backoff: 'spawning' },
        on: { RETRY: 'spawning' },
      },
      'cooling-down': {
        entry: 'scheduleCoolDown',
        after: { coolDown: { target: 'spawning', actions: 'resetIntensity' } },
        on: { RETRY: { target: 'spawning', actions: 'resetIntensity' } },
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

/** The state name shown to operators: the top-level state, or the state inside `connected`. */
export function accountStateName(value: AccountSnapshot['value']): string {
  if (typeof value === 'string') return value;
  const [top, sub] = Object.entries(value)[0] ?? ['unknown', undefined];
  if (top === 'connected' && typeof sub === 'string') return sub;
  // streaming.idle / streaming.probing: a liveness probe is not a state change for operators.
  if (top === 'connected' && sub && typeof sub === 'object') return Object.keys(sub)[0] ?? top;
  return top;
}
