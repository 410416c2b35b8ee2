/**
 * Tapbacks in on a legacy imsg (issue 17, item 3; 0.9 profile, protocol before 0.14): the watch is
 * asked for `include_reactions` (there since imsg 0.5), so a tapback on the gateway's reply reaches
 * the agent as a `reaction` event, never as a turn, and no "tapbacks are not passed" warning is
 * logged. Typing and read receipts stay off there (one warning each).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDatabase } from '../../src/sqlite/index.js';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, sentRows, simWrapper, tempDir, waitUntil } from '../helpers/sim-db.js';
import { jsonLines, scriptAgent } from '../helpers/agents.js';

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

const FRIEND = '+15550005555';

function loggingAgent(dir: string, log: string) {
  const agent = scriptAgent(
    dir,
    'logging-agent',
    `  fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ kind: env.kind, text: env.text, reaction: env.reaction }) + '\\n');
  process.stdout.write(JSON.stringify({ replies: [{ text: 'ack: ' + env.text }] }));`,
  );
  return { list: [agent] };
}

const seen = (log: string) => jsonLines<{ kind?: string; text: string; reaction?: Record<string, unknown> }>(log);

function guidOfRow(db: string, rowid: number): string {
  const c = new SqliteDatabase(db, { readonly: true, fileMustExist: true });
  try {
    return (c.prepare('SELECT guid FROM message WHERE ROWID = ?').get(rowid) as { guid: string }).guid;
  } finally {
    c.close();
  }
}

describe('legacy imsg (0.9 profile): tapbacks in', () => {
  it('a tapback on the reply reaches the agent as a reaction event, never as a turn', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    const log = join(dir, 'agent.jsonl');
    const cli = simWrapper(dir, 'imsg', { IMSG_SIM_PROFILE: '0.9', IMSG_SIM_POLL_MS: '200' });
    gateway = startGateway({ agents: loggingAgent(dir, log), imessage: openAccount(cli, db) }, undefined, { simProfile: '0.9' });
    await gateway.waitForState('default', 'streaming');
    inject(db, { from: FRIEND, text: 'lunch?' });
    const reply = await waitUntil(() => sentRows(db).find((r) => r.text === 'ack: lunch?'), 'the reply');
    inject(db, { from: FRIEND, reaction: 'love', targetGuid: guidOfRow(db, reply.id) });
    inject(db, { from: FRIEND, text: 'marker' });
    await waitUntil(() => sentRows(db).some((r) => r.text === 'ack: marker') || undefined, 'the marker reply');
    const reactions = await waitUntil(() => {
      const r = seen(log).filter((e) => e.kind === 'reaction');
      return r.length > 0 ? r : undefined;
    }, 'the reaction event');
    expect(reactions).toHaveLength(1);
    expect(reactions[0]!.reaction).toMatchObject({ type: 'love', added: true, target: { fromGateway: true, text: 'ack: lunch?' } });
    // Never a turn: the agent's turns are the two messages.
    expect(seen(log).filter((e) => e.kind === undefined).map((e) => e.text)).toEqual(['lunch?', 'marker']);
    expect(gateway.records((r) => r.level === 40 && String(r.msg).startsWith('tapbacks are not passed'))).toEqual([]);
    await gateway.waitForRecords((r) => r.level === 40 && String(r.msg).startsWith('typing indicator off'), 'the typing warning');
  });
});
