/**
 * Turns what an agent produced (command stdout, HTTP response body) into an AgentResult.
 *
 * - empty or whitespace-only output: no replies;
 * - a JSON object: must be `{"replies":[{"text":"...","media":["/path"],"thread":true}],"reaction":"like"}`
 *   (each entry needs non-empty text or at least one media path; `thread` and `reaction` are
 *   optional, and `replies` may be left out when there is a reaction; unknown keys are ignored).
 *   An unknown reaction is refused with the valid kinds (AgentResult.refused), and the replies are
 *   still delivered;
 * - anything else: the whole trimmed output is one plain-text reply.
 */
import { z } from 'zod';
import { AgentError } from './errors.js';
import { parseAgentReaction } from './agent-reaction.js';
import type { AgentReply, AgentResult } from './types.js';

const replySchema = z
  .object({
    text: z.string().optional(),
    media: z.array(z.string().min(1, 'a media path must not be empty')).optional(),
    thread: z.boolean({ error: '"thread" must be true or false' }).optional(),
  })
  .refine((r) => (r.text !== undefined && r.text.trim() !== '') || (r.media !== undefined && r.media.length > 0), {
    message: 'a reply needs non-empty "text" or at least one "media" path',
  });

const resultSchema = z
  .object({
    replies: z.array(replySchema, { error: '"replies" must be an array of {"text", "media"?, "thread"?} objects' }).optional(),
    reaction: z.unknown().optional(),
  })
  .refine((r) => r.replies !== undefined || r.reaction !== undefined, {
    message: '"replies" is required (it may be left out only beside a "reaction")',
    path: ['replies'],
  });

const SHAPE = '{"replies":[{"text":"...","media"?:["/path"],"thread"?:true}],"reaction"?:"like"}';

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(top level)' : out;
}

/**
 * Validates an already-parsed JSON value against the reply shape.
 * Throws AgentError('invalid-reply') naming each problem (e.g. `replies[0].text: ...`).
 */
export function validateAgentResult(value: unknown, agentId = 'unknown'): AgentResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentError('invalid-reply', agentId, `reply must be a JSON object shaped ${SHAPE}, got ${describe(value)}`);
  }
  const parsed = resultSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new AgentError('invalid-reply', agentId, `invalid JSON reply (expected ${SHAPE}): ${problems}`, {
      cause: parsed.error,
    });
  }
  const result: AgentResult = {
    replies: (parsed.data.replies ?? []).map((r): AgentReply => {
      const reply: AgentReply = { text: r.text ?? '' };
      if (r.media !== undefined && r.media.length > 0) reply.media = r.media;
      if (r.thread !== undefined) reply.thread = r.thread;
      return reply;
    }),
  };
  if (parsed.data.reaction !== undefined) {
    const reaction = parseAgentReaction(parsed.data.reaction);
    if (reaction.ok) result.reaction = reaction.reaction;
    else result.refused = [`reaction refused: ${reaction.reason}`];
  }
  return result;
}

/** Lenient parse (command stdout): JSON objects must match the shape, anything else is plain text. */
export function parseAgentOutput(body: string, agentId = 'unknown'): AgentResult {
  const trimmed = body.trim();
  if (trimmed === '') return { replies: [] };
  // Only a body starting with '{' can be a JSON object; skip parsing anything else.
  if (trimmed.startsWith('{')) {
    let value: unknown;
    let isJson = true;
    try {
      value = JSON.parse(trimmed);
    } catch {
      isJson = false;
    }
    if (isJson && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return validateAgentResult(value, agentId);
    }
  }
  return { replies: [{ text: trimmed }] };
}

/**
 * Strict parse (HTTP bodies declared as JSON): empty → no replies; otherwise the body must be a
 * JSON object of the reply shape, else AgentError('invalid-reply').
 */
export function parseAgentJson(body: string, agentId = 'unknown'): AgentResult {
  const trimmed = body.trim();
  if (trimmed === '') return { replies: [] };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    throw new AgentError('invalid-reply', agentId, `reply is not valid JSON (${(err as Error).message}); starts with ${JSON.stringify(trimmed.slice(0, 80))}`, {
      cause: err,
    });
  }
  return validateAgentResult(value, agentId);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
