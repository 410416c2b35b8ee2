/**
 * The query parameters of the control API's list routes, each a zod schema (the bodies are in
 * api-bodies.ts). Parameters that do not parse, and parameters a route does not know, are
 * answered 400 with every issue and the parameter it is about:
 * `{ "error": "invalid query: \"limit\" must be an integer from 1 to 10000 (expected …)", "issues": [{ "path": "limit", … }] }`.
 */
import { z } from 'zod';
import { InvalidBodyError, type BodyIssue } from './api-bodies.js';

const account = z
  .string()
  .trim()
  .min(1, 'must be an account id (leave it out for every account)')
  .transform((id) => id.toLowerCase())
  .optional();

const limit = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be an integer from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be an integer from 1 to ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

const flag = z
  .enum(['1', '0', 'true', 'false'], { error: 'must be 1 or 0' })
  .optional()
  .transform((v) => v === '1' || v === 'true');

/** `GET /api/pairing` and `GET /api/pairing/approved`. */
export const pairingQuerySchema = z.strictObject({ account });

/** `GET /api/quarantine`: newest first, at most `limit`, the payload (may hold message text) only with payload=1. */
export const quarantineQuerySchema = z.strictObject({ account, limit: limit(50, 10_000), payload: flag });

export const QUERY_SHAPES = {
  pairing: '?account=ID (optional)',
  quarantine: '?account=ID&limit=1..10000&payload=1 (all optional)',
} as const;

export type PairingQuery = z.output<typeof pairingQuerySchema>;
export type QuarantineQuery = z.output<typeof quarantineQuerySchema>;

/** The query parsed by `schema`, or an InvalidBodyError (400) naming each bad or unknown parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams, shape: string): z.output<S> {
  const params: Record<string, string> = {};
  const issues: BodyIssue[] = [];
  for (const [key, value] of query) {
    if (key in params) issues.push({ path: key, message: 'is given more than once' });
    params[key] = value;
  }
  const result = schema.safeParse(params);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) issues.push({ path: key, message: 'is not a known parameter' });
      else issues.push({ path: issue.path.join('.'), message: issue.message });
    }
  }
  const first = issues[0];
  if (first !== undefined) throw new InvalidBodyError(`invalid query: "${first.path}" ${first.message} (expected ${shape})`, issues);
  return (result as { data: z.output<S> }).data;
}
