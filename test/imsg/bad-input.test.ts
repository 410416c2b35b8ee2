/**
 * Bad input from imsg (issue 12, "Bad input"), against a scripted fake child (real process): an
 * unknown notification method or error code, a status snapshot with missing fields, a version the
 * gateway does not know, and an imsg that claims v1 but rejects `status`. None of them ends the
 * client or the negotiation; each is reported so the account can log it once.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcError } from '../../src/imsg/errors.js';
import { negotiate } from '../../src/imsg/negotiate.js';
import { ImsgRpcClient, type ImsgClientHandlers, type UnknownInput } from '../../src/imsg/rpc-client.js';
import { methodAvailable } from '../../src/imsg/server-info.js';
import type { ImsgMessage } from '../../src/imsg/types.js';
import { systemClock } from '../../src/util/clock.js';
import { imsgMessage } from '../helpers/imsg-message.js';

const FAKE = fileURLToPath(new URL('./scripted-imsg.mjs', import.meta.url));

const clients: ImsgRpcClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

function scripted(script: Record<string, unknown[]>, handlers: ImsgClientHandlers = {}): ImsgRpcClient {
  const c = new ImsgRpcClient({
    cliPath: FAKE,
    env: { IMSG_SCRIPT: JSON.stringify(script) },
    clock: systemClock,
    requestTimeoutMs: 10_000,
    stopTimeoutMs: 1000,
    handlers,
  });
  clients.push(c);
  return c;
}

const V1_INIT = { result: { protocol_version: 1, version: '0.15.10', methods: ['initialize', 'status', 'chats.list', 'watch.subscribe', 'send', 'messages.after'], supported_methods: ['initialize', 'status', 'chats.list', 'watch.subscribe', 'send', 'messages.after'], database: { ready: true, path: '/db' } } };
const note = (msg: object) => JSON.stringify({ jsonrpc: '2.0', ...msg });

describe('unknown notifications and error codes', () => {
  it('an unknown notification method is reported (not as malformed) and the stream goes on', async () => {
    const unknown: UnknownInput[] = [];
    const malformed: string[] = [];
    const messages: ImsgMessage[] = [];
    const c = scripted(
      {
        emit: [
          {
            lines: [
              note({ method: 'typing.started', params: { subscription: 1, chat_id: 1 } }),
              note({ method: 'message', params: { subscription: 1, message: imsgMessage({ id: 7 }) } }),
              note({ method: 'bridge.event', params: {} }),
              note({ method: 'message', params: { subscription: 1, message: imsgMessage({ id: 8, guid: 'G8' }) } }),
            ],
            result: { ok: true },
          },
        ],
      },
      {
        onUnknownInput: (input) => unknown.push(input),
        onMalformed: (problem) => malformed.push(problem),
        onMessage: (_sub, m) => messages.push(m),
      },
    );
    await c.start();
    expect(await c.subscribe({})).toBe(1);
    await expect(c.request('emit')).resolves.toEqual({ ok: true });
    expect(unknown).toEqual([{ what: 'notification' }, { what: 'notification' }]);
    expect(malformed).toEqual([]);
    expect(messages.map((m) => m.id)).toEqual([7, 8]);
    expect(c.isRunning).toBe(true);
  });

  it('without onUnknownInput an unknown notification is still counted as malformed', async () => {
    const malformed: string[] = [];
    const c = scripted({ emit: [{ lines: [note({ method: 'typing.started', params: {} })], result: { ok: true } }] }, { onMalformed: (p) => malformed.push(p) });
    await c.start();
    await c.request('emit');
    expect(malformed).toEqual(['unknown notification method']);
  });

  it('an unknown error code fails only its request, as an RpcError, and is reported with the method and code', async () => {
    const unknown: UnknownInput[] = [];
    const c = scripted(
      {
        'chats.list': [
          { error: { code: -32099, message: 'Something new' } },
          { error: { code: -32602, message: 'Invalid params', data: 'limit' } },
          { result: [] },
        ],
      },
      { onUnknownInput: (input) => unknown.push(input) },
    );
    await c.start();
    const first = await c.request('chats.list', { limit: 1 }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RpcError);
    expect(first).toMatchObject({ code: -32099, kind: 'rpc', recovery: 'retry' });
    await expect(c.request('chats.list', { limit: 1 })).rejects.toMatchObject({ code: -32602 });
    await expect(c.request('chats.list', { limit: 1 })).resolves.toEqual([]);
    // Only the unknown code is reported; a known one is not.
    expect(unknown).toEqual([{ what: 'error-code', method: 'chats.list', code: -32099 }]);
    expect(c.isRunning).toBe(true);
  });
});

describe('negotiation with odd answers', () => {
  it('an imsg that claims v1 but rejects status falls back to legacy mode and says why', async () => {
    const c = scripted({ initialize: [V1_INIT], status: [{ error: { code: -32601, message: 'Method not found', data: 'status' } }] });
    await c.start();
    const { info, notes } = await negotiate(c);
    expect(info.protocol).toBe('legacy');
    expect(info.fallback).toBe('imsg claims protocol v1 but rejected status (-32601); falling back to legacy mode');
    expect(notes).toContain(info.fallback);
    expect(c.server).toBe(info);
    // Legacy from here on: the v1-only methods are refused without being sent.
    expect(methodAvailable(info, 'messages.after')).toBe(false);
    await expect(c.request('messages.after', { after_rowid: 0 })).rejects.toMatchObject({ code: -32601 });
    await expect(c.request('chats.list', { limit: 1 })).resolves.toEqual({});
  });

  it('a status rejected with an error code no imsg uses is a fallback too', async () => {
    const c = scripted({ initialize: [V1_INIT], status: [{ error: { code: 4711, message: 'nope' } }] });
    await c.start();
    const { info } = await negotiate(c);
    expect(info).toMatchObject({ protocol: 'legacy', fallback: expect.stringContaining('(4711)') });
  });

  it('a status snapshot with missing fields: v1 with what it has, the gaps named, nothing thrown', async () => {
    const c = scripted({ initialize: [V1_INIT], status: [{ result: { protocol_version: 1 } }] });
    await c.start();
    const { info, notes } = await negotiate(c);
    expect(info).toMatchObject({ protocol: 'v1', version: null, methods: null, supportedMethods: null, database: null });
    expect(notes).toEqual(['imsg status snapshot lacks version, methods, supported_methods, database.ready; using what it has']);
    // Missing `methods` never locks the gateway out of what every imsg has.
    expect(methodAvailable(info, 'chats.list')).toBe(true);
    expect(methodAvailable(info, 'watch.subscribe')).toBe(true);
  });

  it('a status that is not even an object is a snapshot with every field missing', async () => {
    const c = scripted({ initialize: [V1_INIT], status: [{ result: 'ok' }] });
    await c.start();
    const { info, notes } = await negotiate(c);
    expect(info.protocol).toBe('v1');
    expect(notes[0]).toMatch(/^imsg status snapshot lacks version, methods/);
  });

  it('a version it does not know is treated as the newest known, and said so', async () => {
    const newer = { result: { ...V1_INIT.result, version: '0.99.1' } };
    const c = scripted({ initialize: [newer], status: [newer] });
    await c.start();
    const { info, notes } = await negotiate(c);
    expect(info).toMatchObject({ protocol: 'v1', version: '0.99.1' });
    expect(notes).toEqual(['unknown imsg version "0.99.1"; treating it as the newest known (0.15)']);
    expect(methodAvailable(info, 'messages.after')).toBe(true);
  });
});
