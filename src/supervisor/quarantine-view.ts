/**
 * Quarantined messages as the CLI and the control API show them: safe metadata, and the payload
 * as received only when asked for (it may hold message text).
 */
import type { QuarantineRow } from '../store/index.js';

export interface QuarantineView {
  id: number;
  account: string;
  at: string;
  stage: QuarantineRow['stage'];
  reason: string;
  rowid: number | null;
  guid: string | null;
  chatId: number | null;
  payloadBytes: number;
  payload?: string | null;
}

export function quarantineView(row: QuarantineRow, withPayload: boolean): QuarantineView {
  return {
    id: row.id,
    account: row.accountId,
    at: new Date(row.quarantinedAt).toISOString(),
    stage: row.stage,
    reason: row.reason,
    rowid: row.rowid,
    guid: row.guid,
    chatId: row.chatId,
    payloadBytes: row.payloadBytes,
    ...(withPayload ? { payload: row.payload } : {}),
  };
}
