/**
 * Issue 15, item 3 ("Envelope: stringified once"): a turn serialises its envelope once, for the
 * journal, and the agent is handed that same text; a re-dispatch after a restart hands over the
 * journalled text without serialising again. A mechanism test on a real pipeline (real store in a
 * temp dir, real session lanes and routes), with an in-process agent that records what it gets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentHandler, AgentResult } from '../../src/agents/types.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import type { Envelope } from '../../src/routing/envelope.js';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { imsgMessage } from '../helpers/imsg-message.js';
import { PIPELINE_ACCOUNT as ACCOUNT, PIPELINE_CREATED_AT as CREATED_AT, realPipeline } from '../helpers/real-pipeline.js';
import { waitUntil } from '../helpers/sim-db.js';
import { tempHome } from '../store/store-helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Handed {
  envelope: Envelope;
  json: string | undefined;
}

/** An in-process agent that records each envelope and text it is handed; `hold` keeps turns pending. */
function recordingHandler(handed: Handed[], hold = false): AgentHandler {
  return {
    agentId: 'main',
    kind: 'http',
    handle(envelope: Envelope, _signal: AbortSignal, envelopeJson?: string): Promise<AgentResult> {
      handed.push({ envelope, json: envelopeJson });
      return hold ? new Promise<AgentResult>(() => undefined) : Promise.resolve({ replies: [{ text: 'ok' }] });
    },
  };
}

function pipelineOn(dbPath: string, homeDir: string, agent: AgentHandler) {
  return realPipeline({ dbPath, homeDir, agent, cleanups });
}

function journalledEnvelope(dbPath: string, guid: string): string | undefined {
  const db = new SqliteDatabase(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare<[string, string], string>('SELECT envelope FROM inbound_journal WHERE account_id = ? AND guid = ?')
      .pluck()
      .get(ACCOUNT, guid);
  } finally {
    db.close();
  }
}

function dm(id: number, sender: string, text: string): ImsgMessage {
  return imsgMessage({ id, chat_id: id, guid: `G-${id}`, text, sender, chat_identifier: sender, chat_guid: `iMessage;-;${sender}`, participants: [sender], created_at: CREATED_AT });
}

/** JSON.stringify calls whose value is an envelope. */
function envelopeStringifications(): () => number {
  const original = JSON.stringify.bind(JSON);
  let count = 0;
  vi.spyOn(JSON, 'stringify').mockImplementation(((value: unknown, ...rest: unknown[]) => {
    if (typeof value === 'object' && value !== null && 'sessionKey' in value && 'replyTarget' in value) count++;
    return original(value as never, ...(rest as [never, never]));
  }) as typeof JSON.stringify);
  return () => count;
}

describe('the envelope is stringified once per turn', () => {
  it('a DM turn: one serialisation, and the agent gets exactly the journalled text', async () => {
    const home = tempHome('gw-once-');
    cleanups.push(home.cleanup);
    const handed: Handed[] = [];
    const s = pipelineOn(home.dbPath, home.dir, recordingHandler(handed));
    const count = envelopeStringifications();

    s.pipeline.handle(dm(1, '+15551230001', 'first'));
    s.pipeline.handle(dm(2, '+15551230002', 'second'));
    await waitUntil(() => (s.counters.dispatched === 2 ? true : undefined), 'both turns complete');

    expect(count()).toBe(2);
    expect(handed).toHaveLength(2);
    for (const { envelope, json } of handed) {
      expect(json).toBeDefined();
      expect(json).toBe(journalledEnvelope(home.dbPath, envelope.imsg.guid));
      expect(JSON.parse(json!)).toEqual(envelope);
    }
  });

  it('a turn re-dispatched after a restart is handed the journalled text, with no new serialisation', async () => {
    const home = tempHome('gw-once-');
    cleanups.push(home.cleanup);
    const first: Handed[] = [];
    const before = pipelineOn(home.dbPath, home.dir, recordingHandler(first, true));
    before.pipeline.handle(dm(1, '+15551230001', 'pending at the stop'));
    await waitUntil(() => (first.length === 1 ? true : undefined), 'the turn started');
    before.pipeline.close();
    before.store.close();

    const again: Handed[] = [];
    const after = pipelineOn(home.dbPath, home.dir, recordingHandler(again));
    const count = envelopeStringifications();
    expect(after.pipeline.redispatchPending()).toBe(1);
    await waitUntil(() => (after.counters.dispatched === 1 ? true : undefined), 'the re-dispatched turn completes');
    expect(count()).toBe(0);
    expect(again[0]!.json).toBe(first[0]!.json);
  });
});
