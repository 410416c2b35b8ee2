/**
 * Issue 16, item 4: carrying out a pairing decision is honest. A pairing code is counted and
 * logged as sent only once its request and the outbox row carrying it are committed; when the
 * state database refuses that write, the carry-out is retried (not counted, not logged as sent),
 * and a stop before it succeeds is reported, never a silent drop. A real pipeline over a real
 * store file; the store's pairing write fails (SQLITE_FULL) while `diskFull` is set.
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
const CREATED_AT = '2026-01-15T12:00:00.000Z';
const RETRY_MS = 1000;
const SENT = 'a pairing code was sent';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function setup() {
  const home = tempHome('gw-pair-carry-');
  const store = GatewayStore.open(home.dbPath);
  const pool = createPool({ disabled: true });
  cleanups.push(home.cleanup, () => store.close(), () => pool.close());
  const config = validateConfigObject(
    {
      imessage: { accounts: { [ACCOUNT]: { cliPath: '/usr/local/bin/imsg', dmPolicy: 'pairing' } } },
      agents: { list: [{ id: 'echo', default: true, handler: { type: 'echo' } }] },
    },
    'pairing carry-out test',
    { homeDir: home.dir },
  );
  const account = config.accounts.find((a) => a.id === ACCOUNT) as AccountConfig;
  const router = new AgentRouter(config.bindings, config.defaultAgentId as string, () => 'US');
  const routes = buildAccountRoutes(account, config, { store, pairing: new PairingService(store), router });

  // The pairing transaction (request + outbox row) fails as a full disk does while diskFull is set.
  const fault = { diskFull: true, refused: 0 };
  const real = store.senderTransaction.bind(store);
  store.senderTransaction = <T>(fn: () => T): T => {
    if (fault.diskFull) {
      fault.refused++;
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return real(fn);
  };

  const lines: string[] = [];
  const logger: Logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const clock = new SimulatedClock();
  clock.set(Date.parse(CREATED_AT) + 1000);
  const counters = newCounters();
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  let kicks = 0;
  const pipeline = new InboundPipeline({
    accountId: ACCOUNT,
    route: (message) => routes.route(message),
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
    onReplies: () => void kicks++,
    signal: abort.signal,
    quarantine: new AccountQuarantine({ accountId: ACCOUNT, store, clock, logger, counters }),
    jumpRule: { window: account.maxRowidJump, confirmations: DEFAULT_JUMP_CONFIRMATIONS },
  });
  const sentLines = () => lines.filter((l) => l.includes(SENT)).length;
  return { store, pipeline, counters, clock, fault, lines, sentLines, kicks: () => kicks };
}

function stranger(id: number, sender = '+15559876543'): ImsgMessage {
  return imsgMessage({
    id,
    guid: `P-${id}`,
    chat_id: 30,
    sender,
    text: 'hi there',
    chat_identifier: sender,
    chat_guid: `iMessage;-;${sender}`,
    participants: [sender],
    created_at: CREATED_AT,
  });
}

const pairingRows = (store: GatewayStore) => store.pendingOutbox(ACCOUNT).filter((r) => r.source === 'pairing');

describe('carrying out a pairing decision (issue 16, item 4)', () => {
  it('a failed outbox write is not logged or counted as sent; it is retried and the code is sent once the store accepts', async () => {
    const s = setup();
    s.pipeline.handle(stranger(1));
    await waitUntil(() => s.fault.refused >= 1 || undefined, 'the pairing write refused once');

    expect(s.sentLines()).toBe(0);
    expect(s.counters.dropped['pairing-requested']).toBeUndefined();
    expect(s.kicks()).toBe(0);
    expect(pairingRows(s.store)).toEqual([]);
    expect(s.lines.join('')).toContain('could not record the pairing request or queue its reply (state database); retrying');
    expect(s.pipeline.unsentPairingCodes).toBe(1);
    expect(s.pipeline.storeFailure?.error).toContain('full');

    // Still failing a second later: retried, still nothing claimed.
    s.clock.increment(RETRY_MS);
    expect(s.fault.refused).toBe(2);
    expect(s.sentLines()).toBe(0);
    expect(s.pipeline.unsentPairingCodes).toBe(1);

    s.fault.diskFull = false;
    s.clock.increment(RETRY_MS);
    const [row] = pairingRows(s.store);
    expect(row?.text).toMatch(/Pairing code: [A-Z0-9]{8}/);
    expect(s.store.listPairingRequests(ACCOUNT)).toHaveLength(1);
    expect(s.sentLines()).toBe(1);
    expect(s.counters.dropped['pairing-requested']).toBe(1);
    expect(s.kicks()).toBe(1);
    expect(s.pipeline.unsentPairingCodes).toBe(0);
    expect(s.pipeline.storeFailure).toBeUndefined();

    // No timer left behind: more time changes nothing.
    s.clock.increment(RETRY_MS * 5);
    expect(s.sentLines()).toBe(1);
    expect(pairingRows(s.store)).toHaveLength(1);
  });

  it('the sender writing again while the write is refused gets one code, not two', async () => {
    const s = setup();
    s.pipeline.handle(stranger(1));
    s.pipeline.handle(stranger(2));
    await waitUntil(() => s.fault.refused >= 2 || undefined, 'both pairing writes refused');
    expect(s.pipeline.unsentPairingCodes).toBe(2);
    s.fault.diskFull = false;
    s.clock.increment(RETRY_MS);
    expect(pairingRows(s.store)).toHaveLength(1);
    expect(s.sentLines()).toBe(1);
    expect(s.counters.dropped).toMatchObject({ 'pairing-requested': 1, 'pairing-pending': 1 });
    // The journal keeps what was carried out: both were decided as strangers; the store settled the second as pending.
    expect(s.store.inboundDecisions('P-1', ACCOUNT)[0]).toMatchObject({
      reason: 'pairing-requested',
      trace: ['dm', 'policy:pairing', 'sender:stranger', 'pair'],
    });
    expect(s.store.inboundDecisions('P-2', ACCOUNT)[0]).toMatchObject({
      reason: 'pairing-pending',
      trace: ['dm', 'policy:pairing', 'sender:stranger', 'store:pairing-pending', 'drop'],
    });
  });

  it('a stop while the write is still refused reports the unsent code instead of dropping it silently', async () => {
    const s = setup();
    s.pipeline.handle(stranger(1));
    await waitUntil(() => s.fault.refused >= 1 || undefined, 'the pairing write refused once');
    s.pipeline.close();
    expect(s.lines.join('')).toContain('pairing codes not sent');
    expect(s.sentLines()).toBe(0);
    expect(s.counters.dropped['pairing-requested']).toBeUndefined();
    // No request was stored: the sender is still a stranger, and their next message gets a code.
    expect(s.store.listPairingRequests(ACCOUNT)).toEqual([]);
    s.clock.increment(RETRY_MS * 3);
    expect(s.fault.refused).toBe(1);
  });
});
