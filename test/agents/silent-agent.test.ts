import { describe, expect, it } from 'vitest';
import { createAgentHandler } from '../../src/agents/index.js';
import { makeEnvelope } from './fixtures.js';

describe('none (silent) agent', () => {
  it('takes the message and replies nothing', async () => {
    const agent = createAgentHandler('archive', { type: 'none' });
    expect(agent.kind).toBe('none');
    await expect(agent.handle(makeEnvelope({ text: 'keep this' }), new AbortController().signal)).resolves.toEqual({ replies: [] });
  });

  it('refuses work once aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(createAgentHandler('archive', { type: 'none' }).handle(makeEnvelope(), ctl.signal)).rejects.toMatchObject({ kind: 'aborted' });
  });
});
