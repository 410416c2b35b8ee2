import { describe, expect, it } from 'vitest';
import { AgentError, EchoAgent, createAgentHandler } from '../../src/agents/index.js';
import { makeEnvelope } from './fixtures.js';

describe('EchoAgent', () => {
  const signal = new AbortController().signal;

  it('replies "echo: <text>"', async () => {
    const agent = new EchoAgent('echo-1');
    expect(agent.kind).toBe('echo');
    expect(agent.agentId).toBe('echo-1');
    await expect(agent.handle(makeEnvelope({ text: 'hi there' }), signal)).resolves.toEqual({
      replies: [{ text: 'echo: hi there' }],
    });
  });

  it('does not reply to empty text', async () => {
    const agent = new EchoAgent('echo-1');
    await expect(agent.handle(makeEnvelope({ text: '' }), signal)).resolves.toEqual({ replies: [] });
    await expect(agent.handle(makeEnvelope({ text: '  \n ' }), signal)).resolves.toEqual({ replies: [] });
  });

  it('rejects with kind "aborted" when the signal is already aborted', async () => {
    const agent = createAgentHandler('echo-2', { type: 'echo' });
    const ctrl = new AbortController();
    ctrl.abort();
    const err = await agent.handle(makeEnvelope(), ctrl.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).kind).toBe('aborted');
    expect((err as AgentError).agentId).toBe('echo-2');
  });
});
