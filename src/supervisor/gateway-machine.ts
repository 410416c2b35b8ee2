/**
 * The gateway's root actor: it spawns one account machine per running account (spawn in assign,
 * systemId `account:<id>`), stops them on removal and on shutdown, and turns an account actor that
 * throws (its `xstate.error.actor.*` event) into a visible failure: the account is marked failed
 * in this actor's context and handed to the supervisor, which restarts it with backoff. Nothing an
 * account does can error this actor.
 *
 * The account machines are built (machine.provide()) by their AccountRuntime, which is wiring;
 * the root asks for an account's logic and input by id (deps.accountLogic), so its events stay
 * plain data (they are inspected and logged).
 */
import { type AnyActorLogic, type AnyActorRef, assign, enqueueActions, setup } from 'xstate';

export interface AccountSpawnSpec {
  logic: AnyActorLogic;
  input: unknown;
}

export interface GatewayMachineDeps {
  /** The account's provided machine and its input, or undefined if the account is gone. */
  accountLogic: (accountId: string) => AccountSpawnSpec | undefined;
  /** An account's actor threw: the supervisor logs it and restarts the account with backoff. */
  onAccountFailed: (accountId: string, error: unknown) => void;
}

export interface GatewayContext {
  /** The live account actors, by account id. */
  accounts: Record<string, AnyActorRef>;
  /** Accounts whose actor threw, with the error text, until a fresh actor is spawned. */
  failed: Record<string, string>;
}

export type GatewayEvent =
  | { type: 'ACCOUNT.SPAWN'; accountId: string }
  | { type: 'ACCOUNT.REMOVE'; accountId: string }
  | { type: 'SHUTDOWN' };

const PREFIX = 'account:';
export const accountActorId = (accountId: string): string => `${PREFIX}${accountId}`;

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
        enqueue.assign({ accounts: without(context.accounts, accountId), failed: without(context.failed, accountId) });
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
    context: { accounts: {}, failed: {} },
    initial: 'running',
    states: {
      running: {
        on: {
          'ACCOUNT.SPAWN': { actions: 'spawnAccount' },
          'ACCOUNT.REMOVE': { actions: 'removeAccount' },
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
