/** Tapback encoding (associated_message_type) and the reactions[] aggregation of section 6.4. */
export const REACTION_KINDS = ['love', 'like', 'dislike', 'laugh', 'emphasis', 'question'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number] | 'custom';

export const REACTION_EMOJI: Record<string, string> = {
  love: '❤️',
  like: '👍',
  dislike: '👎',
  laugh: '😂',
  emphasis: '‼️',
  question: '❓',
};

const ALIASES: Record<string, ReactionKind> = {
  love: 'love', heart: 'love', '❤️': 'love',
  like: 'like', thumbsup: 'like', '+1': 'like', '👍': 'like',
  dislike: 'dislike', thumbsdown: 'dislike', '-1': 'dislike', '👎': 'dislike',
  laugh: 'laugh', haha: 'laugh', lol: 'laugh', '😂': 'laugh', '🤣': 'laugh',
  emphasis: 'emphasis', emphasize: 'emphasis', '!!': 'emphasis', '‼️': 'emphasis',
  question: 'question', '?': 'question', '❓': 'question',
  custom: 'custom',
};

/** Normalises a reaction name or emoji; an unknown value is treated as a custom emoji. */
export function normalizeReaction(raw: string): { kind: ReactionKind; emoji: string } {
  const kind = ALIASES[raw.trim().toLowerCase()] ?? ALIASES[raw.trim()];
  if (kind && kind !== 'custom') return { kind, emoji: REACTION_EMOJI[kind] ?? '' };
  if (kind === 'custom') return { kind, emoji: '🎉' };
  return { kind: 'custom', emoji: raw.trim() };
}

/** associated_message_type for an add (2000-2006) or a removal (3000-3006). */
export function reactionTypeCode(kind: ReactionKind, remove: boolean): number {
  const idx = kind === 'custom' ? 6 : REACTION_KINDS.indexOf(kind);
  return (remove ? 3000 : 2000) + idx;
}

export function isReactionType(t: number | null | undefined): boolean {
  return typeof t === 'number' && t >= 2000 && t <= 3006;
}

const EMOJI_RE = /\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}])*/u;

/** Decodes a reaction row's type and emoji; null when a custom emoji cannot be recovered. */
export function decodeReaction(
  type: number,
  text: string,
): { kind: ReactionKind; emoji: string; add: boolean } | null {
  const add = type < 3000;
  const idx = type - (add ? 2000 : 3000);
  const named = REACTION_KINDS[idx];
  if (named) return { kind: named, emoji: REACTION_EMOJI[named] ?? '', add };
  if (idx !== 6) return null;
  const m = /^Reacted (.+?) to /u.exec(text);
  const emoji = m?.[1] ?? EMOJI_RE.exec(text)?.[0];
  return emoji ? { kind: 'custom', emoji, add } : null;
}

/** The part after the last `/` of associated_message_guid (`p:0/GUID` gives `GUID`). */
export function normalizeAssociatedGuid(raw: string): string {
  const i = raw.lastIndexOf('/');
  return i === -1 ? raw : raw.slice(i + 1);
}

export interface ReactionRowInput {
  id: number;
  type: number;
  text: string;
  sender: string;
  isFromMe: boolean;
  createdAt: string;
}

export interface ReactionPayload {
  id: number;
  type: string;
  emoji: string;
  sender: string;
  is_from_me: boolean;
  created_at: string;
}

/** Folds reaction rows (in date order) into the current reactions: adds replace, removals delete. */
export function aggregateReactions(rows: ReactionRowInput[]): ReactionPayload[] {
  const out: ReactionPayload[] = [];
  for (const row of rows) {
    const decoded = decodeReaction(row.type, row.text);
    if (row.type === 3006) {
      const i = out.findIndex((r) => r.type === 'custom' && r.sender === row.sender && r.is_from_me === row.isFromMe);
      if (i !== -1) out.splice(i, 1);
      continue;
    }
    if (!decoded) continue;
    const same = (r: ReactionPayload): boolean =>
      r.sender === row.sender && r.is_from_me === row.isFromMe && r.type === decoded.kind;
    const i = out.findIndex(same);
    if (!decoded.add) {
      if (i !== -1) out.splice(i, 1);
      continue;
    }
    const entry: ReactionPayload = {
      id: row.id,
      type: decoded.kind,
      emoji: decoded.emoji,
      sender: row.sender,
      is_from_me: row.isFromMe,
      created_at: row.createdAt,
    };
    if (i !== -1) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

const VERBS: Record<string, string> = {
  love: 'Loved',
  like: 'Liked',
  dislike: 'Disliked',
  laugh: 'Laughed at',
  emphasis: 'Emphasized',
  question: 'Questioned',
};

/** The summary text Messages writes into a tapback row. */
export function reactionSummary(kind: ReactionKind, emoji: string, targetText: string, remove: boolean): string {
  const quoted = `“${targetText}”`;
  if (remove) return kind === 'custom' ? `Removed ${emoji} from ${quoted}` : `Removed a ${kind} from ${quoted}`;
  if (kind === 'custom') return `Reacted ${emoji} to ${quoted}`;
  return `${VERBS[kind] ?? 'Reacted to'} ${quoted}`;
}
