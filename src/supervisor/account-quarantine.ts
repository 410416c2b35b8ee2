/**
 * Sets one account's bad inbound messages aside: into the store's `quarantine` table with the
 * reason and the payload as received, counted, and logged with safe metadata only (row id, guid,
 * chat id, stage, reason: never the text or the payload). If the store refuses even that, the
 * message is logged as lost to the quarantine (its metadata only) and still counted: quarantining
 * never throws into the inbound path.
 */
import type { Logger } from 'pino';
import type { GatewayStore, QuarantineStage } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { AccountCounters } from './account-counters.js';

export interface QuarantineRequest {
  stage: QuarantineStage;
  /** Our own description: field paths and issue codes, an error class, the rule. Never message text. */
  reason: string;
  /** More about it (an exception's message): stored with the reason, never logged. */
  detail?: string;
  rowid?: number;
  guid?: string;
  chatId?: number;
  /** The payload as received (stored as JSON, never logged). */
  payload: unknown;
}

export interface LastQuarantine {
  at: number;
  stage: QuarantineStage;
  reason: string;
  rowid: number | null;
}

export class AccountQuarantine {
  private lastEntry: LastQuarantine | undefined;

  constructor(
    private readonly o: {
      accountId: string;
      store: GatewayStore;
      clock: Clock;
      logger: Logger;
      counters: Pick<AccountCounters, 'quarantined'>;
    },
  ) {}

  /** The most recent quarantine of this run (health: the account is degraded for a while after it). */
  get last(): LastQuarantine | undefined {
    return this.lastEntry;
  }

  put(request: QuarantineRequest): void {
    const { accountId, store, clock, logger, counters } = this.o;
    counters.quarantined++;
    const rowid = request.rowid !== undefined && Number.isSafeInteger(request.rowid) ? request.rowid : undefined;
    const chatId = request.chatId !== undefined && Number.isSafeInteger(request.chatId) ? request.chatId : undefined;
    this.lastEntry = { at: clock.now(), stage: request.stage, reason: request.reason, rowid: rowid ?? null };
    const meta = { stage: request.stage, reason: request.reason, rowid, guid: request.guid, chatId, total: counters.quarantined };
    const payload = payloadJson(request.payload);
    let id: number;
    try {
      id = store.quarantine({
        accountId,
        stage: request.stage,
        reason: request.detail ? `${request.reason}: ${request.detail}` : request.reason,
        ...(rowid !== undefined ? { rowid } : {}),
        ...(request.guid !== undefined ? { guid: request.guid } : {}),
        ...(chatId !== undefined ? { chatId } : {}),
        ...(payload !== undefined ? { payload } : {}),
      });
    } catch (err) {
      logger.error(
        { ...meta, storeError: err instanceof Error ? err.name : 'unknown' },
        'message set aside but the quarantine could not be written (state database); it is not handled',
      );
      return;
    }
    logger.warn({ ...meta, quarantineId: id }, 'message quarantined, the account goes on (`imessage-gateway quarantine list`)');
  }
}

function payloadJson(payload: unknown): string | undefined {
  if (payload === undefined) return undefined;
  try {
    return JSON.stringify(payload);
  } catch {
    return undefined;
  }
}
