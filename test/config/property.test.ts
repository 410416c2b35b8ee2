import fc from 'fast-check';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { parseConfig, validateConfigObject, type AccountConfig } from '../../src/config/index.js';

const HOME = '/Users/prop';
const DEFAULTS = {
  cliPath: 'imsg',
  service: 'auto',
  region: 'US',
  dmPolicy: 'pairing',
  groupPolicy: 'allowlist',
  includeAttachments: false,
  mediaMaxMb: 16,
  textChunkLimit: 4000,
} as const;

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const handle = fc.oneof(fc.stringMatching(/^\+1[0-9]{10}$/), fc.tuple(word, word).map(([u, d]) => `${u}@${d}.com`), fc.constant('*'));
const allowList = fc.tuple(fc.uniqueArray(handle, { maxLength: 4 }), fc.uniqueArray(fc.integer({ min: 1, max: 1e12 }), { maxLength: 2 })).map(
  ([strings, numbers]) => [...strings, ...numbers] as (string | number)[],
);
const cliPath = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._+][A-Za-z0-9._+-]{0,10}$/),
  fc.array(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`),
  word.map((w) => `~/bin/${w}`),
);
const groups = fc.dictionary(
  fc.oneof(fc.stringMatching(/^[0-9]{1,6}$/), fc.constant('*')),
  fc.record({ requireMention: fc.boolean() }, { requiredKeys: [] }),
  { maxKeys: 3 },
);

const accountArb = fc.record(
  {
    enabled: fc.boolean(),
    name: word,
    cliPath,
    dbPath: fc.oneof(word.map((w) => `/data/${w}.db`), word.map((w) => `~/${w}/chat.db`)),
    remoteHost: fc.tuple(word, word).map(([u, h]) => `${u}@${h}`),
    service: fc.constantFrom('imessage', 'sms', 'auto'),
    region: fc.constantFrom('US', 'GB', 'DE', 'CA'),
    dmPolicy: fc.constantFrom('pairing', 'allowlist', 'open', 'disabled'),
    allowFrom: allowList,
    groupPolicy: fc.constantFrom('open', 'allowlist', 'disabled'),
    groupAllowFrom: allowList,
    historyLimit: fc.nat({ max: 1000 }),
    groups,
    includeAttachments: fc.boolean(),
    mediaMaxMb: fc.double({ min: 0.01, max: 1000, noNaN: true }),
    textChunkLimit: fc.integer({ min: 2, max: 100_000 }),
    maxReplyChars: fc.integer({ min: 1, max: 10_000_000 }),
  },
  { requiredKeys: [] },
);
type RawAccount = Partial<Record<string, unknown>> & { dmPolicy?: string; allowFrom?: (string | number)[] };

const agentsArb = fc
  .uniqueArray(word, { minLength: 1, maxLength: 3 })
  .chain((ids) =>
    fc.tuple(fc.constant(ids), fc.option(fc.integer({ min: 0, max: ids.length - 1 }), { nil: undefined })),
  )
  .map(([ids, defaultIndex]) =>
    ids.map((id, i) => ({
      id,
      ...(defaultIndex === i ? { default: true } : {}),
      handler: i % 2 === 0 ? { type: 'echo' } : { type: 'http', url: `https://${id}.example/hook`, timeoutMs: 1000 + i },
    })),
  );

const configArb = fc
  .record({
    top: accountArb,
    accounts: fc.option(fc.dictionary(word, accountArb, { minKeys: 1, maxKeys: 3 }), { nil: undefined }),
    messagesHistoryLimit: fc.option(fc.nat({ max: 500 }), { nil: undefined }),
    agents: agentsArb,
  })
  .map(({ top, accounts, messagesHistoryLimit, agents }) => {
    // Keep only valid combinations: "open" needs "*" in the effective allowFrom.
    const fix = (own: RawAccount, base: RawAccount) => {
      const policy = own.dmPolicy ?? base.dmPolicy;
      const allow = own.allowFrom ?? base.allowFrom ?? [];
      if (policy === 'open' && !allow.includes('*')) own.dmPolicy = 'pairing';
    };
    if (accounts) for (const own of Object.values(accounts)) fix(own as RawAccount, top as RawAccount);
    else fix(top as RawAccount, {});
    return {
      imessage: { ...top, ...(accounts ? { accounts } : {}) },
      agents: { list: agents },
      ...(messagesHistoryLimit !== undefined ? { messages: { groupChat: { historyLimit: messagesHistoryLimit } } } : {}),
    };
  });

function expand(p: string): string {
  return p.startsWith('~/') ? `${HOME}/${p.slice(2)}` : p;
}

function expected(id: string, top: RawAccount, own: RawAccount, messagesHistoryLimit: number | undefined): AccountConfig {
  const pick = (key: string) => (own[key] !== undefined ? own[key] : top[key]);
  const strings = (list: unknown) => (list as (string | number)[]).map(String);
  const account: AccountConfig = {
    id,
    enabled: top.enabled !== false && own.enabled !== false,
    cliPath: expand((pick('cliPath') as string | undefined) ?? DEFAULTS.cliPath),
    service: (pick('service') as AccountConfig['service'] | undefined) ?? DEFAULTS.service,
    region: (pick('region') as string | undefined) ?? DEFAULTS.region,
    dmPolicy: (pick('dmPolicy') as AccountConfig['dmPolicy'] | undefined) ?? DEFAULTS.dmPolicy,
    allowFrom: strings(pick('allowFrom') ?? []),
    groupPolicy: (pick('groupPolicy') as AccountConfig['groupPolicy'] | undefined) ?? DEFAULTS.groupPolicy,
    historyLimit: (pick('historyLimit') as number | undefined) ?? messagesHistoryLimit ?? 50,
    groups: (pick('groups') as AccountConfig['groups'] | undefined) ?? {},
    includeAttachments: (pick('includeAttachments') as boolean | undefined) ?? DEFAULTS.includeAttachments,
    mediaMaxMb: (pick('mediaMaxMb') as number | undefined) ?? DEFAULTS.mediaMaxMb,
    textChunkLimit: (pick('textChunkLimit') as number | undefined) ?? DEFAULTS.textChunkLimit,
    catchUpMs: null,
    backlogMaxAgeMs: 15 * 60_000,
    maxSendsWithoutInbound: 10,
    maxReplyChars: (pick('maxReplyChars') as number | undefined) ?? 100_000,
    maxRowidJump: 1_000_000,
    typingIndicator: true,
    sendReadReceipts: true,
    reactionNotifications: 'own',
  };
  if (pick('name') !== undefined) account.name = pick('name') as string;
  if (pick('dbPath') !== undefined) account.dbPath = expand(pick('dbPath') as string);
  if (pick('remoteHost') !== undefined) account.remoteHost = pick('remoteHost') as string;
  if (pick('groupAllowFrom') !== undefined) account.groupAllowFrom = strings(pick('groupAllowFrom'));
  return account;
}

describe('property: any config built from valid values', () => {
  it('passes validation and round-trips every value (also through JSON5 text)', () => {
    fc.assert(
      fc.property(configArb, (raw) => {
        const config = validateConfigObject(raw, 'prop', { homeDir: HOME });
        const { accounts: accountMap, ...top } = raw.imessage as RawAccount & { accounts?: Record<string, RawAccount> };
        const historyLimit = raw.messages?.groupChat.historyLimit;
        const want = accountMap
          ? Object.entries(accountMap)
              .map(([id, own]) => expected(id, top, own, historyLimit))
              .sort((a, b) => (a.id < b.id ? -1 : 1))
          : [expected('default', top, {}, historyLimit)];
        expect(config.accounts).toEqual(want);

        expect(config.agents.map((a) => a.id)).toEqual(raw.agents.list.map((a) => a.id));
        const explicitDefault = raw.agents.list.find((a) => a.default === true);
        expect(config.defaultAgentId).toBe((explicitDefault ?? raw.agents.list[0])?.id);
        config.agents.forEach((agent, i) => {
          const rawHandler = raw.agents.list[i]?.handler as { timeoutMs?: number };
          expect(agent.handler).toEqual(rawHandler.timeoutMs === undefined ? rawHandler : { ...rawHandler });
        });

        expect(parseConfig(JSON5.stringify(raw, null, 2), 'prop.json5', { homeDir: HOME })).toEqual(config);
      }),
      { numRuns: 300 },
    );
  });
});
