import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { derivedMentionPattern, mentionPatternsFor } from '../../src/routing/agent-mentions.js';

const matches = (re: RegExp, text: string): boolean => {
  re.lastIndex = 0;
  return re.test(text);
};

describe('derivedMentionPattern', () => {
  const bot = derivedMentionPattern('Bot');

  it.each(['@Bot', 'hey bot!', 'Bot, are you there?', 'ask @BOT please', 'bot', 'hi (bot)', 'ok bot.', 'Salut,bot'])(
    'matches %j',
    (text) => {
      expect(matches(bot, text)).toBe(true);
    },
  );

  it.each(['robot', 'bots', 'botany', 'abot', '@robot', 'bot_x', 'bot2', 'x_bot', 'ébot', 'boté', ''])(
    'does not match %j',
    (text) => {
      expect(matches(bot, text)).toBe(false);
    },
  );

  it('joins the words of a multi-word name by any whitespace', () => {
    const re = derivedMentionPattern('  Home   Assistant ');
    expect(matches(re, 'hey home assistant, lights off')).toBe(true);
    expect(matches(re, '@Home\tAssistant')).toBe(true);
    expect(matches(re, 'home\n assistant')).toBe(true);
    expect(matches(re, 'homeassistant')).toBe(false);
    expect(matches(re, 'home')).toBe(false);
  });

  it('treats non-ASCII letters as part of a word', () => {
    const re = derivedMentionPattern('Zoë');
    expect(matches(re, 'hallo zoë!')).toBe(true);
    expect(matches(re, 'ZOË')).toBe(true);
    expect(matches(re, 'zoëy')).toBe(false);
  });

  it('escapes regex metacharacters in names', () => {
    const dot = derivedMentionPattern('a.b');
    expect(matches(dot, 'hi a.b')).toBe(true);
    expect(matches(dot, 'hi axb')).toBe(false);

    const plus = derivedMentionPattern('C++');
    expect(matches(plus, 'ask C++ now')).toBe(true);
    expect(matches(plus, 'ask C now')).toBe(false);
    expect(matches(plus, 'ask CCC now')).toBe(false);

    const weird = derivedMentionPattern('$(bot)|*[x]^{2}?\\');
    expect(matches(weird, 'hey $(bot)|*[x]^{2}?\\ there')).toBe(true);
    expect(matches(weird, 'bot')).toBe(false);
    expect(matches(weird, 'x')).toBe(false);
  });

  it('property: any name compiles and mentions itself after "@" and after a space', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0),
        (name) => {
          const re = derivedMentionPattern(name);
          const canonical = name.trim().split(/\s+/).join(' ');
          // a name ending in a word character must not be followed by one; append a space
          expect(matches(re, `@${canonical} `)).toBe(true);
          expect(matches(re, `hi ${canonical} `)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('mentionPatternsFor', () => {
  it('the agent\'s own patterns win over global ones and over its name', () => {
    const res = mentionPatternsFor({ id: 'main', name: 'Bot', mentionPatterns: ['\\bjarvis\\b'] }, ['hey bot']);
    expect(res.map((r) => r.source)).toEqual(['\\bjarvis\\b']);
    expect(res[0]!.flags).toBe('i');
    expect(matches(res[0]!, 'JARVIS?')).toBe(true);
    expect(res.some((r) => matches(r, '@Bot'))).toBe(false);
  });

  it('without own patterns the global patterns are used', () => {
    const res = mentionPatternsFor({ id: 'main', name: 'Bot' }, ['hey bot', '@assistant']);
    expect(res.map((r) => r.source)).toEqual(['hey bot', '@assistant']);
    expect(res.every((r) => r.flags === 'i')).toBe(true);
    expect(matches(res[1]!, 'Hi @ASSISTANT')).toBe(true);
  });

  it('an explicitly empty agent list wins (the agent is never mentioned), as in the reference', () => {
    expect(mentionPatternsFor({ id: 'main', name: 'Bot', mentionPatterns: [] }, ['hey bot'])).toEqual([]);
  });

  it('without any configured patterns one is derived from the name', () => {
    const res = mentionPatternsFor({ id: 'main', name: 'Bot' }, undefined);
    expect(res).toHaveLength(1);
    expect(matches(res[0]!, '@Bot')).toBe(true);
    expect(matches(res[0]!, 'hey bot!')).toBe(true);
    expect(matches(res[0]!, 'robot')).toBe(false);
    expect(matches(res[0]!, 'main')).toBe(false);
  });

  it('without a name the pattern is derived from the id', () => {
    const res = mentionPatternsFor({ id: 'helper' }, undefined);
    expect(res).toHaveLength(1);
    expect(matches(res[0]!, '@helper can you')).toBe(true);
    expect(matches(res[0]!, 'helpers')).toBe(false);
  });
});
