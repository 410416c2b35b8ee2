/**
 * Turns zod issues into ConfigIssues that read like advice: the key path, what was expected, what
 * was found, and for a misspelt key the closest known key at that level.
 */
import type { z } from 'zod';
import { formatPath, type ConfigIssue, type PathSegment } from './errors.js';
import { accountSchema, imessageSchema, rootSchema } from './schema.js';
import { closestMatch, unknownKeyMessage, type UnknownKeyContext } from './suggest.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

// zod 4 exposes each schema's definition on `_zod.def`; only the fields walked here are typed.
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  getter?: () => Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
  values?: unknown[];
}

function defOf(schema: Schema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function isRecordLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strip wrappers; for a union, choose the object option whose literal keys match the value. */
function unwrap(schema: Schema, value: unknown): Schema {
  for (let i = 0; i < 32; i++) {
    const def = defOf(schema);
    if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) {
      schema = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      schema = def.in;
    } else if (def.type === 'lazy' && def.getter) {
      schema = def.getter();
    } else if (def.type === 'union' && def.options) {
      const objects = def.options.map((o) => unwrap(o, value)).filter((o) => defOf(o).type === 'object');
      const matching = objects.find((o) =>
        Object.entries(defOf(o).shape ?? {}).every(([key, field]) => {
          const fieldDef = defOf(field);
          if (fieldDef.type !== 'literal') return true;
          return isRecordLike(value) && (fieldDef.values ?? []).includes(value[key]);
        }),
      );
      const chosen = matching ?? objects[0];
      if (!chosen) return schema;
      schema = chosen;
    } else {
      return schema;
    }
  }
  return schema;
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let value = root;
  for (const seg of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[seg];
  }
  return value;
}

/** The object schema found at `path` (walking the raw value alongside to resolve unions). */
function objectSchemaAt(root: Schema, path: readonly PathSegment[], raw: unknown): Schema | undefined {
  let schema: Schema | undefined = root;
  let value = raw;
  for (const seg of path) {
    if (!schema) return undefined;
    const def = defOf(unwrap(schema, value));
    if (def.type === 'object') schema = def.shape?.[String(seg)];
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'record') schema = def.valueType;
    else return undefined;
    value = isRecordLike(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  if (!schema) return undefined;
  const found = unwrap(schema, value);
  return defOf(found).type === 'object' ? found : undefined;
}

/** dmScope is written where OpenClaw users might guess it; it is one setting for the whole gateway. */
const DM_SCOPE_NOTE = 'it belongs under "session" (session.dmScope) and applies to every account and agent';

/** queue is written where OpenClaw users might guess it (per channel or account); it is one setting. */
const QUEUE_NOTE = 'it belongs under "messages" (messages.queue: mode and collectWindowMs) and applies to every account';

const IMESSAGE_KEYS = Object.keys(defOf(imessageSchema).shape ?? {});

function unknownKeyContext(objectSchema: Schema | undefined, path: readonly PathSegment[]): UnknownKeyContext {
  const known = objectSchema ? Object.keys(defOf(objectSchema).shape ?? {}) : [];
  const ctx: UnknownKeyContext = { known };
  if (path.length === 0) ctx.nested = { under: 'imessage', keys: IMESSAGE_KEYS };
  const placed = path.length === 0 || objectSchema === imessageSchema || objectSchema === accountSchema;
  ctx.notes = {
    ...(placed ? { dmScope: DM_SCOPE_NOTE, queue: QUEUE_NOTE } : {}),
    ...(objectSchema === accountSchema
      ? { accounts: 'accounts cannot be nested inside an account; list every account directly under imessage.accounts' }
      : {}),
  };
  return ctx;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : String(value);
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'an array',
};

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function oneOf(values: readonly unknown[], got: unknown): string {
  const base = `must be one of ${list(values)}`;
  if (got === undefined) return `is required and ${base}`;
  const suggestion =
    typeof got === 'string' ? closestMatch(got, values.filter((v): v is string => typeof v === 'string')) : undefined;
  return `${base}; got ${describe(got)}${suggestion !== undefined ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`;
}

function bound(issue: { origin: string; inclusive?: boolean }, limit: number | bigint, small: boolean, got: unknown): string {
  if (issue.origin === 'array') {
    if (small && Number(limit) === 1) return 'must not be empty';
    return `must have ${small ? 'at least' : 'at most'} ${limit} entries`;
  }
  if (issue.origin === 'string') {
    if (small && Number(limit) === 1) return 'must not be empty';
    return `must be ${small ? 'at least' : 'at most'} ${limit} characters long`;
  }
  const op = small ? (issue.inclusive ? 'at least' : 'greater than') : issue.inclusive ? 'at most' : 'less than';
  return `must be ${op} ${limit}; got ${describe(got)}`;
}

/** One zod issue → one or more ConfigIssues (unrecognized_keys is split per key). */
export function convertZodIssue(issue: Issue, raw: unknown, prefix: readonly PathSegment[] = []): ConfigIssue[] {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  const got = valueAt(raw, path);
  const at = (message: string, segments: readonly PathSegment[] = path): ConfigIssue => ({
    path: formatPath(segments),
    message,
  });
  switch (issue.code) {
    case 'unrecognized_keys': {
      const ctx = unknownKeyContext(objectSchemaAt(rootSchema, path, raw), path);
      return issue.keys.map((key) => at(unknownKeyMessage(key, ctx), [...path, key]));
    }
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (got === undefined) return [at(`is required (${expected})`)];
      if (path.length === 0) return [at(`the configuration must be an object ({ ... }); got ${describe(got)}`)];
      return [at(`must be ${expected}; got ${describe(got)}`)];
    }
    case 'invalid_value':
      return [at(oneOf(issue.values, got))];
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        return [at(oneOf(issue.options, got))];
      }
      return [at(issue.message)];
    case 'too_small':
      return [at(bound(issue, issue.minimum, true, got))];
    case 'too_big':
      return [at(bound(issue, issue.maximum, false, got))];
    case 'invalid_key': {
      const key = path[path.length - 1];
      const detail = issue.issues[0]?.message ?? issue.message;
      return [at(`invalid key ${JSON.stringify(key)}: ${detail}`)];
    }
    default:
      return [at(issue.message)];
  }
}

export function convertZodError(error: z.ZodError, raw: unknown, prefix: readonly PathSegment[] = []): ConfigIssue[] {
  return error.issues.flatMap((issue) => convertZodIssue(issue, raw, prefix));
}
