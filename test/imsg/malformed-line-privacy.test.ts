/**
 * Issue 11, item 10: malformed-line warnings must never include message text (a 10k fuzz once
 * logged 819 such lines). A real ImsgRpcClient reads a fake imsg (emitting-imsg.mjs) that writes
 * fuzzed unusable lines, each carrying a distinctive secret where message text would be; the
 * account's real log handlers (imsg-line-log.ts) write to a captured pino logger at level trace.
 * The secret must appear in no log line at any level.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImsgError } from '../../src/imsg/errors.js';
import { ImsgRpcClient } from '../../src/imsg/rpc-client.js';
import { summarizeLine } from '../../src/imsg/line-summary.js';
import { newCounters } from '../../src/supervisor/account-counters.js';
import { imsgLineLogHandlers } from '../../src/supervisor/imsg-line-log.js';
import { type Clock, systemClock } from '../../src/util/clock.js';
import { FAKE_IMSG } from './fake-imsg.js';

const SECRET = 'TOPSECRET_4f9a_the_text_of_a_private_message';
/** A fragment, in case a log ever cuts the text short. */
const SECRET_CORE = 'TOPSECRET_4f9a';

const clients: ImsgRpcClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

function capturedLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

/** Every now() is 11 s after the last: the 10 s throttle on non-JSON lines never hides one. */
function steppingClock(): Clock {
  let t = 0;
  return { ...systemClock, now: () => (t += 11_000) };
}

const secretText = fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })).map(([a, b]) => `${a}${SECRET}${b}`);

const messageFields = (text: string) => ({
  chat_id: 7,
  guid: 'g-1',
  sender: `+1555${text}`,
  text,
  chat_name: text,
  reply_to_text: text,
  attachments: [],
});

/** Lines the client cannot use, each with the secret where message text (or a peer's value) goes. */
const unusableLine: fc.Arbitrary<string> = fc.oneof(
  // Plain text, and text with the secret alone on a line.
  secretText,
  fc.constant(SECRET),
  // A message notification cut short anywhere after the secret began.
  fc.tuple(secretText, fc.nat()).map(([text, cut]) => {
    const line = JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: { id: 42, ...messageFields(text) } } });
    const from = line.indexOf(SECRET_CORE) + 1;
    return line.slice(0, from + (cut % (line.length - from)));
  }),
  // A message notification that does not validate (no integer id, not an object).
  fc.tuple(secretText, fc.constantFrom<unknown>(undefined, '42', 4.5, null, [], { n: 1 })).map(([text, id]) =>
    JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: { id, ...messageFields(text) } } }),
  ),
  secretText.map((text) => JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: text } })),
  secretText.map((text) => JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: [text] } })),
  // An unknown notification whose method and params carry the secret.
  secretText.map((text) => JSON.stringify({ jsonrpc: '2.0', method: text, params: { subscription: 1, text } })),
  // A response to no pending request (ids far above the client's).
  fc.tuple(secretText, fc.integer({ min: 1_000_000, max: 2_000_000 })).map(([text, id]) =>
    JSON.stringify({ jsonrpc: '2.0', id, result: { text, message: { id: 1, text } } }),
  ),
  fc.tuple(secretText, fc.integer({ min: 1_000_000, max: 2_000_000 })).map(([text, id]) =>
    JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32603, message: text, data: text } }),
  ),
  // Objects of no JSON-RPC shape; the secret as a value and as a key.
  secretText.map((text) => JSON.stringify({ jsonrpc: '2.0', text, [text]: text })),
  // JSON that is not an object.
  secretText.map((text) => JSON.stringify([text, { text }])),
  secretText.map((text) => JSON.stringify(text)),
);

describe('malformed-line warnings never include message text', () => {
  it('fuzz: no log line at any level carries the secret', { timeout: 60_000 }, async () => {
    const { logger, lines } = capturedLogger();
    const counters = newCounters();
    const exits: ImsgError[] = [];
    const client = new ImsgRpcClient({
      cliPath: FAKE_IMSG,
      clock: systemClock,
      requestTimeoutMs: 10_000,
      stopTimeoutMs: 1000,
      handlers: {
        ...imsgLineLogHandlers(logger, steppingClock(), counters),
        // A message that validates despite the fuzz is delivered, not logged; the account's
        // pipeline decides what it logs (never text at info).
        onMessage: () => undefined,
        onExit: (e) => exits.push(e),
      },
    });
    clients.push(client);
    await client.start();
    expect(await client.subscribe({})).toBe(1);

    let emitted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(unusableLine, { minLength: 1, maxLength: 4 }), async (batch) => {
        emitted += batch.length;
        const before = lines.length;
        // Answered after the fake wrote the batch: every line of it has been handled by now.
        await expect(client.request('emit', { lines: batch })).resolves.toEqual({ ok: true });
        const leaked = lines.slice(before).filter((l) => l.includes(SECRET_CORE));
        expect(leaked).toEqual([]);
      }),
      { seed: 20251130, numRuns: 300 },
    );

    expect(exits).toEqual([]);
    // The fuzz reached both paths, and every unusable line was logged (with its summary).
    expect(counters.garbageLines).toBeGreaterThan(50);
    expect(counters.malformed).toBeGreaterThan(50);
    // Unknown notification methods (the secret as the method) are counted apart and explained once.
    expect(counters.unknownInput).toBeGreaterThan(10);
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; line?: { bytes: number; digest: string } });
    expect(warnings.length).toBe(counters.garbageLines + counters.malformed + 1);
    expect(warnings.filter((w) => w.msg.startsWith('imsg sent a notification method this gateway does not know'))).toHaveLength(1);
    for (const w of warnings) {
      expect(w.msg).toMatch(/^(ignored a (non-JSON|malformed) line from imsg|imsg sent a notification method this gateway does not know .*)$/);
      expect(w.line?.bytes).toBeGreaterThan(0);
      expect(w.line?.digest).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(emitted).toBeGreaterThanOrEqual(300);
    expect(lines.join('\n')).not.toContain(SECRET_CORE);
  });

  it('the exit diagnostic keeps plain-text output but only a summary of JSON cut short', async () => {
    const exits: ImsgError[] = [];
    const client = new ImsgRpcClient({
      cliPath: FAKE_IMSG,
      clock: systemClock,
      requestTimeoutMs: 10_000,
      stopTimeoutMs: 1000,
      handlers: { onExit: (e) => exits.push(e) },
    });
    clients.push(client);
    await client.start();
    const cut = JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: { id: 9, text: SECRET } } }).slice(0, -3);
    await client.request('exit', { lines: ['imsg: fatal: something broke', cut], code: 3 }).catch(() => undefined);
    await expect.poll(() => exits.length).toBe(1);
    expect(exits[0]!.message).toContain('imsg: fatal: something broke');
    expect(exits[0]!.message).toContain('[imsg stdout: truncated-json');
    expect(exits[0]!.message).not.toContain(SECRET_CORE);
  });
});

describe('summarizeLine', () => {
  it('keeps the length, a digest, known keys and integer ids; never a value or an unknown key', () => {
    const line = JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { subscription: 1, message: { id: 77, text: SECRET, [SECRET]: 1 } } });
    const s = summarizeLine(line);
    expect(s).toEqual({
      bytes: Buffer.byteLength(line),
      digest: expect.stringMatching(/^[0-9a-f]{16}$/),
      shape: 'object',
      keys: ['jsonrpc', 'method', 'params', 'params.subscription', 'params.message', 'params.message.id', 'params.message.text'],
      otherKeys: 1,
      method: 'message',
      messageId: 77,
    });
    expect(JSON.stringify(s)).not.toContain(SECRET_CORE);
    expect(summarizeLine(line).digest).toBe(s.digest);
    expect(summarizeLine(`${line} `).digest).not.toBe(s.digest);
  });

  it('names the shape and parse error class of what is not JSON, and an unknown method only as (other)', () => {
    expect(summarizeLine(`{"text":"${SECRET}`)).toMatchObject({ shape: 'truncated-json', parseError: 'SyntaxError' });
    expect(summarizeLine(SECRET)).toMatchObject({ shape: 'text', parseError: 'SyntaxError' });
    expect(summarizeLine(JSON.stringify({ method: SECRET }))).toMatchObject({ method: '(other)' });
    expect(summarizeLine('[1]')).toMatchObject({ shape: 'array' });
  });
});
