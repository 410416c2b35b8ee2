/**
 * The request bodies of the control API, each a zod schema. A body that does not parse is
 * answered 400 with every zod issue and where it is:
 * `{ "error": "invalid body: \"code\" is required … (expected …)", "issues": [{ "path": "code", "message": "…" }] }`.
 * `path` is the dotted path of the offending field ("" for the body itself; for unknown fields,
 * the field's name).
 */
import { z } from 'zod';
import type {
  DeliveryDiscardRequest,
  DeliveryRetryRequest,
  PairingApproveRequest,
  PairingDenyRequest,
  PairingRevokeRequest,
  SendRequest,
} from '../supervisor/control-backend.js';

export interface BodyIssue {
  path: string;
  message: string;
}

/** A body that does not match its schema: 400 with the issues. */
export class InvalidBodyError extends Error {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly issues: BodyIssue[],
  ) {
    super(message);
    this.name = 'InvalidBodyError';
  }
}

const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).trim().min(1, `must be ${what}`);
const accountId = nonEmpty('an account id (a non-empty string)').optional();
const deadLetterId = nonEmpty('an id from the dead-letter list (send-<number> or turn-<number>)');

export const sendBodySchema = z
  .strictObject({
    to: nonEmpty('a recipient handle or chat (a non-empty string)'),
    // The text is sent as written (not trimmed), but may not be blank.
    text: z.string({ error: 'must be the message text (a string)' }).refine((t) => t.trim() !== '', 'must not be empty').optional(),
    file: z
      .string({ error: 'must be an absolute path on the gateway host' })
      .refine((f) => f.startsWith('/'), 'must be an absolute path on the gateway host')
      .optional(),
    account: accountId,
    idempotencyKey: nonEmpty('a non-empty string').optional(),
  })
  .refine((b) => b.text !== undefined || b.file !== undefined, { message: 'is required (or a "file")', path: ['text'] });

export const pairingApproveBodySchema = z.strictObject({
  code: nonEmpty('a pairing code (a non-empty string)'),
  account: accountId,
  notify: z.boolean({ error: 'must be true or false' }).optional(),
});

export const pairingDenyBodySchema = z.strictObject({
  target: nonEmpty('a pairing code or the sender handle'),
  account: accountId,
});

export const pairingRevokeBodySchema = z.strictObject({
  handle: nonEmpty('the approved sender handle'),
  account: accountId,
});

export const deliveryRetryBodySchema = z.strictObject({ id: deadLetterId, force: z.boolean({ error: 'must be true or false' }).optional() });

export const deliveryDiscardBodySchema = z.union([
  z.strictObject({ id: deadLetterId, force: z.boolean({ error: 'must be true or false' }).optional() }),
  z.strictObject({ olderThan: nonEmpty('a duration such as 7d or 12h'), account: accountId }),
]);

/** Routes that act without parameters (account retry, reload): no body, or an empty object. */
export const emptyBodySchema = z.strictObject({});

/** What each route expects, for the error message. */
export const BODY_SHAPES = {
  send: '{ "to": "+15551234567", "text": "…", "file"?: "/abs/path", "account"?: "ID", "idempotencyKey"?: "KEY" }',
  approve: '{ "code": "CODE", "account"?: "ID", "notify"?: true }',
  deny: '{ "target": "CODE or handle", "account"?: "ID" }',
  revoke: '{ "handle": "+15551234567", "account"?: "ID" }',
  retry: '{ "id": "send-12", "force"?: true }',
  discard: '{ "id": "send-12", "force"?: true } or { "olderThan": "7d", "account"?: "ID" }',
  empty: 'no body or {}',
} as const;

function issuesOf(error: z.ZodError): BodyIssue[] {
  const out: BodyIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...issue.path, key].join('.'), message: 'is not a known field' });
    } else if (issue.code === 'invalid_union') {
      // The alternative that got furthest names the problem best: the one with the fewest issues.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      out.push(...issuesOf(new z.ZodError(best)));
    } else {
      out.push({ path: issue.path.join('.'), message: issue.message });
    }
  }
  return out;
}

/**
 * The body parsed by `schema`, or an InvalidBodyError. `body` is what the JSON parser returned
 * (undefined for an empty body); `optional` lets an absent body through as `{}`.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, shape: string, optional = false): T {
  if (body === undefined && optional) body = {};
  if (body === undefined) {
    throw new InvalidBodyError(`invalid body: a JSON object body is required (expected ${shape})`, [{ path: '', message: 'a JSON object body is required' }]);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidBodyError(`invalid body: the body must be a JSON object (expected ${shape})`, [{ path: '', message: 'must be a JSON object' }]);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = issuesOf(result.error);
  const first = issues[0];
  const where = first && first.path !== '' ? `"${first.path}" ` : '';
  throw new InvalidBodyError(`invalid body: ${where}${first?.message ?? 'malformed'} (expected ${shape})`, issues);
}

/** Drops the keys whose value is undefined (exactOptionalPropertyTypes). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export const parseSendBody = (body: unknown): SendRequest => defined(parseBody(sendBodySchema, body, BODY_SHAPES.send)) as SendRequest;
export const parseApproveBody = (body: unknown): PairingApproveRequest =>
  defined(parseBody(pairingApproveBodySchema, body, BODY_SHAPES.approve)) as PairingApproveRequest;
export const parseDenyBody = (body: unknown): PairingDenyRequest => defined(parseBody(pairingDenyBodySchema, body, BODY_SHAPES.deny)) as PairingDenyRequest;
export const parseRevokeBody = (body: unknown): PairingRevokeRequest =>
  defined(parseBody(pairingRevokeBodySchema, body, BODY_SHAPES.revoke)) as PairingRevokeRequest;
export const parseRetryBody = (body: unknown): DeliveryRetryRequest =>
  defined(parseBody(deliveryRetryBodySchema, body, BODY_SHAPES.retry)) as DeliveryRetryRequest;
export const parseDiscardBody = (body: unknown): DeliveryDiscardRequest =>
  defined(parseBody(deliveryDiscardBodySchema, body, BODY_SHAPES.discard)) as DeliveryDiscardRequest;
export const parseEmptyBody = (body: unknown): void => {
  parseBody(emptyBodySchema, body, BODY_SHAPES.empty, true);
};
