/**
 * The mention patterns that gate an agent in groups: the agent's own, else
 * messages.groupChat.mentionPatterns, else one derived from its name (or id): `\b@?<name>\b`.
 * There is always at least one pattern, so requireMention never silently lets everything through.
 */
import { compileMentionPatterns } from '../config/mention-patterns.js';

export function derivedMentionPattern(name: string): RegExp {
  const words = name
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?:^|[^\\p{L}\\p{N}_])@?${words.join('\\s+')}(?![\\p{L}\\p{N}_])`, 'iu');
}

export function mentionPatternsFor(
  agent: { id: string; name?: string; mentionPatterns?: string[] },
  globalPatterns: string[] | undefined,
): RegExp[] {
  if (agent.mentionPatterns) return compileMentionPatterns(agent.mentionPatterns);
  if (globalPatterns) return compileMentionPatterns(globalPatterns);
  return [derivedMentionPattern(agent.name ?? agent.id)];
}
