/** The echo handler: replies `echo: <text>`. Useful for wiring checks and demos. */
import type { Envelope } from '../routing/envelope.js';
import { AgentError } from './errors.js';
import type { AgentHandler, AgentResult } from './types.js';

export class EchoAgent implements AgentHandler {
  readonly kind = 'echo' as const;

  constructor(readonly agentId: string) {}

  async handle(envelope: Envelope, signal: AbortSignal): Promise<AgentResult> {
    if (signal.aborted) throw new AgentError('aborted', this.agentId, 'aborted before the echo reply', { cause: signal.reason });
    if (envelope.text.trim() === '') return { replies: [] };
    return { replies: [{ text: `echo: ${envelope.text}` }] };
  }
}
