/** "Did you mean …?" for misspelt keys and enum values. */
import { distance } from 'fastest-levenshtein';

/** The closest candidate (case-insensitive Levenshtein), or undefined when nothing is plausibly meant. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(input.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Keys of the reference product (clawdbot/openclaw) that this gateway deliberately does not support. */
const UNSUPPORTED_REFERENCE_KEYS = new Set([
  'capabilities',
  'markdown',
  'configWrites',
  'dmHistoryLimit',
  'dms',
  'chunkMode',
  'blockStreaming',
  'blockStreamingCoalesce',
  'heartbeat',
  'remoteAttachmentRoots',
  'actions',
  'coalesceSameSenderDms',
]);

export interface UnknownKeyContext {
  /** Keys accepted at this level. */
  known: readonly string[];
  /** Keys accepted one level down under some key (root: the imessage keys under "imessage"). */
  nested?: { under: string; keys: readonly string[] };
  /** Extra explanation for specific keys (e.g. "accounts" inside an account). */
  notes?: Readonly<Record<string, string>>;
}

export function unknownKeyMessage(key: string, ctx: UnknownKeyContext): string {
  const note = ctx.notes?.[key];
  if (note !== undefined) return `unknown key ${JSON.stringify(key)}: ${note}`;
  const suggestion = closestMatch(key, ctx.known);
  if (suggestion !== undefined) return `unknown key ${JSON.stringify(key)}; did you mean ${JSON.stringify(suggestion)}?`;
  if (ctx.nested) {
    const nested = closestMatch(key, ctx.nested.keys);
    if (nested !== undefined) {
      return `unknown key ${JSON.stringify(key)}; did you mean ${JSON.stringify(`${ctx.nested.under}.${nested}`)}? (it belongs under "${ctx.nested.under}")`;
    }
  }
  if (UNSUPPORTED_REFERENCE_KEYS.has(key)) {
    return `unknown key ${JSON.stringify(key)}: it comes from clawdbot/openclaw and is not supported by imessage-gateway; remove it`;
  }
  const known = ctx.known.length > 0 ? ctx.known.join(', ') : '(none)';
  return `unknown key ${JSON.stringify(key)}; known keys here: ${known}`;
}
