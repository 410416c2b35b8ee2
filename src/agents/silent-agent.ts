/**
 * The silent handler (`{ type: "none" }`): takes every message and never replies. For receive-only
 * accounts (archiving through the journal), dry runs of a policy, and the throughput benchmark.
 */
import { AgentError } from './errors.js';
import type { Envelope } from '../routing/envelope.js';
import type { AgentHandler, AgentResult } from './types.js';

export class SilentAgent implements AgentHandler {
  readonly kind = 'none' as const;
  constructor(readonly agentId: string) {}

  async handle(_envelope: Envelope, signal: AbortSignal): Promise<AgentResult> {
    if (signal.aborted) throw new AgentError('aborted', this.agentId, 'aborted', { cause: signal.reason });
    return { replies: [] };
  }
}
