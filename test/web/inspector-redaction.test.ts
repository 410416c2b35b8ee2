/**
 * Issue 14: the inspector's sanitiser shown to fire. XState inspection events (`@xstate.event`,
 * `@xstate.snapshot`, `@xstate.actor`) carrying message text, tokens and secrets in nested fields
 * go through the gateway's `inspect` callback; the Stately records that come out (the shapes of
 * @statelyai/inspect's StatelyInspectionEvent) hold none of them, and keep what an operator needs.
 * Each fixture is first checked to really carry its secrets, so the test cannot pass vacuously.
 */
import type { StatelyEventEvent, StatelySnapshotEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { describe, expect, it } from 'vitest';
import { ProcessExitedError } from '../../src/imsg/errors.js';
import { createSanitizingInspect, type StatelyInspectionRecord } from '../../src/web/inspector.js';

const HEX_TOKEN = '9'.repeat(64);
const SECRETS = [
  'the private message text',
  'a quoted reply body',
  'sk-live-abc123',
  HEX_TOKEN,
  'hunter2',
  'pw-from-wrapper',
  'refresh-me-9',
  'bearer-in-stderr',
  'OPENAI_KEY_VALUE',
  'cookie-crumb',
];

/** An actor reference as XState hands it to `inspect` (only what the converter reads). */
function actorRef(id: string, sessionId: string, context: unknown = {}) {
  return {
    id,
    sessionId,
    _parent: { sessionId: 'x:0' },
    logic: { config: { id, initial: 'child', context: { apiKey: 'sk-live-abc123' }, states: { child: {} } } },
    getSnapshot: () => ({ status: 'active', value: 'child', context }),
    send: () => undefined,
  };
}

function collect(events: unknown[]): StatelyInspectionRecord[] {
  const records: StatelyInspectionRecord[] = [];
  const inspect = createSanitizingInspect((r) => records.push(r));
  for (const e of events) inspect(e as InspectionEvent);
  return records;
}

describe('inspection events carrying secrets, through the sanitising inspect callback', () => {
  const exited = new ProcessExitedError(1, null, 'ssh: auth failed (Authorization: Bearer bearer-in-stderr; password=pw-from-wrapper)');
  const context = {
    accountId: 'bot',
    lastText: 'the private message text',
    lastError: { kind: 'exited', message: exited.message, remediation: 'The gateway restarts imsg with backoff.' },
    agent: { env: { OPENAI_API_KEY: 'OPENAI_KEY_VALUE' }, headers: { cookie: 'cookie-crumb' }, url: 'http://127.0.0.1:9' },
    sessions: [{ chatId: 42, handle: '+15550001111', reply: { body: 'a quoted reply body' }, note: `token=${HEX_TOKEN}` }],
  };
  const ref = actorRef('account:bot', 'x:1', context);
  const eventEvent = {
    type: '@xstate.event',
    rootId: 'x:0',
    actorRef: ref,
    sourceRef: actorRef('imsgChild', 'x:2'),
    event: {
      type: 'INBOUND',
      message: { guid: 'G-1', chat_id: 42, sender: '+15550001111', text: 'the private message text', attributedBody: 'the private message text' },
      login: { user: 'bot', accessToken: 'sk-live-abc123', refresh_token: 'refresh-me-9' },
      nested: [{ deeper: { reply: { body: 'a quoted reply body' }, detail: 'login used password: hunter2' } }],
      error: exited,
    },
  };
  const snapshotEvent = {
    type: '@xstate.snapshot',
    rootId: 'x:0',
    actorRef: ref,
    event: { type: 'CHILD_FAILED', error: exited },
    snapshot: { status: 'active', value: { backoff: 'waiting' }, context, children: { imsgChild: actorRef('imsgChild', 'x:2') } },
  };
  const actorEvent = { type: '@xstate.actor', rootId: 'x:0', actorRef: ref };

  it('the fixtures carry every secret (so the assertions below can fail)', () => {
    const raw = JSON.stringify([eventEvent.event, snapshotEvent.snapshot.context, ref.logic.config, { m: exited.message, t: exited.outputTail }]);
    for (const secret of SECRETS) expect(raw, secret).toContain(secret);
  });

  it('leave none of them in the Stately records, in the shapes @statelyai/inspect defines', () => {
    const records = collect([actorEvent, eventEvent, snapshotEvent]);
    expect(records.map((r) => r.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
    const json = JSON.stringify(records);
    for (const secret of SECRETS) expect(json, secret).not.toContain(secret);

    const ev = records[1] as unknown as StatelyEventEvent;
    expect(ev).toMatchObject({ type: '@xstate.event', rootId: 'x:0', sessionId: 'x:1', sourceId: 'x:2', _version: '0.7.2' });
    const event = ev.event as unknown as Record<string, any>;
    // Message text goes by name; what identifies the message and the chat stays.
    expect(event.message).toEqual({ guid: 'G-1', chat_id: 42, sender: '+15550001111', text: '[redacted]', attributedBody: '[redacted]' });
    expect(event.login).toEqual({ user: 'bot', accessToken: '[redacted]', refresh_token: '[redacted]' });
    expect(event.nested[0].deeper).toEqual({ reply: { body: '[redacted]' }, detail: 'login used password: [redacted]' });
    // An error is its name, message (secrets scrubbed, paths and codes kept) and code; not its output tail.
    expect(event.error).toEqual({ name: 'ProcessExitedError', message: 'imsg exited (code 1): ssh: auth failed (Authorization: Bearer [redacted]; password=[redacted])', code: 1 });

    const snap = records[2] as unknown as StatelySnapshotEvent;
    expect(snap).toMatchObject({ type: '@xstate.snapshot', rootId: 'x:0', sessionId: 'x:1' });
    const s = snap.snapshot as unknown as { value: unknown; context: Record<string, any>; children?: unknown };
    expect(s.value).toEqual({ backoff: 'waiting' });
    expect(s.children).toBeUndefined();
    expect(s.context.lastText).toBe('[redacted]');
    expect(s.context.lastError.message).toContain('Bearer [redacted]; password=[redacted]');
    expect(s.context.agent).toEqual({ env: '[redacted]', headers: '[redacted]', url: 'http://127.0.0.1:9' });
    expect(s.context.sessions).toEqual([{ chatId: 42, handle: '+15550001111', reply: { body: '[redacted]' }, note: 'token=[redacted]' }]);
    expect((snap.event as unknown as { error: { message: string } }).error.message).not.toContain('pw-from-wrapper');

    const actor = records[0] as StatelyInspectionRecord & { definition?: string };
    expect(JSON.parse(actor.definition ?? '{}')).toMatchObject({ id: 'account:bot', context: { apiKey: '[redacted]' } });
  });
});
