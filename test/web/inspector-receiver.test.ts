/**
 * The inspector relay, tested with a client nobody here wrote: @statelyai/inspect's own
 * `createWebSocketReceiver`, given the relay's URL with the control token as the `token` query
 * parameter (the receiver takes only a `server` URL). A real gateway with an imsg-sim account
 * streams its machines; every record must have the shape the package's types define, and no
 * frame may carry the message text or the token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type GatewayProcess, openAccount, startGateway } from '../helpers/gateway-process.js';
import { createSimDb, inject, SIM_BIN, sentRows, tempDir, waitUntil } from '../helpers/sim-db.js';

// The shapes of @statelyai/inspect 0.7.2's StatelyInspectionEvent (dist/index.d.mts), as JSON.
const base = {
  rootId: z.string().optional(),
  sessionId: z.string().min(1),
  createdAt: z.string().regex(/^\d+$/),
  id: z.string().min(1),
  _version: z.string().min(1),
};
const eventObject = z.looseObject({ type: z.string() });
const actorRecord = z.strictObject({
  ...base,
  type: z.literal('@xstate.actor'),
  name: z.string().min(1),
  snapshot: z.looseObject({ status: z.enum(['active', 'done', 'error', 'stopped']).optional(), context: z.unknown().optional(), value: z.unknown().optional(), output: z.unknown().optional() }),
  definition: z.string().optional(),
  parentId: z.string().optional(),
});
const eventRecord = z.strictObject({ ...base, type: z.literal('@xstate.event'), event: eventObject, sourceId: z.string().optional() });
const snapshotRecord = z.strictObject({ ...base, type: z.literal('@xstate.snapshot'), event: eventObject, snapshot: z.looseObject({ status: z.string(), value: z.unknown().optional(), context: z.unknown().optional() }) });
const inspectionRecord = z.discriminatedUnion('type', [actorRecord, eventRecord, snapshotRecord]);

let gateway: GatewayProcess | undefined;
afterEach(async () => {
  await gateway?.stop();
});

describe('the inspector relay and @statelyai/inspect createWebSocketReceiver', () => {
  it('receives the account machines as Stately inspection events, without message text or the token', async () => {
    const dir = tempDir();
    const db = createSimDb(dir);
    gateway = startGateway({ imessage: openAccount(SIM_BIN, db), gateway: { inspector: { enabled: true, port: 0 } } });
    await gateway.waitForState('default', 'streaming');
    const line = await waitUntil(() => gateway!.logs.find((l) => l.startsWith('  inspector  http://')), 'the printed inspector URL');
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const token = readFileSync(join(gateway.home, 'control-token'), 'utf8').trim();

    const received: StatelyInspectionEvent[] = [];
    const receiver = createWebSocketReceiver({ server: `ws://127.0.0.1:${port}/?token=${token}` });
    const subscription = receiver.subscribe((event) => received.push(event));
    try {
      // The account machine announced (replayed on connect) with its definition.
      const account = await waitUntil(
        () => received.find((e) => e.type === '@xstate.actor' && e.name === 'account:default'),
        'the account machine @xstate.actor',
        15_000,
      );
      expect(actorRecord.parse(account).definition).toBeDefined();
      expect(JSON.parse(actorRecord.parse(account).definition!)).toHaveProperty('states');

      const secret = 'top secret words for the inspector';
      inject(db, { from: '+15558880001', text: secret });
      await waitUntil(() => sentRows(db).length === 1 || undefined, 'the reply', 15_000);
      process.kill(gateway.account('default')!.childPid!, 'SIGKILL');
      // The account machine's own events and snapshots reach the receiver.
      await waitUntil(
        () => received.some((e) => e.type === '@xstate.event' && e.sessionId === account.sessionId && e.event.type === 'CHILD_FAILED') || undefined,
        'the CHILD_FAILED @xstate.event of the account machine',
        15_000,
      );
      await waitUntil(
        () => received.some((e) => e.type === '@xstate.snapshot' && e.sessionId === account.sessionId) || undefined,
        'an @xstate.snapshot of the account machine',
        15_000,
      );
      await gateway.waitForState('default', 'streaming');

      for (const event of received) {
        const result = inspectionRecord.safeParse(event);
        if (!result.success) throw new Error(`record not in the Stately shape: ${JSON.stringify(event).slice(0, 400)}\n${result.error.message}`);
      }
      const frames = received.map((e) => JSON.stringify(e)).join('\n');
      expect(frames).not.toContain(secret);
      expect(frames).not.toContain('top secret');
      expect(frames).not.toContain(token);
      for (const kind of ['@xstate.actor', '@xstate.event', '@xstate.snapshot']) {
        expect(received.some((e) => e.type === kind)).toBe(true);
      }
    } finally {
      subscription.unsubscribe();
    }
  }, 60_000);

});
