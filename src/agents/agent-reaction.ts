/**
 * An agent's tapback request (`{"replies":[...],"reaction":"like"}`; issue 17, item 5), read
 * before anything is sent. Pure. The six kinds imsg's bridge sends by name, their usual aliases
 * and emoji, or any other emoji (sent only where imsg advertises `tapback.emoji` ≥ 2; decided at
 * send time). Anything else is refused with the list of valid kinds.
 */

export const TAPBACK_KINDS = ['love', 'like', 'dislike', 'laugh', 'emphasize', 'question'] as const;
export type TapbackKind = (typeof TAPBACK_KINDS)[number];

/** A reaction the agent asked for: a classic kind, or an arbitrary emoji. */
export type AgentReaction = { kind: TapbackKind } | { emoji: string };

const ALIASES: Record<string, TapbackKind> = {
  love: 'love', heart: 'love', '❤️': 'love', '❤': 'love',
  like: 'like', thumbsup: 'like', '👍': 'like',
  dislike: 'dislike', thumbsdown: 'dislike', '👎': 'dislike',
  laugh: 'laugh', haha: 'laugh', '😂': 'laugh',
  emphasize: 'emphasize', emphasis: 'emphasize', '‼️': 'emphasize', '‼': 'emphasize',
  question: 'question', '❓': 'question',
};

export const VALID_REACTIONS_TEXT = `${TAPBACK_KINDS.join(', ')}, or an emoji where imsg advertises emoji tapbacks (capabilities.features["tapback.emoji"] >= 2)`;

const EMOJI_ONLY = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Emoji_Component}|\uFE0F|\u200D)+$/u;

export function parseAgentReaction(raw: unknown): { ok: true; reaction: AgentReaction } | { ok: false; reason: string } {
  if (typeof raw !== 'string' || raw.trim() === '') {
    return { ok: false, reason: `"reaction" must be a non-empty string: one of ${VALID_REACTIONS_TEXT}` };
  }
  const value = raw.trim();
  const kind = ALIASES[value.toLowerCase()];
  if (kind) return { ok: true, reaction: { kind } };
  if (EMOJI_ONLY.test(value) && /\p{Extended_Pictographic}/u.test(value) && [...value].length <= 8) {
    return { ok: true, reaction: { emoji: value } };
  }
  return { ok: false, reason: `unknown reaction ${JSON.stringify(value.slice(0, 40))}; valid kinds: ${VALID_REACTIONS_TEXT}` };
}

/** The reaction as imsg's `tapback` takes it: `{reaction: kind}` or `{emoji}`. */
export function tapbackParams(r: AgentReaction): { reaction: string } | { emoji: string } {
  return 'kind' in r ? { reaction: r.kind } : { emoji: r.emoji };
}

/** The type imsg reports in `reactions[]` for this reaction (`emphasis` on the read side, `custom` for an emoji). */
export function reportedType(r: AgentReaction): string {
  if (!('kind' in r)) return 'custom';
  return r.kind === 'emphasize' ? 'emphasis' : r.kind;
}
