/**
 * A real inbound pipeline for mechanism tests: a real store in a temp dir, real session lanes,
 * routes and policy from a validated config (one open account, `per-peer` DMs), the worker pool
 * disabled (chunking in-process), a simulated clock and a silent logger. The agent is the test's;
 * `options` overrides any pipeline option (a window, turn slices, a queue mode).
 */
import pino, { type Logger } from 'pino';
import { SimulatedClock } from 'xstate';
import { SessionLanes } from '../../src/agents/session-lanes.js';
import type { AgentHandler } from '../../src/agents/types.js';
import { type AccountConfig, validateConfigObject } from '../../src/config/index.js';
import { PairingService } from '../../src/policy/pairing-service.js';
import { AgentRouter } from '../../src/routing/bindings.js';
import { GatewayStore } from '../../src/store/index.js';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { AccountQuarantine } from '../../src/supervisor/account-quarantine.js';
import { buildAccountRoutes } from '../../src/supervisor/account-routes.js';
import { InboundPipeline, type InboundPipelineOptions } from '../../src/supervisor/inbound-pipeline.js';
import { AccountMedia } from '../../src/supervisor/media.js';
import { DEFAULT_JUMP_CONFIRMATIONS } from '../../src/supervisor/rowid-jump.js';
import { createPool } from '../../src/workers/index.js';

export const PIPELINE_ACCOUNT = 'acct';
/** Messages' `created_at`; the clock starts a second later. */
export const PIPELINE_CREATED_AT = '2026-01-15T12:00:00.000Z';

export interface RealPipelineSetup {
  /** The store's file, opened here (and closed after the test) unless `store` is given. */
  dbPath?: string;
  store?: GatewayStore;
  /** Default: a simulated clock a second after PIPELINE_CREATED_AT. */
  clock?: SimulatedClock;
  homeDir: string;
  agent: AgentHandler;
  /** For the pipeline, its media and its quarantine (default: silent). */
  logger?: Logger;
  /** Called in reverse order after the test (the caller's afterEach runs them). */
  cleanups: Array<() => void | Promise<void>>;
  options?: Partial<InboundPipelineOptions>;
}

export function realPipeline(setup: RealPipelineSetup) {
  const { homeDir, agent, cleanups } = setup;
  let store = setup.store;
  if (store === undefined) {
    if (setup.dbPath === undefined) throw new Error('realPipeline: give a store or a dbPath');
    const opened = GatewayStore.open(setup.dbPath);
    cleanups.push(() => opened.close());
    store = opened;
  }
  const pool = createPool({ disabled: true });
  cleanups.push(() => pool.close());
  const config = validateConfigObject(
    {
      imessage: { accounts: { [PIPELINE_ACCOUNT]: { cliPath: '/usr/local/bin/imsg', dmPolicy: 'open', allowFrom: ['*'] } } },
      agents: { list: [{ id: 'main', default: true, handler: { type: 'echo' } }] },
      session: { dmScope: 'per-peer' },
    },
    'real-pipeline test',
    { homeDir },
  );
  const account = config.accounts.find((a) => a.id === PIPELINE_ACCOUNT) as AccountConfig;
  const router = new AgentRouter(config.bindings, config.defaultAgentId as string, () => 'US');
  const routes = buildAccountRoutes(account, config, { store, pairing: new PairingService(store), router });
  const clock = setup.clock ?? new SimulatedClock();
  if (setup.clock === undefined) clock.set(Date.parse(PIPELINE_CREATED_AT) + 1000);
  const logger = setup.logger ?? pino({ level: 'silent' });
  const counters = newCounters();
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const pipeline = new InboundPipeline({
    accountId: PIPELINE_ACCOUNT,
    route: (message) => ({ ...routes.route(message), agent }),
    agentById: () => agent,
    service: account.service,
    responsePrefix: undefined,
    maxReplyChars: account.maxReplyChars,
    chunk: (text) => pool.chunk(text, account.textChunkLimit),
    media: new AccountMedia(account, pool, homeDir, logger),
    lanes: new SessionLanes(),
    store,
    counters,
    clock,
    logger,
    onHumanMessage: () => true,
    onReplies: () => undefined,
    signal: abort.signal,
    quarantine: new AccountQuarantine({ accountId: PIPELINE_ACCOUNT, store, clock, logger, counters }),
    jumpRule: { window: account.maxRowidJump, confirmations: DEFAULT_JUMP_CONFIRMATIONS },
    ...setup.options,
  });
  return { store, pipeline, counters, clock };
}
