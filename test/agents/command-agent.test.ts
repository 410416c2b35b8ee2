import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError, CommandAgent, STDERR_TAIL_CHARS, createAgentHandler } from '../../src/agents/index.js';
import { makeEnvelope, pidAlive, waitFor } from './fixtures.js';

/** Small agent scripts (CommonJS), run as [process.execPath, script, ...args]. */
const SCRIPTS: Record<string, string> = {
  'plain.cjs': `
    process.stdin.resume();
    process.stdin.on('end', () => process.stdout.write('  hello from the agent\\n\\n'));
  `,
  'json.cjs': `
    process.stdin.resume();
    process.stdin.on('end', () => {
      process.stdout.write(JSON.stringify({ replies: [{ text: 'first' }, { text: 'second', media: ['/tmp/a.png'] }, { media: ['/tmp/b.jpg'] }] }));
    });
  `,
  // Replies with the exact bytes it read on stdin.
  'stdin-back.cjs': `
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => {
      process.stdout.write(JSON.stringify({ replies: [{ text: Buffer.concat(chunks).toString('utf8') }] }));
    });
  `,
  'fail.cjs': `
    process.stderr.write('x'.repeat(2000) + '\\n');
    process.stderr.write('fatal: the model server is unreachable\\n');
    process.exit(3);
  `,
  'self-kill.cjs': `process.kill(process.pid, 'SIGKILL');`,
  // Spawns a sleeping grandchild in the same process group, records both pids, then hangs.
  'grandchild.cjs': `
    const { spawn } = require('node:child_process');
    const fs = require('node:fs');
    const gc = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    fs.writeFileSync(process.argv[2], JSON.stringify({ child: process.pid, grandchild: gc.pid }));
    setInterval(() => {}, 1000);
  `,
  // Ignores SIGTERM, so only the SIGKILL escalation ends it.
  'stubborn.cjs': `
    const fs = require('node:fs');
    process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\\n'));
    fs.writeFileSync(process.argv[2], JSON.stringify({ child: process.pid }));
    setInterval(() => {}, 1000);
  `,
  // Leaves a grandchild behind and exits successfully.
  'leaves-orphan.cjs': `
    const { spawn } = require('node:child_process');
    const fs = require('node:fs');
    const gc = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    fs.writeFileSync(process.argv[2], JSON.stringify({ child: process.pid, grandchild: gc.pid }));
    process.stdout.write('done');
    process.exit(0);
  `,
  // Never reads stdin.
  'no-stdin.cjs': `process.stdout.write('did not read stdin'); process.exit(0);`,
  'bad-shape.cjs': `process.stdout.write(JSON.stringify({ replies: [{ text: 42 }] }));`,
  'flood.cjs': `
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let n = 0;
    function more() { while (n < 20) { n++; if (!process.stdout.write(chunk)) { process.stdout.once('drain', more); return; } } }
    more();
  `,
  'cwd-env.cjs': `process.stdout.write(process.cwd() + '|' + process.env.AGENT_GREETING + '|' + (process.env.PATH ? 'has-path' : 'no-path'));`,
};

let dir: string;
const script = (name: string): string => join(dir, name);
const never = new AbortController().signal;

async function rejection(p: Promise<unknown>): Promise<AgentError> {
  const err = await p.then(
    () => {
      throw new Error('expected the handler to reject');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agents-cmd-'));
  for (const [name, body] of Object.entries(SCRIPTS)) writeFileSync(join(dir, name), body);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CommandAgent', () => {
  it('returns stdout as one trimmed plain-text reply', async () => {
    const agent = createAgentHandler('cmd', { type: 'command', argv: [process.execPath, script('plain.cjs')], timeoutMs: 10_000 });
    expect(agent.kind).toBe('command');
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'hello from the agent' }] });
  });

  it('parses the {"replies":[...]} JSON shape', async () => {
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('json.cjs')], timeoutMs: 10_000 });
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({
      replies: [{ text: 'first' }, { text: 'second', media: ['/tmp/a.png'] }, { text: '', media: ['/tmp/b.jpg'] }],
    });
  });

  it('receives the envelope intact on stdin, as one JSON line', async () => {
    const envelope = makeEnvelope({
      text: 'multi\nline "quoted" \\ emoji 🎉 and ünïcödé',
      history: [{ sender: '+15555550101', text: 'earlier', at: '2025-01-02T03:00:00.000Z' }],
      replyTo: { guid: 'prev-guid', text: 'previous', sender: '+15555550101' },
    });
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('stdin-back.cjs')], timeoutMs: 10_000 });
    const result = await agent.handle(envelope, never);
    const received = result.replies[0]!.text;
    // Exactly the JSON followed by one newline.
    expect(received).toBe(`${JSON.stringify(envelope)}\n`);
    expect(received.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(received)).toEqual(envelope);
  });

  it('rejects a non-zero exit with the code and the tail of stderr', async () => {
    const agent = new CommandAgent('cmd-fail', { argv: [process.execPath, script('fail.cjs')], timeoutMs: 10_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('exit');
    expect(err.agentId).toBe('cmd-fail');
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('fatal: the model server is unreachable');
    expect(err.message).toContain('cmd-fail');
    // Only the tail of stderr is kept in the message.
    expect(err.stderrTail!.length).toBeLessThanOrEqual(STDERR_TAIL_CHARS + 1);
    expect(err.message.length).toBeLessThan(1000);
  });

  it('reports a process killed by a signal', async () => {
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('self-kill.cjs')], timeoutMs: 10_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('exit');
    expect(err.exitCode).toBeNull();
    expect(err.signal).toBe('SIGKILL');
    expect(err.message).toContain('signal SIGKILL');
  });

  it('on timeout kills the whole process group, grandchild included', async () => {
    const pidFile = join(dir, 'timeout-pids.json');
    const agent = new CommandAgent('cmd-slow', { argv: [process.execPath, script('grandchild.cjs'), pidFile], timeoutMs: 1_500 });
    const started = Date.now();
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('1500 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    expect(pidAlive(pids.child)).toBe(false);
    expect(pidAlive(pids.grandchild)).toBe(false);
  });

  it('on abort kills the whole process group and rejects with kind "aborted"', async () => {
    const pidFile = join(dir, 'abort-pids.json');
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('grandchild.cjs'), pidFile], timeoutMs: 60_000 });
    const ctrl = new AbortController();
    const pending = agent.handle(makeEnvelope(), ctrl.signal);
    await waitFor(() => existsSync(pidFile), 10_000, 'the pid file');
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    expect(pidAlive(pids.child)).toBe(true);
    expect(pidAlive(pids.grandchild)).toBe(true);
    ctrl.abort(new Error('gateway shutting down'));
    const err = await rejection(pending);
    expect(err.kind).toBe('aborted');
    expect(pidAlive(pids.child)).toBe(false);
    expect(pidAlive(pids.grandchild)).toBe(false);
  });

  it('does not spawn anything when the signal is already aborted', async () => {
    const pidFile = join(dir, 'never-written.json');
    const ctrl = new AbortController();
    ctrl.abort();
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('grandchild.cjs'), pidFile], timeoutMs: 60_000 });
    const err = await rejection(agent.handle(makeEnvelope(), ctrl.signal));
    expect(err.kind).toBe('aborted');
    expect(existsSync(pidFile)).toBe(false);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const pidFile = join(dir, 'stubborn-pids.json');
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('stubborn.cjs'), pidFile], timeoutMs: 500 });
    const started = Date.now();
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500 + 2_000 - 100);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number };
    expect(pidAlive(pids.child)).toBe(false);
  });

  it('terminates processes left in the group after a successful exit', async () => {
    const pidFile = join(dir, 'orphan-pids.json');
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('leaves-orphan.cjs'), pidFile], timeoutMs: 10_000 });
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'done' }] });
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { grandchild: number };
    await waitFor(() => !pidAlive(pids.grandchild), 5_000, 'the leftover grandchild to be killed');
  });

  it('copes with a command that does not read stdin (EPIPE ignored)', async () => {
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('no-stdin.cjs')], timeoutMs: 10_000 });
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'did not read stdin' }] });
    // An envelope far larger than the pipe buffer: the write fails with EPIPE once the child exits.
    const big = makeEnvelope({ text: 'y'.repeat(4 * 1024 * 1024) });
    await expect(agent.handle(big, never)).resolves.toEqual({ replies: [{ text: 'did not read stdin' }] });
  });

  it('rejects an invalid JSON reply shape, naming the problem', async () => {
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('bad-shape.cjs')], timeoutMs: 10_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('invalid-reply');
    expect(err.message).toContain('replies[0].text');
  });

  it('rejects stdout beyond 16 MiB', async () => {
    const agent = new CommandAgent('cmd', { argv: [process.execPath, script('flood.cjs')], timeoutMs: 20_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('invalid-reply');
    expect(err.message).toContain('16 MiB');
  });

  it('reports a missing executable as a spawn error', async () => {
    const agent = new CommandAgent('cmd-missing', { argv: [join(dir, 'no-such-agent-binary')], timeoutMs: 10_000 });
    const err = await rejection(agent.handle(makeEnvelope(), never));
    expect(err.kind).toBe('spawn');
    expect(err.message).toContain('ENOENT');
    expect(err.message).toContain('no-such-agent-binary');
  });

  it('runs without a shell: metacharacters are plain arguments', async () => {
    const agent = new CommandAgent('cmd', {
      argv: [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', '$(echo pwned); ls | cat'],
      timeoutMs: 10_000,
    });
    const result = await agent.handle(makeEnvelope(), never);
    expect(JSON.parse(result.replies[0]!.text)).toEqual(['$(echo pwned); ls | cat']);
  });

  it('applies cwd and merges env over process.env', async () => {
    const agent = createAgentHandler('cmd', {
      type: 'command',
      argv: [process.execPath, script('cwd-env.cjs')],
      timeoutMs: 10_000,
      cwd: dir,
      env: { AGENT_GREETING: 'hej' },
    });
    const result = await agent.handle(makeEnvelope(), never);
    const [cwd, greeting, path] = result.replies[0]!.text.split('|');
    expect(cwd).toBe(process.platform === 'darwin' ? cwd : dir);
    expect(greeting).toBe('hej');
    expect(path).toBe('has-path');
  });

  it('refuses an empty argv at construction', () => {
    expect(() => createAgentHandler('cmd', { type: 'command', argv: [], timeoutMs: 1000 })).toThrow(/argv/);
  });
});
