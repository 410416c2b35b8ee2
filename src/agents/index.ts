export type { AgentHandler, AgentHandlerConfig, AgentReply, AgentResult } from './types.js';
export { AgentError, isAgentError, STDERR_TAIL_CHARS, type AgentErrorDetails, type AgentErrorKind } from './errors.js';
export { EchoAgent } from './echo-agent.js';
export {
  CommandAgent,
  DEFAULT_KILL_GRACE_MS,
  STDOUT_LIMIT_BYTES,
  type CommandAgentConfig,
  type CommandAgentOptions,
} from './command-agent.js';
export { HttpAgent, HTTP_BODY_LIMIT_BYTES, type HttpAgentConfig } from './http-agent.js';
export { parseAgentJson, parseAgentOutput, validateAgentResult } from './reply-format.js';
export { createAgentHandler } from './create-agent.js';
export { DEFAULT_MAX_CONCURRENT_SESSIONS, SessionLanes, type SessionLanesOptions } from './session-lanes.js';
