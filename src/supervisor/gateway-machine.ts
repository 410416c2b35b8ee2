/**
 * The gateway's root actor: it spawns one account machine per running account (spawn in assign,
 * systemId `account:<id>`), stops them on removal and on shutdown, and turns an account actor that
 * throws (its `xstate.error.actor.*` event) into a visible failure: the account is marked failed
 * in this actor's context and handed to the supervisor. Every crash of an account's machinery (an
 * actor that threw, or a crash the runtime reports: ACCOUNT.CRASHED) is counted here, and the
 * restart is this actor's delayed event (ACCOUNT.RESTART_DUE, backoff from crash-backoff.ts on
 * the actor system's clock), cancelled when the account is removed or the gateway stops. Nothing
 * an account does can error this actor.
 *
 * The account machines are built (machine.provide()) by their AccountRuntime, which is wiring;
 * the root asks for an account's logic and input by id (deps.accountLogic), so its events stay
 * plain data (they are inspected and logged).
 */
import { type AnyActorLogic, type AnyActorRef, assign, enqueueActions, setup } from 'xstate';
import { type CrashBackoffSettings, type CrashRecord, nextCrash } from './crash-backoff.js';

export interface AccountSpawnSpec {
  logic: AnyActorLogic;
  input: unknown;
}

export interface GatewayMachineDeps {
  /** The account's provided machine and its input, or undefined if the account is gone. */
  accountLogic: (accountId: string) => AccountSpawnSpec | undefined;
  /** An account's actor threw: the supervisor hands it to the runtime's crash path (ACCOUNT.CRASHED). */
  onAccountFailed: (accountId: string, error: unknown) => void;
  /** The restart backoff settings (read at each crash, so a reload applies). */
  crashBackoff: () => CrashBackoffSettings;
  /** A crash was counted: the supervisor logs it and stops the crashed runtime. */
  onRestartScheduled: (accountId: string, crash: CrashRecord, delayMs: number) => void;
  /** A scheduled restart is due: the supervisor builds a fresh runtime (which sends ACCOUNT.SPAWN). */
  onRestartDue: (accountId: string) => void;
}

export interface GatewayContext {
  /** The live account actors, by account id. */
  accounts: Record<string, AnyActorRef>;
  /** Accounts whose actor threw, with the error text, until a fresh actor is spawned. */
  failed: Record<string, string>;
  /** Internal-error restarts per account, for the backoff and the status's prior crash. */
  crashes: Record<string, CrashRecord>;
}

export type GatewayEvent =
  | { type: 'ACCOUNT.SPAWN'; accountId: string }
  | { type: 'ACCOUNT.REMOVE'; accountId: string }
  | { type: 'ACCOUNT.CRASHED'; accountId: string; at: number; error?: string }
  | { type: 'ACCOUNT.RESTART_DUE'; accountId: string }
  | { type: 'SHUTDOWN' };

const PREFIX = 'account:';
export const accountActorId = (accountId: string): string => `${PREFIX}${accountId}`;
/** The id of an account's pending restart (a delayed ACCOUNT.RESTART_DUE), for cancel(). */
export const restartTimerId = (accountId: string): string => `restart:${accountId}`;

/** `xstate.error.actor.account:a` → `a`; undefined for anything that is not an account actor. */
export function accountIdOfEvent(eventType: string): string | undefined {
  const at = eventType.indexOf(PREFIX);
  return eventType.startsWith('xstate.') && at >= 0 ? eventType.slice(at + PREFIX.length) : undefined;
}

/** An internal error as its class and message, for the failed mark. */
function internalErrorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  const { [key]: _gone, ...rest } = record;
  return rest;
}

export function createGatewayMachine(deps: GatewayMachineDeps) {
  return setup({
    types: {
      context: {} as GatewayContext,
      events: {} as GatewayEvent,
    },
    actions: {
      spawnAccount: assign(({ context, event, spawn }) => {
        const { accountId } = event as Extract<GatewayEvent, { type: 'ACCOUNT.SPAWN' }>;
        const spec = deps.accountLogic(accountId);
        if (!spec || context.accounts[accountId]) return {};
        const id = accountActorId(accountId);
        // Plain logic with an explicit id (honoured by xstate; its typings only allow ids for named actors).
        const spawnLogic = spawn as unknown as (logic: AnyActorLogic, options: { id: string; systemId: string; input: unknown }) => AnyActorRef;
        const ref = spawnLogic(spec.logic, { id, systemId: id, input: spec.input });
        return { accounts: { ...context.accounts, [accountId]: ref }, failed: without(context.failed, accountId) };
      }),
      removeAccount: enqueueActions(({ context, event, enqueue }) => {
        const { accountId } = event as Extract<GatewayEvent, { type: 'ACCOUNT.REMOVE' }>;
        const ref = context.accounts[accountId];
        if (ref) enqueue.stopChild(ref);
        enqueue.cancel(restartTimerId(accountId));
        enqueue.assign({
          accounts: without(context.accounts, accountId),
          failed: without(context.failed, accountId),
          crashes: without(context.crashes, accountId),
        });
      }),
      /** Count the crash, stop its actor if it still runs, and schedule the restart. */
      accountCrashed: enqueueActions(({ context, event, enqueue }) => {
        const { accountId, at, error } = event as Extract<GatewayEvent, { type: 'ACCOUNT.CRASHED' }>;
        const { record, delayMs } = nextCrash(context.crashes[accountId], at, deps.crashBackoff(), error);
        const ref = context.accounts[accountId];
        if (ref) enqueue.stopChild(ref);
        enqueue.assign({
          accounts: without(context.accounts, accountId),
          failed: { ...context.failed, [accountId]: error ?? context.failed[accountId] ?? 'internal error' },
          crashes: { ...context.crashes, [accountId]: record },
        });
        enqueue.cancel(restartTimerId(accountId));
        enqueue.raise({ type: 'ACCOUNT.RESTART_DUE', accountId }, { delay: delayMs, id: restartTimerId(accountId) });
        enqueue(() => deps.onRestartScheduled(accountId, record, delayMs));
      }),
      restartDue: enqueueActions(({ event, enqueue }) => {
        const { accountId } = event as Extract<GatewayEvent, { type: 'ACCOUNT.RESTART_DUE' }>;
        enqueue(() => deps.onRestartDue(accountId));
      }),
      /** An account actor threw: mark it failed (visible in this actor's context) and hand it on. */
      accountFailed: enqueueActions(({ context, event, enqueue }) => {
        const accountId = accountIdOfEvent(event.type);
        if (accountId === undefined) return;
        const error = (event as unknown as { error: unknown }).error;
        const ref = context.accounts[accountId];
        if (ref) enqueue.stopChild(ref);
        enqueue.assign({
          accounts: without(context.accounts, accountId),
          failed: { ...context.failed, [accountId]: internalErrorText(error) },
        });
        enqueue(() => deps.onAccountFailed(accountId, error));
      }),
      /** An account machine reached `stopped` (a graceful stop): forget it. */
      accountDone: enqueueActions(({ context, event, enqueue }) => {
        const accountId = accountIdOfEvent(event.type);
        const ref = accountId === undefined ? undefined : context.accounts[accountId];
        if (accountId === undefined || !ref) return;
        enqueue.stopChild(ref);
        enqueue.assign({ accounts: without(context.accounts, accountId) });
      }),
      stopAll: enqueueActions(({ context, enqueue }) => {
        for (const ref of Object.values(context.accounts)) enqueue.stopChild(ref);
        enqueue.assign({ accounts: {} });
      }),
    },
  }).createMachine({
    id: 'gateway',
    context: { accounts: {}, failed: {}, crashes: {} },
    initial: 'running',
    states: {
      running: {
        on: {
          'ACCOUNT.SPAWN': { actions: 'spawnAccount' },
          'ACCOUNT.REMOVE': { actions: 'removeAccount' },
          'ACCOUNT.CRASHED': { actions: 'accountCrashed' },
          'ACCOUNT.RESTART_DUE': { actions: 'restartDue' },
          'xstate.error.actor.*': { actions: 'accountFailed' },
          'xstate.done.actor.*': { actions: 'accountDone' },
          SHUTDOWN: 'stopped',
        },
      },
      stopped: { type: 'final', entry: 'stopAll' },
    },
  });
}

export type GatewayMachine = ReturnType<typeof createGatewayMachine>;
