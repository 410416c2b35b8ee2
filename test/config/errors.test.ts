import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';
import { HOME, invalid, invalidText, issueAt, valid } from './helpers.js';

describe('JSON5 syntax errors', () => {
  it('carry the line and column', () => {
    const issues = invalidText('{\n  imessage: {\n    dmPolicy: "open",,\n  },\n}\n');
    expect(issues).toEqual([{ path: '', message: "JSON5 syntax error: invalid character ','", line: 3, column: 22 }]);
  });

  it('are formatted as source:line:col: message', () => {
    try {
      parseConfig('{ imessage: { ', '/etc/gw/config.json5');
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).message).toBe('/etc/gw/config.json5:1:15: JSON5 syntax error: invalid end of input');
    }
  });

  it('accept comments, trailing commas, unquoted keys and a BOM', () => {
    const config = parseConfig(
      '\uFEFF// my gateway\n{ imessage: { region: "GB", /* inline */ }, agents: { list: [{ id: "main", handler: { type: "echo" } },] }, }',
      'c.json5',
      { homeDir: HOME },
    );
    expect(config.accounts[0]?.region).toBe('GB');
  });

  it('a non-object document is rejected', () => {
    expect(invalidText('[1, 2]')).toEqual([{ path: '', message: 'the configuration must be an object ({ ... }); got an array' }]);
  });
});

describe('misspelt keys suggest the closest known key at their level', () => {
  it.each([
    [{ imessage: { includeAttachment: true } }, 'imessage.includeAttachment', 'includeAttachments'],
    [{ imessage: { dmPolicey: 'open' } }, 'imessage.dmPolicey', 'dmPolicy'],
    [{ imessage: { accounts: { bot: { textChunkLimt: 10 } } } }, 'imessage.accounts.bot.textChunkLimt', 'textChunkLimit'],
    [{ gateway: { supervison: {} } }, 'gateway.supervison', 'supervision'],
    [{ gateway: { supervision: { restartIntensity: { maxRestart: 3 } } } }, 'gateway.supervision.restartIntensity.maxRestart', 'maxRestarts'],
    [{ messages: { groupchat: {} } }, 'messages.groupchat', 'groupChat'],
    [{ imessages: {} }, 'imessages', 'imessage'],
    [{ agents: { list: [{ id: 'a', handler: { type: 'http', url: 'http://x', header: {} } }] } }, 'agents.list[0].handler.header', 'headers'],
  ])('%j', (raw, path, suggestion) => {
    expect(issueAt(invalid(raw), path).message).toContain(`did you mean "${suggestion}"?`);
  });

  it('an imessage key written at the top level points under imessage', () => {
    expect(issueAt(invalid({ dmPolicy: 'open' }), 'dmPolicy').message).toContain('did you mean "imessage.dmPolicy"?');
  });

  it('a key with no close match lists the known keys', () => {
    expect(issueAt(invalid({ gateway: { banana: 1 } }), 'gateway.banana').message).toBe(
      'unknown key "banana"; known keys here: logLevel, supervision, http, inspector, dashboard, delivery',
    );
  });

  it('keys of the reference product are called out as unsupported', () => {
    expect(issueAt(invalid({ imessage: { chunkMode: 'newline' } }), 'imessage.chunkMode').message).toMatch(/not supported/);
  });
});

describe('wrong values', () => {
  it('a wrong enum value lists the allowed values', () => {
    expect(issueAt(invalid({ imessage: { dmPolicy: 'opne' } }), 'imessage.dmPolicy').message).toBe(
      'must be one of "pairing", "allowlist", "open", "disabled"; got the string "opne" (did you mean "open"?)',
    );
    expect(issueAt(invalid({ imessage: { groupPolicy: 'closed' } }), 'imessage.groupPolicy').message).toBe(
      'must be one of "open", "allowlist", "disabled"; got the string "closed"',
    );
    expect(issueAt(invalid({ gateway: { logLevel: 'verbose' } }), 'gateway.logLevel').message).toContain('"trace"');
  });

  it('says what type was expected and what was found', () => {
    const issues = invalid({
      imessage: {
        includeAttachments: 'yes',
        historyLimit: -1,
        textChunkLimit: 1.5,
        mediaMaxMb: 0,
        allowFrom: 'everyone',
        groupAllowFrom: [true],
      },
    });
    expect(issueAt(issues, 'imessage.includeAttachments').message).toBe('must be true or false; got the string "yes"');
    expect(issueAt(issues, 'imessage.historyLimit').message).toBe('must be at least 0; got the number -1');
    expect(issueAt(issues, 'imessage.textChunkLimit').message).toBe('must be an integer; got the number 1.5');
    // The chunker cannot cut below 2 characters; 1 used to pass the config and fail at the first reply.
    expect(issueAt(invalid({ imessage: { accounts: { bot: { textChunkLimit: 1 } } } }), 'imessage.accounts.bot.textChunkLimit').message).toBe(
      'must be at least 2; got the number 1',
    );
    expect(issueAt(issues, 'imessage.mediaMaxMb').message).toBe('must be greater than 0; got the number 0');
    expect(issueAt(issues, 'imessage.allowFrom').message).toBe('must be an array; got the string "everyone"');
    expect(issueAt(issues, 'imessage.groupAllowFrom[0]').message).toMatch(/string or a number/);
  });

  it('JSON5 Infinity and NaN are not numbers here', () => {
    const issues = invalidText('{ imessage: { mediaMaxMb: Infinity, textChunkLimit: NaN } }');
    expect(issueAt(issues, 'imessage.mediaMaxMb')).toBeDefined();
    expect(issueAt(issues, 'imessage.textChunkLimit')).toBeDefined();
  });
});

describe('all or nothing', () => {
  it('reports every issue at once, across sections, shape and cross-key rules', () => {
    const issues = invalid({
      imessage: {
        includeAttachment: true,
        cliPath: 'imsg; rm -rf /',
        accounts: { Bot: {}, bot: { dmPolicy: 'open' } },
      },
      agents: { list: [{ id: 'a', handler: { type: 'echo' } }, { id: 'A', handler: { type: 'echo' } }] },
      gateway: { supervison: {}, logLevel: 'loud' },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'imessage.includeAttachment',
        'imessage.cliPath',
        'imessage.accounts.bot',
        'imessage.accounts.bot.dmPolicy',
        'agents.list[1].id',
        'gateway.supervison',
        'gateway.logLevel',
      ].sort(),
    );
  });

  it('the error message has one line per issue: source: path: message', () => {
    try {
      parseConfig('{ imessage: { dmPolicey: "open", region: 3 }, agents: { list: [{ id: "main", handler: { type: "echo" } }] } }', 'cfg.json5');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const error = err as ConfigError;
      expect(error.source).toBe('cfg.json5');
      expect(error.message.split('\n').sort()).toEqual([
        'cfg.json5: imessage.dmPolicey: unknown key "dmPolicey"; did you mean "dmPolicy"?',
        'cfg.json5: imessage.region: must be a string; got the number 3',
      ]);
    }
  });
});

describe('http agent headers', () => {
  it.each(['Content-Length', 'transfer-encoding', 'Keep-Alive', 'upgrade', 'Expect'])('%s is refused: the HTTP client sets it', (name) => {
    const raw = { agents: { list: [{ id: 'a', default: true, handler: { type: 'http', url: 'http://x', timeoutMs: 1000, headers: { [name]: 'v' } } }] } };
    expect(issueAt(invalid(raw), `agents.list[0].handler.headers.${name}`).message).toBe(
      `invalid key "${name}": "${name}" is set by the gateway's HTTP client, not by configuration: remove it from headers`,
    );
  });

  it('other headers, connection included, are accepted', () => {
    const raw = { agents: { list: [{ id: 'a', default: true, handler: { type: 'http', url: 'http://x', timeoutMs: 1000, headers: { Authorization: 'Bearer t', Connection: 'close' } } }] } };
    expect(() => valid(raw)).not.toThrow();
  });
});
