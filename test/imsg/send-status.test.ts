/**
 * Reading a `message.send_status` answer (issue 13, item 2; imsg-rpc-current.md §8.5): only a
 * well-formed answer about the attempt id with a sent/delivered/failed state means "it went out";
 * unknown fields or states are never taken for a delivery.
 */
import { describe, expect, it } from 'vitest';
import { interpretSendStatus } from '../../src/imsg/send-status.js';

const ID = '8cc0c53a-7844-45ef-8b90-11f8a3e2cb66';
const FIELDS = {
  is_sent: true,
  is_delivered: true,
  is_finished: true,
  error: 0,
  date_delivered: '2026-05-28T20:42:58.000Z',
  date_read: null,
  is_delayed: false,
  is_prepared: false,
  is_pending_satellite_send: false,
  was_downgraded: false,
};
const delivered = {
  ok: true,
  guid: ID,
  send_state: 'delivered',
  service: 'iMessage',
  checked_at: '2026-05-28T20:43:00.123Z',
  delivered_at: '2026-05-28T20:42:58.000Z',
  status_fields: FIELDS,
};
const missing = { ok: true, guid: ID, send_state: 'pending', service: null, checked_at: '2026-05-28T20:43:00.123Z', status_fields: null };

describe('interpretSendStatus', () => {
  it.each([
    ['delivered', delivered, { kind: 'exists', state: 'delivered' }],
    ['sent (no delivered_at)', { ...delivered, send_state: 'sent', delivered_at: undefined, status_fields: { ...FIELDS, is_delivered: false, date_delivered: null } }, { kind: 'exists', state: 'sent' }],
    ['failed: Messages recorded an error, but the row exists', { ...delivered, send_state: 'failed', status_fields: { ...FIELDS, error: 22 } }, { kind: 'exists', state: 'failed' }],
    ['a missing row: pending with explicit nulls', missing, { kind: 'pending' }],
    ['a row not sent yet', { ...missing, service: 'iMessage', status_fields: { ...FIELDS, is_sent: false, is_delivered: false, date_delivered: null } }, { kind: 'pending' }],
    ['the guid in another case', { ...delivered, guid: ID.toUpperCase() }, { kind: 'exists', state: 'delivered' }],
  ])('%s', (_name, answer, expected) => {
    const clean = JSON.parse(JSON.stringify(answer)) as unknown; // drops the undefined keys, as the wire would
    expect(interpretSendStatus(clean, ID)).toEqual(expected);
  });

  it.each([
    ['an unknown state', { ...delivered, send_state: 'read' }, 'send_state'],
    ['an unknown top-level field', { ...delivered, receipt: 'maybe' }, 'the answer'],
    ['an unknown status field', { ...delivered, status_fields: { ...FIELDS, is_spam: false } }, 'status_fields'],
    ['a missing field', { ...delivered, checked_at: undefined }, 'checked_at'],
    ['a mistyped field', { ...delivered, status_fields: { ...FIELDS, is_sent: 1 } }, 'status_fields.is_sent'],
    ['ok false', { ...delivered, ok: false }, 'ok'],
    ['not an object', 'delivered', 'the answer'],
    ['null', null, 'the answer'],
    ['another guid', { ...delivered, guid: '00000000-0000-4000-8000-000000000000' }, 'another guid'],
    ['delivered without status fields', { ...delivered, status_fields: null }, 'without the message'],
    ['the service omitted instead of null', { ...missing, service: undefined }, 'service'],
  ])('%s → unknown, never delivered', (_name, answer, where) => {
    const clean = answer === null || typeof answer !== 'object' ? answer : (JSON.parse(JSON.stringify(answer)) as unknown);
    const v = interpretSendStatus(clean, ID);
    expect(v.kind).toBe('unknown');
    expect(v.kind === 'unknown' && v.reason).toContain(where);
  });
});
