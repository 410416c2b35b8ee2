import { describe, expect, it } from 'vitest';
import { invalid, issueAt, valid } from './helpers.js';

describe('flat imessage section', () => {
  it('becomes one account "default" with every documented default', () => {
    const config = valid({ imessage: {} });
    expect(config.accounts).toEqual([
      {
        id: 'default',
        enabled: true,
        cliPath: 'imsg',
        service: 'auto',
        region: 'US',
        dmPolicy: 'pairing',
        allowFrom: [],
        groupPolicy: 'allowlist',
        historyLimit: 50,
        groups: {},
        includeAttachments: false,
        mediaMaxMb: 16,
        textChunkLimit: 4000,
        catchUpMs: null,
        backlogMaxAgeMs: 15 * 60_000,
        maxSendsWithoutInbound: 10,
        maxReplyChars: 100_000,
        maxRowidJump: 1_000_000,
        typingIndicator: true,
        sendReadReceipts: true,
        reactionNotifications: 'own',
      },
    ]);
    expect(config.accounts[0]).not.toHaveProperty('groupAllowFrom');
    expect(config.accounts[0]).not.toHaveProperty('dbPath');
  });

  it('treats a config without an imessage section like an empty one', () => {
    expect(valid({}).accounts.map((a) => a.id)).toEqual(['default']);
  });

  it('treats an empty accounts map like the flat form', () => {
    expect(valid({ imessage: { accounts: {}, region: 'GB' } }).accounts).toMatchObject([{ id: 'default', region: 'GB' }]);
  });

  it('keeps every flat value', () => {
    const [account] = valid({
      imessage: {
        name: ' Bot ',
        cliPath: '/usr/local/bin/imsg',
        dbPath: '/Users/bot/Library/Messages/chat.db',
        remoteHost: 'bot@mac-mini',
        service: 'sms',
        region: 'GB',
        dmPolicy: 'allowlist',
        allowFrom: ['+15555550123', 15555550124, ' user@example.com '],
        groupPolicy: 'open',
        groupAllowFrom: [],
        historyLimit: 0,
        groups: { '42': { requireMention: false }, '*': {} },
        includeAttachments: true,
        mediaMaxMb: 2.5,
        textChunkLimit: 1000,
        catchUp: '30m',
        backlogMaxAge: '1h',
        maxSendsWithoutInbound: 4,
        maxReplyChars: 50_000,
        maxRowidJump: 5000,
      },
    }).accounts;
    expect(account).toEqual({
      id: 'default',
      name: 'Bot',
      enabled: true,
      cliPath: '/usr/local/bin/imsg',
      dbPath: '/Users/bot/Library/Messages/chat.db',
      remoteHost: 'bot@mac-mini',
      service: 'sms',
      region: 'GB',
      dmPolicy: 'allowlist',
      allowFrom: ['+15555550123', '15555550124', 'user@example.com'],
      groupPolicy: 'open',
      groupAllowFrom: [],
      historyLimit: 0,
      groups: { '42': { requireMention: false }, '*': {} },
      includeAttachments: true,
      mediaMaxMb: 2.5,
      textChunkLimit: 1000,
      catchUpMs: 30 * 60_000,
      backlogMaxAgeMs: 60 * 60_000,
      maxSendsWithoutInbound: 4,
      maxReplyChars: 50_000,
      maxRowidJump: 5000,
      typingIndicator: true,
      sendReadReceipts: true,
      reactionNotifications: 'own',
    });
  });

  it('uses messages.groupChat.historyLimit when imessage sets none', () => {
    expect(valid({ messages: { groupChat: { historyLimit: 7 } } }).accounts[0]?.historyLimit).toBe(7);
    expect(valid({ imessage: { historyLimit: 3 }, messages: { groupChat: { historyLimit: 7 } } }).accounts[0]?.historyLimit).toBe(3);
  });

  it('top-level enabled: false disables the flat account (still listed)', () => {
    const config = valid({ imessage: { enabled: false }, agents: { list: [] } });
    expect(config.accounts).toMatchObject([{ id: 'default', enabled: false }]);
  });
});

describe('accounts map inheritance', () => {
  it('an account inherits, key by key, what it does not set; groups are replaced whole', () => {
    const config = valid({
      imessage: {
        allowFrom: ['+15555550123'],
        dmPolicy: 'allowlist',
        region: 'GB',
        groups: { '1': { requireMention: false }, '*': { requireMention: true } },
        accounts: {
          bot: { dmPolicy: 'pairing', groups: { '2': {} } },
          personal: { cliPath: '~/bin/imsg-personal' },
        },
      },
    });
    expect(config.accounts.map((a) => a.id)).toEqual(['bot', 'personal']);
    const [bot, personal] = config.accounts;
    expect(bot).toMatchObject({ dmPolicy: 'pairing', allowFrom: ['+15555550123'], region: 'GB', groups: { '2': {} } });
    expect(bot?.groups).not.toHaveProperty('1');
    expect(personal).toMatchObject({
      dmPolicy: 'allowlist',
      allowFrom: ['+15555550123'],
      cliPath: '/Users/tester/bin/imsg-personal',
      groups: { '1': { requireMention: false }, '*': { requireMention: true } },
    });
  });

  it('the flat top level is not started as an extra account once accounts exist', () => {
    expect(valid({ imessage: { accounts: { a: {}, b: {} } } }).accounts.map((a) => a.id)).toEqual(['a', 'b']);
  });

  it('sorts accounts by id and keeps disabled ones with enabled: false', () => {
    const config = valid({ imessage: { accounts: { zed: {}, alt: { enabled: false }, bot: {} } } });
    expect(config.accounts.map((a) => [a.id, a.enabled])).toEqual([
      ['alt', false],
      ['bot', true],
      ['zed', true],
    ]);
  });

  it('top-level enabled: false disables every account, even one that says enabled: true', () => {
    const config = valid({ imessage: { enabled: false, accounts: { a: { enabled: true }, b: {} } } });
    expect(config.accounts.every((a) => !a.enabled)).toBe(true);
  });

  it('regression (reference defect): top-level dmPolicy "open" + allowFrom ["*"] reaches accounts', () => {
    const config = valid({
      imessage: { dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open', accounts: { bot: {}, personal: { name: 'Me' } } },
    });
    for (const account of config.accounts) {
      expect(account).toMatchObject({ dmPolicy: 'open', allowFrom: ['*'], groupPolicy: 'open' });
    }
  });

  it('groupAllowFrom stays unset (not []) when nobody sets it, and is inherited when the top level does', () => {
    const unset = valid({ imessage: { accounts: { bot: {} } } }).accounts[0];
    expect(unset?.groupAllowFrom).toBeUndefined();
    const inherited = valid({ imessage: { groupAllowFrom: [] , accounts: { bot: {} } } }).accounts[0];
    expect(inherited?.groupAllowFrom).toEqual([]);
  });
});

describe('account ids', () => {
  it('regression (reference defect): a mixed-case key is normalised to lowercase and its settings apply', () => {
    const config = valid({ imessage: { accounts: { Bot: { cliPath: '/opt/imsg-bot', dmPolicy: 'allowlist' } } } });
    expect(config.accounts).toMatchObject([{ id: 'bot', cliPath: '/opt/imsg-bot', dmPolicy: 'allowlist' }]);
  });

  it('two keys differing only by case are an error', () => {
    const issues = invalid({ imessage: { accounts: { Bot: {}, bot: {} } } });
    expect(issueAt(issues, 'imessage.accounts.bot').message).toMatch(/case-insensitive.*"Bot".*"bot"/);
  });

  it('rejects ids that cannot be used in session keys', () => {
    const issues = invalid({ imessage: { accounts: { 'my bot': {} } } });
    expect(issueAt(issues, 'imessage.accounts["my bot"]').message).toMatch(/account id/);
  });

  it('rejects accounts nested inside an account, saying why', () => {
    const issues = invalid({ imessage: { accounts: { bot: { accounts: {} } } } });
    expect(issueAt(issues, 'imessage.accounts.bot.accounts').message).toMatch(/cannot be nested/);
  });
});

describe('channels.imessage alias', () => {
  it('is accepted in place of imessage', () => {
    const config = valid({ channels: { imessage: { region: 'CA', accounts: { bot: {} } } } });
    expect(config.accounts).toMatchObject([{ id: 'bot', region: 'CA' }]);
  });

  it('reports paths under channels.imessage when that is what the file uses', () => {
    const issues = invalid({ channels: { imessage: { accounts: { bot: { dmPolicy: 'open' } } } } });
    expect(issueAt(issues, 'channels.imessage.accounts.bot.dmPolicy').message).toMatch(/"\*"/);
  });

  it('both present is an error', () => {
    const issues = invalid({ imessage: {}, channels: { imessage: {} } });
    expect(issueAt(issues, 'channels.imessage').message).toMatch(/keep only one/);
  });

  it('other channels are unknown keys', () => {
    expect(issueAt(invalid({ channels: { telegram: {} } }), 'channels.telegram').message).toMatch(/unknown key/);
  });
});

describe('groups', () => {
  it('accepts chat_id digits and "*"', () => {
    expect(valid({ imessage: { groups: { '123': { requireMention: true }, '*': { requireMention: false } } } }).accounts[0]?.groups).toEqual({
      '123': { requireMention: true },
      '*': { requireMention: false },
    });
  });

  it('rejects a key that is neither digits nor "*"', () => {
    const issues = invalid({ imessage: { groups: { 'chat_id:42': {}, 'family': {} } } });
    expect(issueAt(issues, 'imessage.groups["chat_id:42"]').message).toMatch(/chat_id \(digits only/);
    expect(issueAt(issues, 'imessage.groups.family').message).toMatch(/or "\*"/);
  });

  it('rejects unknown keys inside a group with a suggestion', () => {
    const issues = invalid({ imessage: { groups: { '42': { requiresMention: true } } } });
    expect(issueAt(issues, 'imessage.groups.42.requiresMention').message).toMatch(/did you mean "requireMention"/);
  });
});

describe('attachmentRoots and remoteHost', () => {
  it('expands ~ in attachmentRoots and requires absolute paths', () => {
    expect(valid({ imessage: { attachmentRoots: ['~/Library/Messages/Attachments'] } }).accounts[0]?.attachmentRoots).toEqual([
      '/Users/tester/Library/Messages/Attachments',
    ]);
    expect(issueAt(invalid({ imessage: { attachmentRoots: ['relative/dir'] } }), 'imessage.attachmentRoots[0]').message).toMatch(
      /absolute/,
    );
  });

  it('rejects a remoteHost that could smuggle SSH options', () => {
    expect(issueAt(invalid({ imessage: { remoteHost: '-oProxyCommand=evil' } }), 'imessage.remoteHost').message).toMatch(/user@host/);
    expect(issueAt(invalid({ imessage: { remoteHost: 'bot@mac mini' } }), 'imessage.remoteHost')).toBeDefined();
    expect(valid({ imessage: { remoteHost: 'bot@192.168.1.5' } }).accounts[0]?.remoteHost).toBe('bot@192.168.1.5');
  });
});

describe('durability settings', () => {
  it('parses catchUp, backlogMaxAge and the echo-loop cap, with "none" and "off"', () => {
    const [a] = valid({ imessage: { catchUp: '2h', backlogMaxAge: 'off', maxSendsWithoutInbound: 3, maxReplyChars: 9000 } }).accounts;
    expect(a).toMatchObject({ catchUpMs: 7_200_000, backlogMaxAgeMs: null, maxSendsWithoutInbound: 3, maxReplyChars: 9000 });
    const [b] = valid({ imessage: { catchUp: 'none', backlogMaxAge: '90s' } }).accounts;
    expect(b).toMatchObject({ catchUpMs: null, backlogMaxAgeMs: 90_000 });
  });

  it('inherits maxReplyChars key by key and refuses anything but a positive integer', () => {
    const { accounts } = valid({ imessage: { maxReplyChars: 20_000, accounts: { a: {}, b: { maxReplyChars: 500 } } } });
    expect(accounts.map((x) => [x.id, x.maxReplyChars])).toEqual([
      ['a', 20_000],
      ['b', 500],
    ]);
    expect(issueAt(invalid({ imessage: { maxReplyChars: 0 } }), 'imessage.maxReplyChars')).toBeDefined();
    expect(issueAt(invalid({ imessage: { accounts: { a: { maxReplyChars: 1.5 } } } }), 'imessage.accounts.a.maxReplyChars')).toBeDefined();
  });

  it('rejects a duration it cannot read, naming the accepted forms', () => {
    expect(issueAt(invalid({ imessage: { backlogMaxAge: '15 minutes' } }), 'imessage.backlogMaxAge').message).toContain('"15m"');
  });
});
