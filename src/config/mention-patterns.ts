/** Mention patterns are case-insensitive regular expressions; an invalid one is a config error. */

/** Why the pattern cannot be used, or undefined when it compiles. */
export function mentionPatternReason(pattern: string): string | undefined {
  if (pattern === '') return 'an empty pattern would match every message; remove it';
  try {
    new RegExp(pattern, 'i');
    return undefined;
  } catch (err) {
    const detail = (err instanceof Error ? err.message : String(err)).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return `invalid regular expression ${JSON.stringify(pattern)}: ${detail}`;
  }
}

/** Compile validated patterns (from AgentConfig.mentionPatterns or messages.mentionPatterns). */
export function compileMentionPatterns(patterns: readonly string[] | undefined): RegExp[] {
  return (patterns ?? []).map((p) => new RegExp(p, 'i'));
}
