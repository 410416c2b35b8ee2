import { describe, expect, it } from 'vitest';
import { assign, createActor, fromPromise, setup, type InspectionEvent } from 'xstate';
import {
  createSanitizingInspect,
  sanitizeForInspector,
  startStatelyInspector,
  type StatelyInspectionRecord,
} from '../../src/web/inspector.js';
import { WebSocket } from 'ws';
import { wsConnect } from './ws-client.js';

const TOKEN = 'f'.repeat(64);

describe('sanitizeForInspector', () => {
  it('drops message text, tokens, secrets, env and headers, keeps the rest', () => {
    const input = {
      type: 'INBOUND',
      message: { text: 'my secret message', chat_id: 7, attributedBody: 'blob', sender: '+1555' },
      agent: { env: { OPENAI_API_KEY: 'sk-1' }, headers: { authorization: 'Bearer abc' }, apiKey: 'k', url: 'http://x' },
      controlToken: 'a'.repeat(64),
      note: `token is ${'b'.repeat(64)} and Bearer xyz.123`,
      when: new Date(0),
      error: Object.assign(new Error('boom'), { code: 'EPIPE' }),
      fn: function namedThing() {},
    };
    const out = sanitizeForInspector(input) as Record<string, any>;
    const json = JSON.stringify(out);
    expect(json).not.toContain('my secret message');
    expect(json).not.toContain('sk-1');
    expect(json).not.toContain('abc');
    expect(json).not.toContain('a'.repeat(64));
    expect(json).not.toContain('b'.repeat(64));
    expect(json).not.toContain('xyz.123');
    expect(out.message).toEqual({ text: '[redacted]', chat_id: 7, attributedBody: '[redacted]', sender: '+1555' });
    expect(out.agent).toEqual({ env: '[redacted]', headers: '[redacted]', apiKey: '[redacted]', url: 'http://x' });
    expect(out.when).toBe('1970-01-01T00:00:00.000Z');
    expect(out.error).toEqual({ name: 'Error', message: 'boom', code: 'EPIPE' });
    expect(out.fn).toBe('[function namedThing]');
  });

  it('survives cycles and deep or large values', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    expect(sanitizeForInspector(a)).toEqual({ n: 1, self: '[circular]' });
    const long = sanitizeForInspector('x'.repeat(2000)) as string;
    expect(long.length).toBeLessThan(600);
    expect((sanitizeForInspector(Array.from({ length: 100 }, (_, i) => i)) as unknown[]).length).toBe(51);
  });
});

describe('the sanitising inspect callback', () => {
  it('turns a running actor into sanitised Stately records', async () => {
    const machine = setup({
      types: { context: {} as { lastText: string | null; token: string }, events: {} as { type: 'GOT'; text: string } },
      actors: { work: fromPromise(async () => ({ text: 'reply text', ok: true })) },
    }).createMachine({
      id: 'probe',
      context: { lastText: null, token: 'c'.repeat(64) },
      // (lastText is dropped by name: a key whose last word is text/body/token/secret/password)
      initial: 'idle',
      states: {
        idle: { on: { GOT: { target: 'busy', actions: assign({ lastText: ({ event }) => event.text }) } } },
        busy: { invoke: { src: 'work', onDone: 'done' } },
        done: { type: 'final' },
      },
    });
    const records: StatelyInspectionRecord[] = [];
    const inspect = createSanitizingInspect((r) => records.push(r));
    const actor = createActor(machine, { inspect });
    actor.start();
    actor.send({ type: 'GOT', text: 'hello there private' });
    await new Promise((r) => setTimeout(r, 20));
    const json = JSON.stringify(records);
    expect(json).not.toContain('hello there private');
    expect(json).not.toContain('reply text');
    expect(json).not.toContain('c'.repeat(64));
    const actorRecord = records.find((r) => r.type === '@xstate.actor' && r.name === 'probe');
    expect(actorRecord).toBeDefined();
    expect(JSON.parse((actorRecord as { definition: string }).definition)).toMatchObject({ id: 'probe', initial: 'idle' });
    expect(records.some((r) => r.type === '@xstate.event' && (r.event as { type: string }).type === 'GOT')).toBe(true);
    const snaps = records.filter((r) => r.type === '@xstate.snapshot') as Array<{ snapshot: { value: unknown } }>;
    expect(snaps.map((s) => s.snapshot.value)).toContain('done');
  });

  it('never lets a failing forwarder disturb the machine', () => {
    const inspect = createSanitizingInspect(() => {
      throw new Error('relay down');
    });
    const actor = createActor(setup({}).createMachine({ initial: 'a', states: { a: {} } }), { inspect });
    expect(() => actor.start()).not.toThrow();
  });
});

describe('the loopback relay', () => {
  it('streams sanitised records to an authenticated viewer on 127.0.0.1 only', async () => {
    const inspector = await startStatelyInspector({ port: 0, token: TOKEN });
    try {
      expect(inspector.url).toBe(`http://127.0.0.1:${inspector.relay.port}/#token=${TOKEN}`);
      expect((await wsConnect(inspector.relay.port, ['imessage-gateway-inspect'])).status).toBe(401);
      expect((await wsConnect(inspector.relay.port, ['imessage-gateway-inspect', `bearer.${'0'.repeat(64)}`])).status).toBe(401);
      expect((await wsConnect(inspector.relay.port, ['imessage-gateway-inspect', `bearer.${TOKEN}`], 'evil.example:1')).status).toBe(421);

      const machine = setup({ types: { events: {} as { type: 'GO'; text: string } } }).createMachine({
        id: 'relayed',
        initial: 'a',
        states: { a: { on: { GO: 'b' } }, b: {} },
      });
      const actor = createActor(machine, { inspect: inspector.inspect as (e: InspectionEvent) => void });
      actor.start();
      const viewer = await wsConnect(inspector.relay.port, ['imessage-gateway-inspect', `bearer.${TOKEN}`]);
      expect(viewer.status).toBe(101);
      actor.send({ type: 'GO', text: 'do not leak me' });
      await expect.poll(() => viewer.messages.some((m) => m.includes('"GO"')), { timeout: 2000 }).toBe(true);
      const all = viewer.messages.join('\n');
      expect(all).toContain('"relayed"'); // replayed actor record
      expect(all).not.toContain('do not leak me');
      viewer.socket?.destroy();
    } finally {
      await inspector.close();
    }
  });
});

/** Connects with the `ws` package; resolves with 101 and the first message, or the refusal's status. */
function connectWs(url: string, headers: Record<string, string> = {}): Promise<{ status: number; first?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('message', (data) => {
      resolve({ status: 101, first: String(data) });
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

describe('the relay token, for clients that can pass only a URL', () => {
  it('accepts the token as a query parameter or a bearer header, and refuses a wrong or missing one', async () => {
    const inspector = await startStatelyInspector({ port: 0, token: TOKEN });
    try {
      const actor = createActor(setup({}).createMachine({ id: 'by-url', initial: 'a', states: { a: {} } }), {
        inspect: inspector.inspect as (e: InspectionEvent) => void,
      });
      actor.start();
      const port = inspector.relay.port;
      const byQuery = await connectWs(`ws://127.0.0.1:${port}/?token=${TOKEN}`);
      expect(byQuery.status).toBe(101);
      expect(byQuery.first).toContain('"@xstate.actor"');
      expect((await connectWs(`ws://127.0.0.1:${port}/`, { authorization: `Bearer ${TOKEN}` })).status).toBe(101);
      expect((await connectWs(`ws://127.0.0.1:${port}/?token=${'0'.repeat(64)}`)).status).toBe(401);
      expect((await connectWs(`ws://127.0.0.1:${port}/`)).status).toBe(401);
      expect((await connectWs(`ws://localhost:${port}/?token=${TOKEN}`, { origin: 'http://evil.example' })).status).toBe(403);
    } finally {
      await inspector.close();
    }
  });
});

describe('sensitive key names', () => {
  it('matches by last word, not by substring', () => {
    const out = sanitizeForInspector({ context: { a: 1 }, lastText: 'x', reply_body: 'x', CLIENT_SECRET: 'x', api_key: 'x', textCount: 3, bodyless: true }) as Record<string, unknown>;
    expect(out).toEqual({ context: { a: 1 }, lastText: '[redacted]', reply_body: '[redacted]', CLIENT_SECRET: '[redacted]', api_key: '[redacted]', textCount: 3, bodyless: true });
  });
});
