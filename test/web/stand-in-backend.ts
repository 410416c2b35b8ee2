/**
 * A stand-in ControlBackend: a small in-memory implementation of the interface the web layer talks
 * to (not a mock of the web layer's logic). Tests push transitions through it and read what the
 * server asked of it.
 */
import {
  ControlRequestError,
  type ControlBackend,
  type GatewayEvent,
  type PairingApproveRequest,
  type PairingDenyRequest,
  type PairingRevokeRequest,
  type SendRequest,
} from '../../src/supervisor/control-backend.js';
import type { AccountStatus, GatewayStatus } from '../../src/supervisor/status.js';
import type { FlowEntry } from '../../src/store/flow-queries.js';
import type { LogRecord } from '../../src/util/log-ring.js';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { createAccountMachine } from '../../src/machines/account-machine.js';
import { systemClock } from '../../src/util/clock.js';
import { machineGraph } from '../../src/web/machine-graph.js';

export function accountStatus(id: string, overrides: Partial<AccountStatus> = {}): AccountStatus {
  const at = '2026-01-01T10:00:00.000Z';
  return {
    id,
    name: null,
    enabled: true,
    state: 'streaming',
    since: at,
    lastError: null,
    lastErrorClass: null,
    remediation: null,
    lastErrorAt: null,
    restarts: 0,
    attempt: 0,
    nextRetryAt: null,
    reason: 'probe answered; watch subscribed',
    childPid: 4242,
    cursor: 17,
    agentId: 'echo',
    counters: { ...newCounters(), received: 5, accepted: 4, dispatched: 4, sent: 3, dropped: { 'from-me': 1 } },
    journalLag: 0,
    outbox: { depth: 1, oldestQueuedAt: null, failed: 0, unknown: 0 },
    health: 'ok',
    degradedReasons: [],
    pausedChats: [],
    transitions: [{ at, from: 'spawning', to: 'streaming', reason: 'probe answered; watch subscribed' }],
    ...overrides,
  };
}

export interface PairingRequestRecord {
  code: string;
  account: string;
  sender: string;
  createdAt: string;
}

export class StandInBackend implements ControlBackend {
  readonly listeners = new Set<(event: GatewayEvent) => void>();
  /** Set by a test to hold write answers (ControlBackend.durable). */
  durable?: () => Promise<void>;
  readonly sends: SendRequest[] = [];
  readonly approvals: PairingApproveRequest[] = [];
  readonly denials: PairingDenyRequest[] = [];
  readonly retries: string[] = [];
  reloads = 0;
  reloadResult: { ok: boolean; restarted: string[]; error?: string } = { ok: true, restarted: [] };
  pairing: PairingRequestRecord[] = [];
  quarantine: Array<{ account: string; reason: string; payload: string }> = [];
  private nextId = 1;
  readonly gateway: GatewayStatus;

  constructor(accounts: AccountStatus[] = [accountStatus('main')]) {
    this.gateway = {
      running: true,
      pid: 1234,
      startedAt: '2026-01-01T09:59:00.000Z',
      updatedAt: '2026-01-01T10:00:00.000Z',
      configPath: '/home/bot/.imessage-gateway/config.json5',
      accounts,
    };
  }

  status(): GatewayStatus {
    return structuredClone(this.gateway);
  }
  account(id: string): AccountStatus | undefined {
    const found = this.gateway.accounts.find((a) => a.id === id);
    return found ? structuredClone(found) : undefined;
  }
  send(request: SendRequest): { id: number; account: string; duplicate: boolean } {
    const account = request.account ?? this.gateway.accounts[0]?.id;
    if (!account || !this.account(account)) throw new ControlRequestError(404, `unknown account "${request.account}"`);
    if (request.to === 'nobody') throw new ControlRequestError(400, 'no such recipient: nobody');
    const duplicate = request.idempotencyKey !== undefined && this.sends.some((s) => s.idempotencyKey === request.idempotencyKey);
    this.sends.push(request);
    return { id: duplicate ? 1 : this.nextId++, account, duplicate };
  }
  pairingList(account?: string): unknown {
    return { requests: this.pairing.filter((p) => account === undefined || p.account === account) };
  }
  pairingApprove(request: PairingApproveRequest): unknown {
    const index = this.pairing.findIndex((p) => p.code === request.code && (request.account === undefined || p.account === request.account));
    if (index < 0) throw new ControlRequestError(404, `no pending pairing request with code ${request.code}`);
    this.approvals.push(request);
    const [approved] = this.pairing.splice(index, 1);
    if (approved) this.approved.push({ accountId: approved.account, handle: approved.sender, sender: approved.sender, approvedAt: Date.now(), code: approved.code });
    return { approved: approved?.sender };
  }
  pairingDeny(request: PairingDenyRequest): unknown {
    const index = this.pairing.findIndex((p) => (p.code === request.target || p.sender === request.target) && (request.account === undefined || p.account === request.account));
    if (index < 0) throw new ControlRequestError(404, `no pending pairing request ${request.target}`);
    this.denials.push(request);
    const [denied] = this.pairing.splice(index, 1);
    return { accountId: denied?.account, handle: denied?.sender };
  }
  /** Approved senders: approve moves a request here, revoke removes it. */
  approved: Array<{ accountId: string; handle: string; sender: string; approvedAt: number; code: string | null }> = [];
  flowEntries: FlowEntry[] = [];
  logRecords: LogRecord[] = [];
  pairingRevoke(request: PairingRevokeRequest): unknown {
    const index = this.approved.findIndex((a) => a.sender === request.handle && (request.account === undefined || a.accountId === request.account));
    if (index < 0) throw new ControlRequestError(404, `${request.handle} is not an approved sender; nothing was revoked`);
    const [revoked] = this.approved.splice(index, 1);
    return { accountId: revoked?.accountId, handle: revoked?.sender };
  }
  pairingApproved(account?: string) {
    return { approved: this.approved.filter((a) => account === undefined || a.accountId === account) };
  }
  flow(request: { account?: string; limit: number }) {
    return { flow: this.flowEntries.filter((e) => request.account === undefined || e.accountId === request.account).slice(0, request.limit), showText: false };
  }
  recentLog(limit: number) {
    return { records: this.logRecords.slice(-limit) };
  }
  retry(accountId: string): void {
    const account = this.gateway.accounts.find((a) => a.id === accountId);
    if (account?.state === 'streaming') throw new ControlRequestError(409, `account "${accountId}" is streaming; nothing to retry`);
    this.retries.push(accountId);
  }
  async reload(): Promise<{ ok: boolean; restarted: string[]; error?: string }> {
    this.reloads++;
    return this.reloadResult;
  }
  /** Journal rows by guid, as the test sets them. */
  readonly decisions: Array<{ account: string; guid: string; state: string; reason: string | null; trace: string[] | null }> = [];
  messageDecision(request: { guid: string; account?: string }): unknown {
    const rows = this.decisions.filter((d) => d.guid === request.guid && (request.account === undefined || d.account === request.account));
    if (rows.length === 0) throw new ControlRequestError(404, `no journal row for message ${request.guid}`);
    return { decisions: rows };
  }
  quarantineList(request: { account?: string; limit?: number; payload?: boolean }): unknown {
    const rows = this.quarantine.filter((q) => request.account === undefined || q.account === request.account).slice(0, request.limit);
    return { quarantine: rows.map((q) => (request.payload ? q : { account: q.account, reason: q.reason })) };
  }
  /** Delivery requests as the backend received them (after the server validated them). */
  readonly delivery: unknown[] = [];
  deliveryList(request: { account?: string; limit?: number }): unknown {
    this.delivery.push({ list: request });
    return { deadLetters: [] };
  }
  deliveryRetry(request: { id: string; force?: boolean }): unknown {
    if (request.id === 'send-404') throw new ControlRequestError(404, `no dead letter ${request.id}`);
    this.delivery.push({ retry: request });
    return { id: request.id, kind: 'send', account: 'main', outboxId: 1, started: true };
  }
  deliveryDiscard(request: { id: string; force?: boolean } | { olderThan: string; account?: string }): unknown {
    this.delivery.push({ discard: request });
    return 'id' in request ? { id: request.id } : { sends: 0, turns: 0, unknownLeft: 0 };
  }
  accountMachine() {
    return machineGraph(createAccountMachine({ clock: systemClock }));
  }
  subscribe(listener: (event: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Moves an account like the supervisor would: updates the status and emits the transition. */
  transition(accountId: string, to: string, reason: string, extra: Partial<AccountStatus> = {}): void {
    const account = this.gateway.accounts.find((a) => a.id === accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    const at = new Date().toISOString();
    const from = account.state;
    Object.assign(account, { state: to, since: at, reason, ...extra });
    account.transitions = [...account.transitions, { at, from, to, reason }].slice(-20);
    this.emit({ type: 'transition', accountId, from, to, reason, at });
  }

  emit(event: GatewayEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
