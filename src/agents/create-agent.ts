/** Builds the handler for one configured agent (`agents.list[].handler`). */
import { CommandAgent } from './command-agent.js';
import { EchoAgent } from './echo-agent.js';
import { HttpAgent } from './http-agent.js';
import { SilentAgent } from './silent-agent.js';
import type { AgentHandler, AgentHandlerConfig } from './types.js';

/** Throws TypeError for a config it cannot run (empty argv, bad URL, non-positive timeout). */
export function createAgentHandler(agentId: string, config: AgentHandlerConfig): AgentHandler {
  switch (config.type) {
    case 'echo':
      return new EchoAgent(agentId);
    case 'none':
      return new SilentAgent(agentId);
    case 'command': {
      const { argv, timeoutMs, cwd, env } = config;
      return new CommandAgent(agentId, { argv: [...argv], timeoutMs, ...(cwd !== undefined && { cwd }), ...(env !== undefined && { env: { ...env } }) });
    }
    case 'http': {
      const { url, timeoutMs, headers } = config;
      return new HttpAgent(agentId, { url, timeoutMs, ...(headers !== undefined && { headers: { ...headers } }) });
    }
    default: {
      const unknown: never = config;
      throw new TypeError(`agent "${agentId}": unknown handler type ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}
