import { isoFromAppleNs, isoFromMs } from './apple-time.js';
import type { Generation } from './db-resource.js';
import { invalidParams } from './rpc-errors.js';
import { hasStatusColumns } from './schema.js';
import type { V1Params } from './v1-params.js';

interface StatusRow {
  guid: string;
  service: string | null;
  is_from_me: number;
  is_sent: number;
  is_delivered: number;
  is_finished: number;
  error: number;
  date_delivered: string | null;
  date_read: string | null;
  is_delayed: number;
  is_prepared: number;
  is_pending_satellite_send: number;
  was_downgraded: number;
}

const WITH_STATUS = `SELECT guid, service, is_from_me, is_sent, is_delivered, is_finished, error,
  CAST(date_delivered AS TEXT) AS date_delivered, CAST(date_read AS TEXT) AS date_read,
  is_delayed, is_prepared, is_pending_satellite_send, was_downgraded FROM message WHERE guid = ? LIMIT 1`;
/** A file made before the status columns: an outgoing row counts as sent, nothing more is known. */
const WITHOUT_STATUS = `SELECT guid, service, is_from_me, is_from_me AS is_sent, 0 AS is_delivered, is_from_me AS is_finished,
  0 AS error, NULL AS date_delivered, NULL AS date_read, 0 AS is_delayed, 0 AS is_prepared,
  0 AS is_pending_satellite_send, 0 AS was_downgraded FROM message WHERE guid = ? LIMIT 1`;

/** A chat.db date column: 0 or NULL is "no date"; otherwise ISO-8601 with milliseconds. */
const dateOrNull = (ns: string | null): string | null => (ns === null || ns === '0' ? null : isoFromAppleNs(ns));

/** The section 8.5 derivation, first match wins. */
export function sendState(r: { error: number; is_delivered: number; date_delivered: string | null; is_sent: number }): string {
  if (r.error !== 0) return 'failed';
  if (r.is_delivered !== 0 || dateOrNull(r.date_delivered) !== null) return 'delivered';
  if (r.is_sent !== 0) return 'sent';
  return 'pending';
}

/**
 * `message.send_status` (current spec sections 3.3 and 8.5): the one payload with explicit nulls.
 * Lookup is by exact GUID; a missing row is `pending` with `service` and `status_fields` null.
 */
export function handleSendStatus(p: V1Params, gen: () => Generation, now: () => number = Date.now): unknown {
  const raw = p.str('guid');
  const guid = raw?.trim() ?? '';
  if (guid === '') throw invalidParams('guid is required');
  const g = gen();
  const sql = hasStatusColumns(g.store.db) ? WITH_STATUS : WITHOUT_STATUS;
  const row = g.store.db.prepare(sql).get(guid) as StatusRow | undefined;
  const checkedAt = isoFromMs(now());
  if (!row) return { ok: true, guid, send_state: 'pending', service: null, checked_at: checkedAt, status_fields: null };
  const delivered = dateOrNull(row.date_delivered);
  return {
    ok: true,
    guid: row.guid,
    send_state: sendState(row),
    service: row.service ? row.service : null,
    checked_at: checkedAt,
    ...(delivered !== null ? { delivered_at: delivered } : {}),
    status_fields: {
      is_sent: row.is_sent !== 0,
      is_delivered: row.is_delivered !== 0,
      is_finished: row.is_finished !== 0,
      error: row.error,
      date_delivered: delivered,
      date_read: dateOrNull(row.date_read),
      is_delayed: row.is_delayed !== 0,
      is_prepared: row.is_prepared !== 0,
      is_pending_satellite_send: row.is_pending_satellite_send !== 0,
      was_downgraded: row.was_downgraded !== 0,
    },
  };
}
