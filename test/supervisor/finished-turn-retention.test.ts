/**
 * A finished agent turn waiting for its group commit keeps only what the commit needs (the
 * messages' guids, the reply rows, the envelope's id): not the envelope, not the agent's result.
 * In a burst hundreds of turns wait for their commits, and whatever they keep is copied by each
 * scavenge (docs/performance.md "What a finished turn keeps"). A mechanism test on a real pipeline:
 * the completion window is held open on a simulated clock, the garbage collector is run, and weak
 * references tell whether the envelope and the result are still reachable.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentHandler, AgentResult } from '../../src/agents/types.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import type { Envelope } from '../../src/routing/envelope.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { PIPELINE_CREATED_AT, realPipeline } from '../helpers/real-pipeline.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempHome } from '../store/store-helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const WINDOW_MS = 60_000;

interface Seen {
  envelope: WeakRef<Envelope>;
  result: WeakRef<AgentResult>;
}

/** Remembers what it was handed and what it answered only weakly. */
function weakAgent(seen: Seen[], replies: AgentResult['replies']): AgentHandler {
  return {
    agentId: 'main',
    kind: 'http',
    handle(envelope: Envelope): Promise<AgentResult> {
      const result: AgentResult = { replies };
      seen.push({ envelope: new WeakRef(envelope), result: new WeakRef(result) });
      return Promise.resolve(result);
    },
  };
}

function dm(id: number, sender: string): ImsgMessage {
  return imsgMessage({
    id,
    chat_id: id,
    guid: `G-${id}`,
    text: `message ${id}`,
    sender,
    chat_identifier: sender,
    chat_guid: `iMessage;-;${sender}`,
    participants: [sender],
    created_at: PIPELINE_CREATED_AT,
  });
}

/** A macrotask later (weak references made in this job stay alive until it ends), then a full GC. */
async function gcLater(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  collectGarbage();
}

describe('a finished turn waiting for its commit', () => {
  for (const [name, replies] of [
    ['with no reply', []],
    ['with a reply', [{ text: 'a reply' }]],
  ] as const) {
    it(`${name}: keeps neither the envelope nor the agent's result, and is then committed`, async () => {
      const home = tempHome('gw-retain-');
      cleanups.push(home.cleanup);
      const seen: Seen[] = [];
      const s = realPipeline({
        dbPath: home.dbPath,
        homeDir: home.dir,
        agent: weakAgent(seen, [...replies]),
        cleanups,
        options: { completionWindowMs: WINDOW_MS },
      });
      cleanups.push(() => s.pipeline.close());

      s.pipeline.handle(dm(1, '+15551230001'));
      s.pipeline.handle(dm(2, '+15551230002'));
      await waitUntil(() => (seen.length === 2 ? true : undefined), 'both turns handed to the agent');
      // Both turns finished and wait for the completion window (the simulated clock stands still).
      await waitUntil(() => (s.pipeline.backlog === 2 ? true : undefined), 'both turns wait for their commit');
      await gcLater();
      expect(s.counters.dispatched).toBe(0);
      for (const { envelope, result } of seen) {
        expect(envelope.deref()).toBeUndefined();
        expect(result.deref()).toBeUndefined();
      }

      s.clock.increment(WINDOW_MS);
      await waitUntil(() => (s.counters.dispatched === 2 ? true : undefined), 'the window closes and both turns are committed');
      expect(s.store.pendingInbound('acct')).toHaveLength(0);
    });
  }
});
