/**
 * The `attempt_id` of a tracked send (imsg-rpc-current.md §8.4): a UUID derived from the outbox
 * row's idempotency key, so every attempt of one row, before and after a crash or a restart, names
 * the same message, and two rows never share one. A name-based UUID (RFC 9562 version 5: SHA-1 of
 * a fixed namespace and the key), lowercase as imsg stores it.
 */
import { createHash } from 'node:crypto';

/** This gateway's namespace for attempt ids (a fixed random UUID; never change it). */
export const ATTEMPT_ID_NAMESPACE = '3f1c2a9e-6b1d-4c55-9a57-0f3e7d4b8c21';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

export function attemptIdFor(idempotencyKey: string): string {
  if (idempotencyKey === '') throw new Error('attemptIdFor: an outbox row always has an idempotency key; got an empty one');
  return uuidV5(ATTEMPT_ID_NAMESPACE, idempotencyKey);
}

/** RFC 9562 version-5 UUID of `name` in `namespace`, lowercase. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A lowercase canonical UUID, as attempt ids are stored and compared. */
export function isAttemptId(s: string): boolean {
  return UUID.test(s);
}
