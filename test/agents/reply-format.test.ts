import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentError, parseAgentJson, parseAgentOutput } from '../../src/agents/index.js';

function isJsonObject(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function invalid(body: string): AgentError {
  try {
    parseAgentOutput(body, 'fmt');
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).kind).toBe('invalid-reply');
    expect((err as AgentError).agentId).toBe('fmt');
    return err as AgentError;
  }
  throw new Error(`expected ${body} to be rejected`);
}

describe('parseAgentOutput', () => {
  it('returns no replies for empty or whitespace-only output', () => {
    expect(parseAgentOutput('')).toEqual({ replies: [] });
    expect(parseAgentOutput(' \n\t \r\n')).toEqual({ replies: [] });
  });

  it('returns trimmed plain text as one reply', () => {
    expect(parseAgentOutput('  hello\nworld  \n')).toEqual({ replies: [{ text: 'hello\nworld' }] });
  });

  it('treats non-object JSON and broken JSON as plain text', () => {
    expect(parseAgentOutput('[1, 2]')).toEqual({ replies: [{ text: '[1, 2]' }] });
    expect(parseAgentOutput('"quoted"')).toEqual({ replies: [{ text: '"quoted"' }] });
    expect(parseAgentOutput('42')).toEqual({ replies: [{ text: '42' }] });
    expect(parseAgentOutput('null')).toEqual({ replies: [{ text: 'null' }] });
    expect(parseAgentOutput('{not json}')).toEqual({ replies: [{ text: '{not json}' }] });
  });

  it('parses the replies shape', () => {
    expect(parseAgentOutput(' {"replies":[{"text":"a"},{"text":"b","media":["/x.png","/y.jpg"]},{"media":["/z.gif"]}]} \n')).toEqual({
      replies: [{ text: 'a' }, { text: 'b', media: ['/x.png', '/y.jpg'] }, { text: '', media: ['/z.gif'] }],
    });
    expect(parseAgentOutput('{"replies":[]}')).toEqual({ replies: [] });
  });

  it('ignores unknown keys', () => {
    expect(parseAgentOutput('{"replies":[{"text":"a","extra":1}],"debug":"x"}')).toEqual({ replies: [{ text: 'a' }] });
  });

  it('rejects JSON objects of the wrong shape, naming the problem', () => {
    expect(invalid('{"reply":"hi"}').message).toMatch(/replies/);
    expect(invalid('{"replies":"hi"}').message).toMatch(/replies/);
    expect(invalid('{"replies":[{"text":42}]}').message).toContain('replies[0].text');
    expect(invalid('{"replies":[{"text":"ok"},{}]}').message).toContain('replies[1]');
    expect(invalid('{"replies":[{"text":"   "}]}').message).toContain('non-empty "text"');
    expect(invalid('{"replies":[{"media":[]}]}').message).toContain('replies[0]');
    expect(invalid('{"replies":[{"text":"a","media":["/ok", 7]}]}').message).toContain('replies[0].media[1]');
    expect(invalid('{"replies":[{"text":"a","media":"/x"}]}').message).toContain('replies[0].media');
  });

  it('reads agent actions: a reaction and threaded replies (issue 17, item 5)', () => {
    expect(parseAgentOutput('{"replies":[{"text":"sure","thread":true}],"reaction":"like"}')).toEqual({
      replies: [{ text: 'sure', thread: true }],
      reaction: { kind: 'like' },
    });
    expect(parseAgentOutput('{"reaction":"👍"}')).toEqual({ replies: [], reaction: { kind: 'like' } });
    expect(parseAgentOutput('{"reaction":"Emphasis"}')).toEqual({ replies: [], reaction: { kind: 'emphasize' } });
    expect(parseAgentOutput('{"reaction":"🎉"}')).toEqual({ replies: [], reaction: { emoji: '🎉' } });
    expect(parseAgentOutput('{"replies":[{"text":"x","thread":false}]}')).toEqual({ replies: [{ text: 'x', thread: false }] });
    expect(invalid('{"replies":[{"text":"x","thread":"yes"}]}').message).toContain('replies[0].thread');
    expect(invalid('{"debug":1}').message).toMatch(/replies/);
  });

  it('refuses an unknown reaction with the valid kinds, and keeps the replies', () => {
    const r = parseAgentOutput('{"replies":[{"text":"still here"}],"reaction":"wave"}');
    expect(r.replies).toEqual([{ text: 'still here' }]);
    expect(r.reaction).toBeUndefined();
    expect(r.refused).toHaveLength(1);
    expect(r.refused![0]).toContain('unknown reaction "wave"');
    expect(r.refused![0]).toContain('love, like, dislike, laugh, emphasize, question');
    expect(parseAgentOutput('{"replies":[],"reaction":7}').refused![0]).toContain('non-empty string');
  });

  it('property: any string that is not a JSON object is one trimmed plain-text reply', () => {
    const candidates = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string(),
      fc.json().filter((s) => !isJsonObject(s)),
      fc.tuple(fc.constantFrom('', ' ', '\n', '\t '), fc.string(), fc.constantFrom('', ' ', '\n')).map(([a, b, c]) => a + b + c),
    );
    fc.assert(
      fc.property(
        candidates.filter((s) => !isJsonObject(s)),
        (s) => {
          const expected = s.trim() === '' ? { replies: [] } : { replies: [{ text: s.trim() }] };
          expect(parseAgentOutput(s)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: valid reply objects round-trip', () => {
    const text = fc.string({ minLength: 1 }).filter((t) => t.trim() !== '');
    const reply = fc.oneof(
      fc.record({ text }),
      fc.record({ text, media: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(reply, { maxLength: 5 }), (replies) => {
        expect(parseAgentOutput(JSON.stringify({ replies }))).toEqual({ replies });
      }),
    );
  });
});

describe('parseAgentJson (strict, for JSON bodies)', () => {
  it('accepts the shape and empty bodies', () => {
    expect(parseAgentJson('')).toEqual({ replies: [] });
    expect(parseAgentJson('{"replies":[{"text":"x"}]}')).toEqual({ replies: [{ text: 'x' }] });
  });

  it('rejects invalid JSON and non-objects', () => {
    expect(() => parseAgentJson('{"replies":')).toThrow(/not valid JSON/);
    expect(() => parseAgentJson('[1]')).toThrow(/JSON object/);
    expect(() => parseAgentJson('"text"')).toThrow(AgentError);
  });
});
