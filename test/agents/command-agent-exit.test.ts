/**
 * A command agent's reply is read when the process exits, not when stdout closes: a detached
 * grandchild that inherits stdout and outlives the agent neither loses the reply nor holds the
 * lane. And a spawn that fails for lack of descriptors (a real EMFILE) is a typed AgentError.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentError, CommandAgent } from '../../src/agents/index.js';
import { exhaustDescriptors } from '../helpers/descriptors.js';
import { makeEnvelope, pidAlive } from './fixtures.js';

/** Replies (argv[3] = exit code), leaves `sleep 30` detached with our stdout and stderr, exits. */
const HOLDS_STDOUT = `
  const { spawn } = require('node:child_process');
  const fs = require('node:fs');
  process.stdin.resume();
  process.stdin.on('end', () => {
    const gc = spawn('sleep', ['30'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
    gc.unref();
    fs.writeFileSync(process.argv[2], String(gc.pid));
    process.stderr.write('leaving a helper behind\\n');
    process.stdout.write(JSON.stringify({ replies: [{ text: 'the reply' }] }), () => process.exit(Number(process.argv[3])));
  });
`;

let dir: string;
const leftovers: number[] = [];
const never = new AbortController().signal;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agents-exit-'));
  writeFileSync(join(dir, 'holds-stdout.cjs'), HOLDS_STDOUT);
});
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function holdingAgent(exitCode: number, pidFile: string): CommandAgent {
  return new CommandAgent('cmd', {
    argv: [process.execPath, join(dir, 'holds-stdout.cjs'), pidFile, String(exitCode)],
    timeoutMs: 25_000,
  });
}

describe('command agent: the reply is read at exit', () => {
  it('a detached grandchild holding stdout open neither loses the reply nor holds the lane', async () => {
    const pidFile = join(dir, 'gc-ok.pid');
    const agent = holdingAgent(0, pidFile);
    const started = Date.now();
    const result = await agent.handle(makeEnvelope(), never);
    const elapsed = Date.now() - started;
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    leftovers.push(grandchild);
    expect(result).toEqual({ replies: [{ text: 'the reply' }] });
    // Well under the grandchild's 30 s (and the 25 s deadline): the agent settled at its exit.
    expect(elapsed).toBeLessThan(5_000);
    // The grandchild is still alive and still holds the pipe: the reply did not wait for it.
    expect(pidAlive(grandchild)).toBe(true);

    // The next turn on the same handler runs at once.
    const second = join(dir, 'gc-ok-2.pid');
    const again = await holdingAgent(0, second).handle(makeEnvelope(), never);
    leftovers.push(Number(readFileSync(second, 'utf8')));
    expect(again.replies[0]?.text).toBe('the reply');
  });

  it('a non-zero exit behind a held stdout is reported promptly, with its stderr', async () => {
    const pidFile = join(dir, 'gc-fail.pid');
    const started = Date.now();
    const err = await holdingAgent(4, pidFile)
      .handle(makeEnvelope(), never)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    leftovers.push(Number(readFileSync(pidFile, 'utf8')));
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).kind).toBe('exit');
    expect((err as AgentError).exitCode).toBe(4);
    expect((err as AgentError).stderrTail).toContain('leaving a helper behind');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('command agent: spawn failures', () => {
  it('EMFILE (a real descriptor shortage) is an AgentError of kind spawn, never a TypeError', async () => {
    const agent = new CommandAgent('cmd', { argv: [process.execPath, '-e', "process.stdout.write('ok')"], timeoutMs: 5_000 });
    const release = exhaustDescriptors();
    let pending: Promise<unknown>;
    try {
      pending = agent.handle(makeEnvelope(), never);
    } finally {
      release();
    }
    const err = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).kind).toBe('spawn');
    expect((err as AgentError).message).toContain('EMFILE');
    expect((err as AgentError).message).toContain('retried');
    // Descriptors back: the same handler runs.
    await expect(agent.handle(makeEnvelope(), never)).resolves.toEqual({ replies: [{ text: 'ok' }] });
  });
});
