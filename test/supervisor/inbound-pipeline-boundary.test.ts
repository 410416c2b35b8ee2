/**
 * Issue 11, item 1 (crash isolation): "any exception while handling one message is caught at the
 * message boundary; the message is quarantined with the error, and the account goes on".
 *
 * The zod schema stops malformed imsg messages before they reach the pipeline, so nothing else
 * drives InboundPipeline.handle's catch. Here a real pipeline (real store in a temp dir, real
 * session lanes, quarantine, access policy and echo agent built by the same factories the account
 * runtime uses) gets a route with a genuine programming error for one chat: the message of that
 * chat is quarantined at stage `handling`, and the next message is journalled, handed to the
 * agent and its reply queued in the outbox.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { SessionLanes } from '../../src/agents/session-lanes.js';
import { type AccountConfig, validateConfigObject } from '../../src/config/index.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import { PairingService } from '../../src/policy/pairing-service.js';
import { AgentRouter } from '../../src/routing/bindings.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { GatewayStore } from '../../src/store/index.js';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { AccountQuarantine } from '../../src/supervisor/account-quarantine.js';
import { buildAccountRoutes } from '../../src/supervisor/account-routes.js';
import { type AgentRoute, InboundPipeline } from '../../src/supervisor/inbound-pipeline.js';
import { AccountMedia } from '../../src/supervisor/media.js';
import { DEFAULT_JUMP_CONFIRMATIONS } from '../../src/supervisor/rowid-jump.js';
import { createPool, type WorkerPool } from '../../src/workers/index.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempHome } from '../store/store-helpers.js';

const ACCOUNT = 'acct';
const BUGGY_CHAT = 666;
const CREATED_AT = '2026-01-15T12:00:00.000Z';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A pino logger whose every line is kept (to check that no message text is logged). */
function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

function setup(buggyRoute: (message: ImsgMessage, working: AgentRoute) => AgentRoute) {
  const home = tempHome('gw-boundary-');
  const store = GatewayStore.open(home.dbPath);
  const pool: WorkerPool = createPool({ disabled: true });
  cleanups.push(home.cleanup);
  cleanups.push(() => store.close());
  cleanups.push(() => pool.close());

  const config = validateConfigObject(
    {
      imessage: { accounts: { [ACCOUNT]: { cliPath: '/usr/local/bin/imsg', dmPolicy: 'open', allowFrom: ['*'] } } },
      agents: { list: [{ id: 'echo', default: true, handler: { type: 'echo' } }] },
    },
    'boundary test',
    { homeDir: home.dir },
  );
  const account = config.accounts.find((a) => a.id === ACCOUNT) as AccountConfig;
  const router = new AgentRouter(config.bindings, config.defaultAgentId as string, () => 'US');
  const routes = buildAccountRoutes(account, config, { store, pairing: new PairingService(store), router });

  const clock = new SimulatedClock();
  clock.set(Date.parse(CREATED_AT) + 1000);
  const { logger, lines } = recordingLogger();
  const counters = newCounters();
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  let replyKicks = 0;
  const pipeline = new InboundPipeline({
    accountId: ACCOUNT,
    route: (message) => {
      const working = routes.route(message);
      return message.chat_id === BUGGY_CHAT ? buggyRoute(message, working) : working;
    },
    agentById: (agentId) => routes.agentById(agentId),
    service: account.service,
    responsePrefix: undefined,
    maxReplyChars: account.maxReplyChars,
    chunk: (text) => pool.chunk(text, account.textChunkLimit),
    media: new AccountMedia(account, pool, home.dir, logger),
    lanes: new SessionLanes(),
    store,
    counters,
    clock,
    logger,
    onHumanMessage: () => true,
    onReplies: () => void replyKicks++,
    signal: abort.signal,
    quarantine: new AccountQuarantine({ accountId: ACCOUNT, store, clock, logger, counters }),
    jumpRule: { window: account.maxRowidJump, confirmations: DEFAULT_JUMP_CONFIRMATIONS },
  });
  return { store, pipeline, counters, lines, dbPath: home.dbPath, replyKicks: () => replyKicks };
}

/** The journal row of a message, read with a separate read-only connection. */
function journalState(dbPath: string, guid: string): string | undefined {
  const db = new SqliteDatabase(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[string, string], string>('SELECT state FROM inbound_journal WHERE account_id = ? AND guid = ?')
      .pluck()
      .get(ACCOUNT, guid);
  } finally {
    db.close();
  }
}

/** Every 6-character run of the text: error messages quote input cut short ("secret pla"...). */
function fragmentsOf(text: string): string[] {
  return Array.from({ length: text.length - 5 }, (_, i) => text.slice(i, i + 6));
}

function dm(id: number, chatId: number, text: string, sender = '+15551234567'): ImsgMessage {
  return imsgMessage({
    id,
    chat_id: chatId,
    guid: `G-${id}`,
    text,
    sender,
    chat_identifier: sender,
    chat_guid: `iMessage;-;${sender}`,
    participants: [sender],
    created_at: CREATED_AT,
  });
}

/** The poison message is set aside; the next message of the account is handled normally. */
async function expectBoundaryHolds(
  s: ReturnType<typeof setup>,
  poison: ImsgMessage,
  errorClass: string,
  detail: string,
): Promise<void> {
  expect(() => s.pipeline.handle(poison)).not.toThrow();

  const quarantined = s.store.listQuarantine(ACCOUNT);
  expect(quarantined).toHaveLength(1);
  const [row] = quarantined;
  expect(row).toMatchObject({ stage: 'handling', rowid: poison.id, guid: poison.guid, chatId: BUGGY_CHAT });
  expect(row?.reason).toContain(`handling failed: ${errorClass}`);
  expect(row?.reason).toContain(detail);
  // The payload as received is kept (shown only with --payload); the reason never holds the text.
  expect(row?.payload).toContain(poison.text);
  expect(fragmentsOf(poison.text).filter((f) => row?.reason.includes(f))).toEqual([]);
  expect(s.counters.quarantined).toBe(1);
  // Never journalled: the cursor does not claim it, nothing is dispatched for it.
  expect(journalState(s.dbPath, poison.guid)).toBeUndefined();

  // The account goes on: the next message is journalled, dispatched to the echo agent, answered.
  const next = dm(poison.id + 1, 7, 'are you still there');
  expect(() => s.pipeline.handle(next)).not.toThrow();
  const reply = await waitUntil(
    () => s.store.pendingOutbox(ACCOUNT).find((r) => r.text === 'echo: are you still there'),
    'the echo reply to the next message in the outbox',
  );
  expect(reply.chatKey).toContain('+15551234567');
  expect(journalState(s.dbPath, next.guid)).toBe('dispatched');
  expect(s.store.getCursor(ACCOUNT)).toBe(next.id);
  expect(s.counters).toMatchObject({ received: 2, accepted: 1, dispatched: 1, quarantined: 1, agentErrors: 0 });
  expect(s.replyKicks()).toBeGreaterThan(0);
  expect(s.store.listQuarantine(ACCOUNT)).toHaveLength(1);

  // Logs carry the error class and safe metadata, never the text of the poison message.
  const logged = s.lines.join('');
  expect(logged).toContain('handling a message failed; it is quarantined');
  expect(logged).toContain(errorClass);
  expect(fragmentsOf(poison.text).filter((f) => logged.includes(f))).toEqual([]);
}

describe('InboundPipeline message boundary (issue 11, crash isolation)', () => {
  it('a route that throws TypeError for one chat quarantines that message (stage handling) and the next message is answered', async () => {
    // A genuine programming error: a per-chat table with no entry for this chat.
    const perChat = new Map<number, { agent: AgentRoute['agent'] }>();
    const s = setup((message, working) => ({ ...working, agent: perChat.get(message.chat_id)!.agent }));
    await expectBoundaryHolds(s, dm(41, BUGGY_CHAT, 'zebra quokka xylophone'), 'TypeError', "reading 'agent'");
  });

  it('an exception whose message quotes the input (JSON.parse of the text) still keeps the text out of the quarantine reason', async () => {
    // Errors built by the runtime from input (JSON.parse, BigInt, ...) quote that input in their message.
    const s = setup((message, working) => {
      const command = JSON.parse(message.text) as { agent: string };
      return { ...working, agent: routesAgent(command.agent, working) };
    });
    await expectBoundaryHolds(s, dm(41, BUGGY_CHAT, 'secret plans for tuesday'), 'SyntaxError', 'quotes the message text and is left out');
  });
});

function routesAgent(_id: string, working: AgentRoute): AgentRoute['agent'] {
  return working.agent;
}
