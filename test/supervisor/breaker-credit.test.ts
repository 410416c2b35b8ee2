/**
 * The echo-loop breaker's credit comes from reply turns, not from arrivals (loop-breaker.ts): the
 * pipeline grants one credit per turn that queues replies and holds a message from someone else,
 * none for a silent turn, one for a collected turn of several messages, none for a turn of
 * reflections only. A real pipeline (real store in a temp dir, real session lanes and turn
 * collector) with an in-process agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentHandler, AgentResult } from '../../src/agents/types.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import type { Envelope } from '../../src/routing/envelope.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { PIPELINE_CREATED_AT as CREATED_AT, realPipeline } from '../helpers/real-pipeline.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempHome } from '../store/store-helpers.js';

const SENDER = '+15551230001';

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
  const grants: string[] = [];
  const { pipeline, counters } = realPipeline({
    dbPath: home.dbPath,
    homeDir: home.dir,
    agent,
    cleanups,
    options: {
      queue: { mode: opts.collect ? 'collect' : 'followup', collectWindowMs: 0 },
      onHumanMessage: (_chatKey, text) => opts.pays?.(text) ?? true,
      onPaidReplyTurn: (chatKey) => grants.push(chatKey),
    },
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
