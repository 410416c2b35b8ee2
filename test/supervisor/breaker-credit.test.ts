/**
 * The echo-loop breaker's credit comes from reply turns, not from arrivals (loop-breaker.ts): the
 * pipeline grants one credit per turn that queues replies and holds a message from someone else,
 * none for a silent turn, one for a collected turn of several messages, none for a turn of
 * reflections only. A real pipeline (real store in a temp dir, real session lanes and turn
 * collector) with an in-process agent.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { SessionLanes } from '../../src/agents/session-lanes.js';
import type { AgentHandler, AgentResult } from '../../src/agents/types.js';
import { type AccountConfig, validateConfigObject } from '../../src/config/index.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import { PairingService } from '../../src/policy/pairing-service.js';
import { AgentRouter } from '../../src/routing/bindings.js';
import type { Envelope } from '../../src/routing/envelope.js';
import { GatewayStore } from '../../src/store/index.js';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { AccountQuarantine } from '../../src/supervisor/account-quarantine.js';
import { buildAccountRoutes } from '../../src/supervisor/account-routes.js';
import { InboundPipeline } from '../../src/supervisor/inbound-pipeline.js';
import { AccountMedia } from '../../src/supervisor/media.js';
import { DEFAULT_JUMP_CONFIRMATIONS } from '../../src/supervisor/rowid-jump.js';
import { createPool } from '../../src/workers/index.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempHome } from '../store/store-helpers.js';

const ACCOUNT = 'acct';
const SENDER = '+15551230001';
const CREATED_AT = '2026-01-15T12:00:00.000Z';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** An agent that answers (or not); while `gate` is set, the first turn waits for it. */
function agentOf(answer: (envelope: Envelope) => AgentResult, gate?: Promise<void>): AgentHandler & { turns: Envelope[] } {
  const turns: Envelope[] = [];
  return {
    agentId: 'main',
    kind: 'http',
    turns,
    async handle(envelope: Envelope): Promise<AgentResult> {
      turns.push(envelope);
      if (gate && turns.length === 1) await gate;
      return answer(envelope);
    },
  };
}

function pipelineWith(agent: AgentHandler, opts: { collect?: boolean; pays?: (text: string) => boolean }) {
  const home = tempHome('gw-credit-');
  cleanups.push(home.cleanup);
  const store = GatewayStore.open(home.dbPath);
  const pool = createPool({ disabled: true });
  cleanups.push(() => store.close());
  cleanups.push(() => pool.close());
  const config = validateConfigObject(
    {
      imessage: { accounts: { [ACCOUNT]: { cliPath: '/usr/local/bin/imsg', dmPolicy: 'open', allowFrom: ['*'] } } },
      agents: { list: [{ id: 'main', default: true, handler: { type: 'echo' } }] },
      session: { dmScope: 'per-peer' },
    },
    'breaker credit test',
    { homeDir: home.dir },
  );
  const account = config.accounts.find((a) => a.id === ACCOUNT) as AccountConfig;
  const router = new AgentRouter(config.bindings, config.defaultAgentId as string, () => 'US');
  const routes = buildAccountRoutes(account, config, { store, pairing: new PairingService(store), router });
  const clock = new SimulatedClock();
  clock.set(Date.parse(CREATED_AT) + 1000);
  const logger = pino({ level: 'silent' });
  const counters = newCounters();
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const grants: string[] = [];
  const pipeline = new InboundPipeline({
    accountId: ACCOUNT,
    route: (message) => ({ ...routes.route(message), agent }),
    agentById: () => agent,
    service: account.service,
    responsePrefix: undefined,
    maxReplyChars: account.maxReplyChars,
    chunk: (text) => pool.chunk(text, account.textChunkLimit),
    media: new AccountMedia(account, pool, home.dir, logger),
    lanes: new SessionLanes(),
    queue: { mode: opts.collect ? 'collect' : 'followup', collectWindowMs: 0 },
    store,
    counters,
    clock,
    logger,
    onHumanMessage: (_chatKey, text) => opts.pays?.(text) ?? true,
    onPaidReplyTurn: (chatKey) => grants.push(chatKey),
    onReplies: () => undefined,
    signal: abort.signal,
    quarantine: new AccountQuarantine({ accountId: ACCOUNT, store, clock, logger, counters }),
    jumpRule: { window: account.maxRowidJump, confirmations: DEFAULT_JUMP_CONFIRMATIONS },
  });
  cleanups.push(() => pipeline.close());
  return { pipeline, counters, grants };
}

function dm(id: number, text: string): ImsgMessage {
  return imsgMessage({ id, chat_id: 1, guid: `G-${id}`, text, sender: SENDER, chat_identifier: SENDER, chat_guid: `iMessage;-;${SENDER}`, participants: [SENDER], created_at: CREATED_AT });
}

const answered = (): AgentResult => ({ replies: [{ text: 'ok' }] });
const silent = (): AgentResult => ({ replies: [] });
const CHAT = `handle:${SENDER}`;

describe('echo-loop breaker credit: one per paid reply turn', () => {
  it('three answered messages, one turn each: three credits, for their chat', async () => {
    const s = pipelineWith(agentOf(answered), {});
    for (let i = 1; i <= 3; i++) s.pipeline.handle(dm(i, `m${i}`));
    await waitUntil(() => (s.counters.dispatched === 3 ? true : undefined), 'three turns complete');
    expect(s.grants).toEqual([CHAT, CHAT, CHAT]);
  });

  it('turns the agent leaves unanswered pay for nothing', async () => {
    const s = pipelineWith(agentOf(silent), {});
    for (let i = 1; i <= 3; i++) s.pipeline.handle(dm(i, `m${i}`));
    await waitUntil(() => (s.counters.dispatched === 3 ? true : undefined), 'three turns complete');
    expect(s.grants).toEqual([]);
  });

  it('five messages collected into one turn pay for one reply turn, not five', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const agent = agentOf(answered, gate);
    const s = pipelineWith(agent, { collect: true });
    s.pipeline.handle(dm(1, 'first'));
    await waitUntil(() => (agent.turns.length === 1 ? true : undefined), 'the first turn runs');
    for (let i = 2; i <= 6; i++) s.pipeline.handle(dm(i, `quick ${i}`));
    // The five wait in the lane behind the busy turn; once it ends they go as one turn.
    await waitUntil(() => (s.counters.accepted === 6 ? true : undefined), 'the five wait in the lane');
    open();
    await waitUntil(() => (s.counters.dispatched === 6 ? true : undefined), 'every message settled');
    expect(agent.turns).toHaveLength(2);
    expect(agent.turns[1]!.collected).toHaveLength(4);
    expect(s.grants).toEqual([CHAT, CHAT]);
  });

  it('a turn of reflections only (our own text coming back) pays for nothing, even when answered', async () => {
    const s = pipelineWith(agentOf(answered), { pays: (text) => !text.startsWith('echo') });
    s.pipeline.handle(dm(1, 'echo one'));
    s.pipeline.handle(dm(2, 'echo two'));
    s.pipeline.handle(dm(3, 'a person'));
    await waitUntil(() => (s.counters.dispatched === 3 ? true : undefined), 'three turns complete');
    expect(s.grants).toEqual([CHAT]);
  });
});
