/**
 * What the control API and the live dashboard (src/web) may ask of the running gateway. The
 * supervisor implements it; the web layer only talks to this interface, so it can be tested with a
 * stand-in and never reaches into the supervisor's internals.
 */
import type { FlowEntry } from '../store/flow-queries.js';
import type { LogRecord } from '../util/log-ring.js';
import type { AccountStatus, GatewayStatus } from './status.js';

export interface SendRequest {
  account?: string;
  to: string;
  /** The text; optional when a file is sent. */
  text?: string;
  /** An absolute path on the gateway's host: staged by the gateway and sent after the text. */
  file?: string;
  idempotencyKey?: string;
}

/** The answer of a reload (the control API's `POST /api/reload`, `imessage-gateway reload`). */
export interface ReloadAnswer {
  ok: boolean;
  restarted: string[];
  started?: string[];
  stopped?: string[];
  /** `gateway.*` settings that changed but apply only at the next start. */
  needsRestart?: string[];
  error?: string;
}

export interface PairingApproveRequest {
  code: string;
  account?: string;
  notify?: boolean;
}

/** Dead letters (delivery-service.ts): one by id, or every failed one older than a duration. */
/** `pairing deny`: a pending request by its code, or a sender by handle. */
export interface PairingDenyRequest {
  target: string;
  account?: string;
}

/** `pairing revoke`: an approved sender by handle. */
export interface PairingRevokeRequest {
  handle: string;
  account?: string;
}

export interface DeliveryRetryRequest {
  id: string;
  force?: boolean;
}

export type DeliveryDiscardRequest = { id: string; force?: boolean } | { olderThan: string; account?: string };

/**
 * The event stream's events (GET /api/events, each framed as `event: <type>`): the status when a
 * stream opens, account transitions, and while a page listens the live feed (live-feed.ts): new or
 * changed flow entries (text only when showText) and new log records.
 */
export type GatewayEvent =
  | { type: 'transition'; accountId: string; from: string; to: string; reason: string; at: string }
  | { type: 'status'; status: GatewayStatus }
  | { type: 'flow'; entries: FlowEntry[]; showText: boolean }
  | { type: 'log'; records: LogRecord[] };

/** A state machine drawn on the dashboard: its states (nested ones as "parent.child") and edges. */
export interface MachineGraph {
  id: string;
  states: Array<{ id: string; label: string; parent?: string; final?: boolean }>;
  edges: Array<{ from: string; to: string; label: string }>;
  initial: string;
}

/** `GET /api/flow`: the live message flow, newest first; `text` on entries only when showText. */
export interface FlowAnswer {
  flow: FlowEntry[];
  /** gateway.dashboard.showMessageText: entries carry their message text. */
  showText: boolean;
}

/** `GET /api/log`: the recent log records (info and above, no message text), oldest first. */
export interface LogAnswer {
  records: LogRecord[];
}

/** `GET /api/pairing/approved`: the approved senders (who can be revoked). */
export interface ApprovedAnswer {
  approved: Array<{ accountId: string; handle: string; sender: string; approvedAt: number; code: string | null }>;
}

/** Thrown by backend methods for a request the caller got wrong (HTTP 400/404), with a clear message. */
export class ControlRequestError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export interface SendAnswer {
  id: number;
  account: string;
  duplicate: boolean;
}

export interface ControlBackend {
  status(): GatewayStatus;
  account(id: string): AccountStatus | undefined;
  /** Queues a message (and a file, staged first) in the outbox; returns the first row's id. */
  send(request: SendRequest): Promise<SendAnswer> | SendAnswer;
  pairingList(account?: string): unknown;
  pairingApprove(request: PairingApproveRequest): unknown;
  /** Denies a pending request (ControlRequestError 404 unknown, 409 already denied/approved or expired). */
  pairingDeny(request: PairingDenyRequest): unknown;
  /** Revokes an approved sender (ControlRequestError 404 when never approved). */
  pairingRevoke(request: PairingRevokeRequest): unknown;
  /** The approved senders, of one account or all. */
  pairingApproved(account?: string): ApprovedAnswer;
  /** The live message flow, newest first (store: recentFlow). */
  flow(request: { account?: string; limit: number }): FlowAnswer;
  /** The recent log records kept in memory. */
  recentLog(limit: number): LogAnswer;
  /** Operator retry of one account (awaiting-permissions, misconfigured, backoff, cool-down). */
  retry(accountId: string): void;
  /** Re-reads the config; an invalid one is rejected and the running one kept. */
  reload(): Promise<ReloadAnswer>;
  /** Quarantined inbound messages, newest first (quarantine-view.ts); the payload only when asked for. */
  quarantineList(request: { account?: string; limit?: number; payload?: boolean }): unknown;
  /** Dead letters, newest first: failed and unknown sends, failed agent turns (`{ deadLetters }`). */
  deliveryList(request: { account?: string; limit?: number }): unknown;
  /** Sends a dead letter again / runs its agent turn again (an unknown send only with force). */
  deliveryRetry(request: DeliveryRetryRequest): unknown;
  /** Removes dead letters; never a row in flight. */
  deliveryDiscard(request: DeliveryDiscardRequest): unknown;
  /**
   * Why a message was dispatched or dropped: its journal rows (decision-view.ts), of one account or
   * of every account that journalled the guid (`{ decisions }`; ControlRequestError 404 when none).
   */
  messageDecision(request: { guid: string; account?: string }): unknown;
  /** The account lifecycle machine, for drawing. */
  accountMachine(): MachineGraph;
  /**
   * `GET /api/chats`: an account's chats through its own imsg, with the running config (the one
   * named, or the only enabled one; ControlRequestError 400/404 otherwise).
   */
  chats?(request: { account?: string; limit: number }): Promise<{ account: string; chats: unknown[] }>;
  subscribe(listener: (event: GatewayEvent) => void): () => void;
  /**
   * Resolves once what the API's writes committed is on disk; a write is answered only after it
   * (the gateway's store fsyncs off the event loop: GatewayStore.durable). Absent: always durable.
   */
  durable?(): Promise<void>;
}
