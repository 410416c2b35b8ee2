/**
 * The running gateway as the control API and the dashboard see it (ControlBackend). Every method
 * is a thin, validated front for the supervisor, the store or the pairing service.
 */
import { parseTarget, TargetError } from '../routing/targets.js';
import { DEFAULT_STAGING_DIR, stageOutboundFile } from '../workers/index.js';
import type { GatewayStore } from '../store/index.js';
import { parseDuration } from '../config/index.js';
import { errorText } from '../util/typed-error.js';
import type { LogRing } from '../util/log-ring.js';
import { systemClock, type Clock } from '../util/clock.js';
import type {
  ApprovedAnswer,
  ControlBackend,
  FlowAnswer,
  LogAnswer,
  DeliveryDiscardRequest,
  DeliveryRetryRequest,
  GatewayEvent,
  MachineGraph,
  PairingApproveRequest,
  PairingDenyRequest,
  PairingRevokeRequest,
  ReloadAnswer,
  SendAnswer,
  SendRequest,
} from './control-backend.js';
import { ControlRequestError } from './control-backend.js';
import { DeliveryError, discardDelivery, discardOlder, listDelivery, retryDelivery } from './delivery-service.js';
import { enqueueOperatorSend, pickAccount } from './enqueue-send.js';
import { listChats } from './list-chats.js';
import { LiveFeed } from './live-feed.js';
import { quarantineView } from './quarantine-view.js';
import { decisionView } from './decision-view.js';
import type { AccountStatus, GatewayStatus } from './status.js';
import type { Supervisor } from './supervisor.js';

export interface PairingFacade {
  list(account?: string): unknown;
  approve(request: PairingApproveRequest): unknown;
  deny(request: PairingDenyRequest): unknown;
  revoke(request: PairingRevokeRequest): unknown;
  approved(account?: string): ApprovedAnswer['approved'];
}

export interface GatewayControlOptions {
  supervisor: Supervisor;
  store: GatewayStore;
  /** The full status document (the supervisor's plus what the start command adds). */
  status: () => GatewayStatus;
  reload: () => Promise<ReloadAnswer>;
  pairing: PairingFacade;
  machine: () => MachineGraph;
  /** The clock's now (ms): ages of dead letters to purge. */
  now: () => number;
  /** The recent log records (the logger's ring); none when the gateway keeps none. */
  logRing?: LogRing;
  /** Paces the live feed of flow and log to open pages (default: the system clock). */
  clock?: Clock;
}

export class GatewayControl implements ControlBackend {
  private readonly feed: LiveFeed;

  constructor(private readonly o: GatewayControlOptions) {
    this.feed = new LiveFeed({
      store: o.store,
      showText: () => o.supervisor.currentConfig.gateway.dashboard.showMessageText,
      ...(o.logRing ? { logRing: o.logRing } : {}),
      clock: o.clock ?? systemClock,
    });
  }

  status(): GatewayStatus {
    return this.o.status();
  }

  account(id: string): AccountStatus | undefined {
    return this.o.status().accounts.find((a) => a.id === id.toLowerCase());
  }

  async send(request: SendRequest): Promise<SendAnswer> {
    if (typeof request.to !== 'string' || request.to.trim() === '') throw new ControlRequestError(400, '"to" is required');
    const hasText = typeof request.text === 'string' && request.text.trim() !== '';
    if (!hasText && !request.file) throw new ControlRequestError(400, '"text" or "file" is required');
    const enabled = this.o.supervisor.currentConfig.accounts.filter((a) => a.enabled).map((a) => a.id);
    const merged = this.o.supervisor.merged;
    let accountId: string;
    try {
      accountId = pickAccount(request.account, enabled, merged);
    } catch (err) {
      const code = request.account && merged.has(request.account.toLowerCase()) ? 409 : request.account ? 404 : 400;
      throw new ControlRequestError(code, (err as Error).message);
    }
    const account = this.o.supervisor.currentConfig.accounts.find((a) => a.id === accountId);
    try {
      parseTarget(request.to); // a bad target is refused before a file is staged
      let stagedFile: string | undefined;
      if (request.file) {
        const staged = await stageOutboundFile({
          file: request.file,
          maxBytes: Math.floor((account?.mediaMaxMb ?? 16) * 1024 * 1024),
          stagingDir: account?.outboundStagingDir ?? DEFAULT_STAGING_DIR,
          ...(account?.remoteHost ? { remoteHost: account.remoteHost } : {}),
        });
        if (!staged.ok) throw new ControlRequestError(400, staged.problem);
        stagedFile = staged.stagedPath;
      }
      const { id, duplicate } = enqueueOperatorSend(this.o.store, {
        accountId,
        to: request.to,
        text: request.text ?? '',
        textChunkLimit: account?.textChunkLimit ?? 4000,
        ...(stagedFile ? { stagedFile } : {}),
        ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
      });
      this.o.supervisor.account(accountId)?.kickOutbox();
      return { id, account: accountId, duplicate };
    } catch (err) {
      if (err instanceof TargetError) throw new ControlRequestError(400, errorText(err));
      throw err;
    }
  }

  async chats(request: { account?: string; limit: number }): Promise<{ account: string; chats: unknown[] }> {
    const config = this.o.supervisor.currentConfig;
    let accountId: string;
    try {
      accountId = pickAccount(request.account, config.accounts.filter((a) => a.enabled).map((a) => a.id));
    } catch (err) {
      throw new ControlRequestError(request.account ? 404 : 400, (err as Error).message);
    }
    const account = config.accounts.find((a) => a.id === accountId)!;
    try {
      return { account: accountId, chats: await listChats(account, config.gateway.supervision, request.limit) };
    } catch (err) {
      throw new ChatsFailedError(`account ${accountId}: ${errorText(err)}`);
    }
  }

  pairingList(account?: string): unknown {
    return this.o.pairing.list(account);
  }

  pairingApprove(request: PairingApproveRequest): unknown {
    if (typeof request.code !== 'string' || request.code.trim() === '') throw new ControlRequestError(400, '"code" is required');
    return this.o.pairing.approve(request);
  }

  pairingDeny(request: PairingDenyRequest): unknown {
    return this.o.pairing.deny(request);
  }

  pairingRevoke(request: PairingRevokeRequest): unknown {
    return this.o.pairing.revoke(request);
  }

  pairingApproved(account?: string): ApprovedAnswer {
    return { approved: this.o.pairing.approved(account?.trim().toLowerCase() || undefined) };
  }

  flow(request: { account?: string; limit: number }): FlowAnswer {
    const showText = this.o.supervisor.currentConfig.gateway.dashboard.showMessageText;
    const accountId = request.account?.toLowerCase();
    const flow = this.o.store.recentFlow({ limit: request.limit, ...(accountId ? { accountId } : {}), withText: showText });
    return { flow, showText };
  }

  recentLog(limit: number): LogAnswer {
    return { records: this.o.logRing?.recent(limit) ?? [] };
  }

  retry(accountId: string): void {
    const runtime = this.o.supervisor.account(accountId);
    if (!runtime) throw new ControlRequestError(404, `no running account "${accountId}"`);
    if (!runtime.retry()) {
      const state = this.account(accountId)?.state ?? 'not waiting';
      throw new ControlRequestError(
        409,
        `account "${accountId}" is ${state}; nothing to retry (retry applies to awaiting-permissions, misconfigured, backoff-restart and cooling-down)`,
      );
    }
  }

  reload(): Promise<{ ok: boolean; restarted: string[]; error?: string }> {
    return this.o.reload();
  }

  messageDecision(request: { guid: string; account?: string }): unknown {
    const rows = this.o.store.inboundDecisions(request.guid, request.account?.toLowerCase());
    if (rows.length === 0) {
      throw new ControlRequestError(
        404,
        `no journal row for message ${request.guid}${request.account ? ` on account ${request.account}` : ''} (unknown guid, or pruned after the retention period)`,
      );
    }
    return { decisions: rows.map(decisionView) };
  }

  quarantineList(request: { account?: string; limit?: number; payload?: boolean }): unknown {
    const rows = this.o.store.listQuarantine(request.account?.toLowerCase(), request.limit ?? 50);
    return { quarantine: rows.map((r) => quarantineView(r, request.payload === true)) };
  }

  deliveryList(request: { account?: string; limit?: number }): unknown {
    return { deadLetters: listDelivery(this.o.store, request, this.accountIds()) };
  }

  deliveryRetry(request: DeliveryRetryRequest): unknown {
    const done = delivery(() => retryDelivery(this.o.store, request.id, request.force === true, this.accountIds()));
    const runtime = this.o.supervisor.account(done.account);
    if (done.kind === 'send') runtime?.kickOutbox();
    // A collected turn's messages are handed over together: they are collected into one turn again.
    const started = done.kind === 'turn' ? done.guids.map((guid) => runtime?.retryTurn(guid) ?? false).some(Boolean) : runtime !== undefined;
    return { ...done, started };
  }

  deliveryDiscard(request: DeliveryDiscardRequest): unknown {
    if ('id' in request) {
      const done = delivery(() => discardDelivery(this.o.store, request.id, request.force === true));
      // A discarded unknown row may have held its chat (an ambiguous file): the rows behind it go now.
      for (const id of this.accountIds()) this.o.supervisor.account(id)?.kickOutbox();
      return done;
    }
    const ms = parseDuration(request.olderThan);
    if (ms === undefined) throw new ControlRequestError(400, '"olderThan" must be a duration such as "7d", "12h" or "30m"');
    return discardOlder(this.o.store, ms, this.o.now(), request.account);
  }

  private accountIds(): string[] {
    return this.o.supervisor.currentConfig.accounts.map((a) => a.id);
  }

  accountMachine(): MachineGraph {
    return this.o.machine();
  }

  /** What the API's writes committed, on disk (the store fsyncs off the event loop). */
  durable(): Promise<void> {
    return this.o.store.durable();
  }

  /** The supervisor's status and transitions, and while anyone listens the live flow and log (live-feed.ts). */
  subscribe(listener: (event: GatewayEvent) => void): () => void {
    const transitions = this.o.supervisor.subscribe(listener);
    const feed = this.feed.subscribe(listener);
    return () => {
      transitions();
      feed();
    };
  }
}

/** A DeliveryError becomes the API's 400/404/409 with the same message. */
function delivery<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DeliveryError) throw new ControlRequestError(err.status, errorText(err));
    throw err;
  }
}

/** imsg could not list the chats (the account's cliPath, permissions, a timeout): 502 with the reason. */
export class ChatsFailedError extends Error {
  readonly statusCode = 502;
  constructor(message: string) {
    super(message);
    this.name = 'ChatsFailedError';
  }
}
